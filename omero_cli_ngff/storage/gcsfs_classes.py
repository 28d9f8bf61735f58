"""The gcsfs filesystem classes we use: the plain one (never the HNS/zonal one, see
GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT in the package), and for zarr a subclass that closes
its HTTP session on zarr's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")   # before gcsfs

__all__ = ["gcsfs_class", "close_on_zarr_loop"]

_CLASSES: dict[tuple[bool, bool], type[Any]] = {}


def _on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def close_on_zarr_loop(session: Any) -> None:
    """Close an aiohttp session opened on zarr's loop, there (gcsfs would try fsspec's
    loop and print an error when the store is collected)."""
    if session is None or session.closed:
        return
    try:
        from zarr.core.sync import loop as zarr_loop
        zloop = zarr_loop[0]
    except ImportError:                # pragma: no cover
        zloop = None
    if zloop is not None and zloop.is_running() and not zloop.is_closed():
        closing = asyncio.run_coroutine_threadsafe(session.close(), zloop)
        if not _on_loop_thread(zloop):
            # wait: at interpreter exit the loop's thread dies next, and a pending
            # close would be reported as destroyed
            with contextlib.suppress(Exception):        # closing is best effort
                closing.result(timeout=2)
        return
    connector = getattr(session, "_connector", None)
    if connector is not None:
        connector._close()


def gcsfs_class(asynchronous: bool, notifying: bool = False) -> type[Any]:
    """The plain gcsfs class; for zarr (``asynchronous``) the subclass that closes its
    session on zarr's event loop, and that telling what it writes (``notifying``, for
    `held_tree`)."""
    if notifying:
        if (True, True) not in _CLASSES:
            from .held_tree import notifying_class
            _CLASSES[True, True] = notifying_class(gcsfs_class(True))
        return _CLASSES[True, True]
    if (asynchronous, False) not in _CLASSES:
        from gcsfs.core import GCSFileSystem

        if not asynchronous:
            _CLASSES[False, False] = GCSFileSystem
        else:
            class ZarrLoopGCSFileSystem(GCSFileSystem):  # type: ignore[misc]
                @staticmethod
                def close_session(loop: Any, session: Any, asynchronous: bool = False) -> None:
                    close_on_zarr_loop(session)

            _CLASSES[True, False] = ZarrLoopGCSFileSystem
    return _CLASSES[asynchronous, False]
