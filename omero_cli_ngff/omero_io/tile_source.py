"""Pixels from OMERO: a thread-safe tile source over RawPixelsStore services.

Each worker thread borrows its own RawPixelsStore from a small pool (the services are
stateful: pixels id, resolution level), so tiles are read in parallel over the one
session. Resolution levels the server offers (pyramidal whole-slide files) are exposed
full resolution first; OMERO numbers them the other way round (highest = full).
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import numpy as np
import Ice
import omero

from ..errors import NgffError
from .. import exit_codes
from ..model.records import ImageRecord

log = logging.getLogger(__name__)

# OMERO pixel type -> big-endian dtype of the bytes getTile sends (Bio-Formats sends
# bit images as one byte, 0 or 1, per pixel).
WIRE_DTYPES = {
    "bit": ">u1", "int8": ">i1", "uint8": ">u1", "int16": ">i2", "uint16": ">u2",
    "int32": ">i4", "uint32": ">u4", "float": ">f4", "double": ">f8",
}
RETRIES = 3
RETRY_PAUSE = 0.5
TRANSIENT = (Ice.ConnectionLostException, Ice.TimeoutException, Ice.ConnectFailedException,
             Ice.CommunicatorDestroyedException, omero.InternalException)


class PixelSourceError(NgffError):
    exit_code = exit_codes.PARTIAL_FAILURE


class PyramidNotReady(PixelSourceError):
    """The server is still building this image's pyramid: try again later."""


class _Store:
    """One RawPixelsStore and the resolution level it is set to."""

    def __init__(self, conn, pixels_id: int, group_id: int):
        self.ctx = {"omero.group": str(group_id)}
        self.proxy = conn.c.sf.createRawPixelsStore(self.ctx)
        try:
            self.proxy.setPixelsId(pixels_id, False, self.ctx)
        except omero.MissingPyramidException:
            self.close()
            raise PyramidNotReady(
                f"the server is still building the pyramid of pixels {pixels_id}: "
                "try again later") from None
        self.level = None

    def set_level(self, omero_level: int):
        if self.level != omero_level:
            self.proxy.setResolutionLevel(omero_level, self.ctx)
            self.level = omero_level

    def close(self):
        try:
            self.proxy.close(self.ctx)
        except Exception:  # closing a dead service: nothing left to free
            pass


class OmeroTileSource:
    """TileSource (see ngff.spec) reading one image's tiles from OMERO."""

    def __init__(self, conn, record: ImageRecord):
        if not record.has_pixels:
            raise PixelSourceError(f"Image:{record.id} has no pixels")
        if record.pixel_type not in WIRE_DTYPES:
            raise PixelSourceError(
                f"Image:{record.id}: pixel type '{record.pixel_type}' cannot be read as tiles")
        self.conn = conn
        self.record = record
        self.wire_dtype = np.dtype(WIRE_DTYPES[record.pixel_type])
        self._pool: queue.SimpleQueue[_Store] = queue.SimpleQueue()
        self._all: list[_Store] = []
        self._lock = threading.Lock()
        self.tiles_read = 0
        first = self._borrow()
        try:
            descriptions = first.proxy.getResolutionDescriptions(first.ctx)
            tile = first.proxy.getTileSize(first.ctx)
        finally:
            self._give_back(first)
        # Full resolution first; a server without a pyramid describes one level.
        self.levels = [(d.sizeY, d.sizeX) for d in descriptions] or [
            (record.size_y, record.size_x)]
        self.tile_size = (int(tile[1]), int(tile[0]))

    def _borrow(self) -> _Store:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            store = _Store(self.conn, self.record.pixels_id, self.record.group_id)
            with self._lock:
                self._all.append(store)
            return store

    def _give_back(self, store: _Store):
        self._pool.put(store)

    def _discard(self, store: _Store):
        store.close()
        with self._lock:
            if store in self._all:
                self._all.remove(store)

    def read(self, level, t, c, z, y, x, h, w) -> np.ndarray:
        omero_level = len(self.levels) - 1 - level
        for attempt in range(RETRIES + 1):
            store = self._borrow()
            try:
                store.set_level(omero_level)
                data = store.proxy.getTile(z, c, t, x, y, w, h, store.ctx)
            except TRANSIENT as err:
                self._discard(store)
                if attempt == RETRIES:
                    raise PixelSourceError(
                        f"Image:{self.record.id}: tile z={z} c={c} t={t} at ({x},{y}) failed "
                        f"after {RETRIES + 1} tries: {type(err).__name__}") from None
                log.warning("tile read failed (%s), retrying", type(err).__name__)
                time.sleep(RETRY_PAUSE * (attempt + 1))
                continue
            self._give_back(store)
            with self._lock:
                self.tiles_read += 1
            # the wire bytes as they are (read-only, big-endian for wide types): readers
            # copy tiles into their own buffers, which swaps bytes in the same pass
            return np.frombuffer(data, dtype=self.wire_dtype).reshape(h, w)
        raise AssertionError("unreachable")

    def close(self):
        with self._lock:
            stores, self._all = self._all, []
        for store in stores:
            store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
