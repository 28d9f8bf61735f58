"""Published copies read over plain HTTP, as any client reads them: a read-only Zarr store
at a public URL, bounded like every other fetch of a URL that came from outside
(see http.py): http(s) only, redirects followed only to the same host, a cap on each
answer's size (Zarr metadata a few MiB, chunks more), connect and total time-outs, so
that a dead or hostile host can neither hang a check, send it elsewhere, nor fill its
memory."""

from __future__ import annotations

import atexit
import threading
from types import SimpleNamespace
from typing import Any

import aiohttp
from yarl import URL

from ..model.urls import same_host, url_problem
from .errors import FetchRefused
from .http import CHUNK_BYTES, MAX_REDIRECTS, METADATA_MAX_BYTES, MIB, OME_XML_MAX_BYTES

CONNECT_TIMEOUT = 10
TOTAL_TIMEOUT = 60
CHUNK_MAX_BYTES = 64 * MIB          # one chunk (or the byte range of one) read whole
METADATA_NAMES = ("zarr.json", ".zattrs", ".zarray", ".zgroup", ".zmetadata")

__all__ = ["http_zarr_store", "max_bytes_for", "ResponseTooLarge", "RedirectRefused",
           "CHUNK_MAX_BYTES"]


class ResponseTooLarge(aiohttp.ClientError):
    """An answer larger than what is read for it."""


class RedirectRefused(aiohttp.ClientError):
    """A redirect to another host (or scheme), not followed."""


def max_bytes_for(url: str) -> int:
    """How much of an answer is read for `url`: by what it names."""
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if name in METADATA_NAMES:
        return METADATA_MAX_BYTES
    if name.endswith(".xml"):
        return OME_XML_MAX_BYTES
    return CHUNK_MAX_BYTES


class BoundedResponse(aiohttp.ClientResponse):
    """aiohttp's response, whose body is read only up to `max_bytes_for` its URL."""

    async def read(self) -> bytes:
        if self._body is None:
            try:
                self._body = await self._read_bounded(max_bytes_for(str(self.url)))
            except BaseException:
                self.close()
                raise
        return await super().read()

    async def _read_bounded(self, limit: int) -> bytes:
        if self.content_length is not None and self.content_length > limit:
            raise ResponseTooLarge(f"{self.url}: the answer is {self.content_length} bytes, "
                                   f"more than the {limit} read for it")
        chunks: list[bytes] = []
        size = 0
        async for chunk in self.content.iter_chunked(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge(f"{self.url}: the answer is more than the {limit} "
                                       "bytes read for it")
            chunks.append(chunk)
        return b"".join(chunks)


async def _refuse_other_hosts(session: Any, context: SimpleNamespace, params: Any) -> None:
    """aiohttp's redirect hook: only to the same host (http -> https allowed)."""
    location = params.response.headers.get("Location", "")
    here = str(params.url)
    target = str(params.response.url.join(URL(location))) if location \
        else here
    if not same_host(here, target):
        raise RedirectRefused(f"{here}: redirected to another place, not followed")


def _client_kwargs() -> dict[str, Any]:
    redirects = aiohttp.TraceConfig()
    redirects.on_request_redirect.append(_refuse_other_hosts)
    return {"timeout": aiohttp.ClientTimeout(total=TOTAL_TIMEOUT,
                                             sock_connect=CONNECT_TIMEOUT),
            "response_class": BoundedResponse, "trace_configs": [redirects]}


def http_zarr_store(url_of_group: str, path: str = "") -> Any:
    """A read-only zarr store at `url_of_group` (ending in '/'), or at `path` below it;
    FetchRefused for a URL that is not a public http(s) URL."""
    from zarr.storage import FsspecStore

    problem = url_problem(url_of_group)
    if problem is not None:
        raise FetchRefused(url_of_group, f"not read: the URL {problem}")
    base = url_of_group if url_of_group.endswith("/") else url_of_group + "/"
    url = base + path.strip("/") if path else base.rstrip("/")
    return FsspecStore(_http_filesystem(), path=url, read_only=True)


_SHARED: list[Any] = []
_SHARED_LOCK = threading.Lock()


def _http_filesystem() -> Any:
    """The one HTTP filesystem of the process (its connections reused; zarr runs every
    read on its own event loop). One per store instead was one fsspec kept forever in
    its instance cache (the client options differ by identity each time): ~14 KiB and
    an open session per level read, growing with every copy checked."""
    with _SHARED_LOCK:
        if not _SHARED:
            from fsspec.implementations.http import HTTPFileSystem

            fs = HTTPFileSystem(asynchronous=True, skip_instance_cache=True,
                                client_kwargs=_client_kwargs(), max_redirects=MAX_REDIRECTS)
            _SHARED.append(fs)
            atexit.register(_close, fs)
        return _SHARED[0]


def _close(fs: Any) -> None:
    from .gcsfs_classes import close_on_zarr_loop
    close_on_zarr_loop(getattr(fs, "_session", None))
