"""Error classes of the storage layer.

Two families:

- `DestinationError` and its subclasses: the destination cannot be used (missing
  credentials, bucket missing, read-only, unreachable, writes failing for good): exit
  code DESTINATION; or it cannot even be understood (`InvalidDestination`: a malformed
  URL or bucket name, a path leaving it; `PublicUrlError`: no or a malformed public
  URL), which is a usage error, found before any login.
- `FetchError` and its subclasses: reading a published URL over plain HTTP failed.
  `definite` tells whether the answer proves the copy is gone or broken (404, Zarr
  metadata of something else than an image) as opposed to answers that prove nothing
  about the data (403, 5xx, time-outs, unreachable host, dropped connections, an HTML
  page or anything else that does not parse as Zarr metadata).

Messages are one line and never contain credentials or tokens.
"""

from __future__ import annotations

from .. import exit_codes
from ..errors import NgffError

__all__ = [
    "DestinationError", "InvalidDestination", "CredentialsError", "DestinationNotFound",
    "BucketNotFound", "ReadOnlyDestination", "DestinationUnreachable", "PublicUrlError",
    "StorageWriteError", "RangeUnsupported",
    "FetchError", "FetchNotFound", "FetchForbidden", "FetchServerError", "FetchTimeout",
    "FetchUnreachable", "FetchDropped", "FetchCorrupt", "FetchUnparseable", "FetchHttpError",
    "FetchRefused", "FetchTooLarge",
]


class DestinationError(NgffError):
    """The destination cannot be used; one line, exit code DESTINATION."""

    exit_code = exit_codes.DESTINATION
    code = exit_codes.DESTINATION          # older name of the same attribute
    kind = "destination"

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class InvalidDestination(DestinationError):
    """The destination string cannot be understood (scheme, bucket name, path): a
    usage error."""

    exit_code = code = exit_codes.USAGE
    kind = "invalid"


class CredentialsError(DestinationError):
    """No usable credentials, or the storage service rejected them."""

    kind = "credentials"


class DestinationNotFound(DestinationError):
    """The bucket (or the parent folder of a local destination) does not exist."""

    kind = "not_found"


BucketNotFound = DestinationNotFound


class ReadOnlyDestination(DestinationError):
    """We may not write there (HTTP 403 on a write, or a read-only folder)."""

    kind = "read_only"


class DestinationUnreachable(DestinationError):
    """Connection refused, DNS failure or time-out talking to the storage service."""

    kind = "unreachable"


class PublicUrlError(DestinationError):
    """No public URL can be given for the destination (e.g. a local folder without
    --public-url), or the given public URL is malformed: a usage error."""

    exit_code = code = exit_codes.USAGE
    kind = "public_url"


class RangeUnsupported(DestinationError):
    """The public URL answers, but not HTTP Range requests: sharded copies would be
    unreadable there (a destination problem, not a malformed argument)."""

    kind = "no_ranges"


class StorageWriteError(DestinationError):
    """Writing kept failing after the retries (5xx, dropped connections, disk full)."""

    kind = "write_failed"


class FetchError(Exception):
    """Reading a published URL over HTTP failed. ``kind`` names the failure,
    ``definite`` says whether it proves the copy missing or broken."""

    kind = "error"
    definite = False

    def __init__(self, url: str, message: str, status: int | None = None):
        self.url = url
        self.status = status
        super().__init__(" ".join(f"{url}: {message}".split()))


class FetchNotFound(FetchError):
    kind = "not_found"
    definite = True


class FetchCorrupt(FetchError):
    """The server answered 200 with a Zarr metadata document that is not an image group:
    the data there is proven not to be an image."""

    kind = "corrupt"
    definite = True


class FetchUnparseable(FetchError):
    """The server answered 200 with something that is no Zarr metadata at all (an HTML
    page, not JSON): a proxy's or CDN's error page as often as broken data, so it
    proves nothing."""

    kind = "unparseable"


class FetchForbidden(FetchError):
    kind = "forbidden"


class FetchServerError(FetchError):
    kind = "server_error"


class FetchTimeout(FetchError):
    kind = "timeout"


class FetchUnreachable(FetchError):
    """Connection refused or host name not resolved."""

    kind = "unreachable"


class FetchDropped(FetchError):
    """The connection was closed before a complete answer."""

    kind = "dropped"


class FetchHttpError(FetchError):
    """Any other unexpected HTTP status (401, 400, 416, ...)."""

    kind = "http_error"


class FetchRefused(FetchError):
    """Not fetched on purpose: not an http(s) URL, credentials in it, or a redirect to
    another host (or too many redirects)."""

    kind = "refused"


class FetchTooLarge(FetchError):
    """The answer is larger than what is read for it (a hostile or a wrong URL)."""

    kind = "too_large"
