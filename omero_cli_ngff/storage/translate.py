"""Storage exceptions (gcsfs, aiohttp, requests, the OS) as one-line DestinationErrors."""

from __future__ import annotations

import asyncio
import contextlib
import errno
from collections.abc import Iterator

from .errors import (
    CredentialsError,
    DestinationError,
    DestinationNotFound,
    DestinationUnreachable,
    ReadOnlyDestination,
    StorageWriteError,
)

__all__ = ["storage_error", "translating"]


def _aiohttp_error(exc: BaseException, what: str) -> DestinationError | None:
    try:
        from aiohttp import client_exceptions as aio
    except ImportError:                              # pragma: no cover
        return None
    if isinstance(exc, aio.ClientConnectorError):
        return DestinationUnreachable(f"{what}: storage service unreachable "
                                      "(connection refused or name not resolved)")
    if isinstance(exc, (aio.ServerDisconnectedError, aio.ClientPayloadError,
                        aio.ClientOSError)):
        return StorageWriteError(f"{what}: connection kept dropping (gave up after "
                                 "retries)")
    if isinstance(exc, aio.ClientError):
        return StorageWriteError(f"{what}: {type(exc).__name__}")
    return None


def _http_error(exc: BaseException, what: str) -> DestinationError | None:
    """gcsfs' HttpError (after its retries) and requests' connection failures."""
    try:
        from gcsfs.retry import HttpError
    except ImportError:                              # pragma: no cover
        HttpError = None
    if HttpError is not None and isinstance(exc, HttpError):
        code = getattr(exc, "code", None)
        if code == 401:
            return CredentialsError(f"{what}: credentials rejected (HTTP 401)")
        return StorageWriteError(f"{what}: storage service answered HTTP {code} "
                                 "(gave up after retries)")
    import requests

    if isinstance(exc, requests.exceptions.ProxyError):   # gcsfs' form of HTTP 502
        return StorageWriteError(f"{what}: storage service answered HTTP 502 (gave up "
                                 "after retries)")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return DestinationUnreachable(f"{what}: storage service unreachable")
    return None


def _os_error(exc: BaseException, what: str, write: bool) -> DestinationError | None:
    if isinstance(exc, PermissionError) or (isinstance(exc, OSError)
                                            and str(exc).startswith("Forbidden")):
        return ReadOnlyDestination(f"{what}: permission denied"
                                   + (" (HTTP 403: read-only?)" if not isinstance(
                                       exc, PermissionError) else ""))
    if isinstance(exc, FileNotFoundError):
        if write:
            return DestinationNotFound(f"{what}: not found (missing bucket or folder)")
        return None
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageWriteError(f"{what}: no space left")
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return ReadOnlyDestination(f"{what}: read-only file system")
    return None


def storage_error(exc: BaseException, what: str,
                  write: bool = True) -> DestinationError | None:
    """The DestinationError for a storage exception (gcsfs, aiohttp, OS), or None when
    ``exc`` is not about storage. ``what`` says what we were doing (one line)."""
    err = _aiohttp_error(exc, what)
    if err is not None:
        return err
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return DestinationUnreachable(f"{what}: the storage service did not answer in time")
    return _http_error(exc, what) or _os_error(exc, what, write)


@contextlib.contextmanager
def translating(what: str, write: bool = True) -> Iterator[None]:
    """Turn storage exceptions raised inside into one-line DestinationErrors
    (exceptions that are not about storage pass unchanged)."""
    try:
        yield
    except DestinationError:
        raise
    except Exception as exc:
        err = storage_error(exc, what, write=write)
        if err is None:
            raise
        raise err from exc
