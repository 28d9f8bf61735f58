"""Published copies read over plain HTTP, as any client reads them: a read-only Zarr store
at a public URL (with time-outs, so that a dead host cannot hang a check)."""

from __future__ import annotations

from typing import Any

CONNECT_TIMEOUT = 10
TOTAL_TIMEOUT = 60


def _client_kwargs() -> dict[str, Any]:
    import aiohttp
    return {"timeout": aiohttp.ClientTimeout(total=TOTAL_TIMEOUT,
                                             sock_connect=CONNECT_TIMEOUT)}


def http_zarr_store(url_of_group: str, path: str = "") -> Any:
    """A read-only zarr store at `url_of_group` (ending in '/'), or at `path` below it."""
    from zarr.storage import FsspecStore

    base = url_of_group if url_of_group.endswith("/") else url_of_group + "/"
    url = base + path.strip("/") if path else base.rstrip("/")
    return FsspecStore.from_url(url, read_only=True,
                                storage_options={"client_kwargs": _client_kwargs()})
