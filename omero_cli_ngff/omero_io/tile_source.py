"""Pixels from OMERO: a thread-safe tile source over RawPixelsStore services.

Each worker thread borrows its own RawPixelsStore from a small pool (the services are
stateful: pixels id, resolution level), so tiles are read in parallel over the one
session; ``max_stores`` caps the pool (each store opens the pixels on the server).
Resolution levels the server offers (pyramidal whole-slide files) are exposed full
resolution first; OMERO numbers them the other way round (highest = full).

As OMERO 5.6 serves them (omero-romio ``PixelsService._getPixelBuffer``):

- ``setResolutionLevel`` is called only when the pixels have several levels: a
  ``RomioPixelBuffer`` (pixels without an original file: images made by scripts,
  legacy data) refuses it for every level, 0 included, with an ``InternalException``
  that no retry cures (``RomioPixelBuffer.setResolutionLevel``). A new store already
  reads full resolution (``BfPixelBuffer``: level ``n - 1``).
- ``getTileSize`` is the reader's tile at the store's *current* level
  (``BfPixelBuffer.getTileSize``): it is asked once per level.
- Retried: failures of the connection, ``LockTimeout`` (the server asks to come back
  later) and an ``InternalException`` of ``getTile`` (a read error of the file the
  server reads, e.g. on a network file system) unless the server names a Java class that
  says it is permanent. Not retried: whatever else, and any refusal of
  ``setResolutionLevel``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import Ice
import numpy as np
import omero

from .. import exit_codes
from ..errors import NgffError, one_line
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
# Worth another try: the connection failed, or the server asked to come back later.
TRANSIENT = (Ice.ConnectionLostException, Ice.TimeoutException, Ice.ConnectFailedException,
             Ice.CommunicatorDestroyedException, omero.LockTimeout)
# Java classes of an InternalException (``serverExceptionClass``, set by omero-blitz
# IceMapper) that no retry cures.
PERMANENT_JAVA = ("java.lang.UnsupportedOperationException",
                  "java.lang.IllegalArgumentException", "java.lang.NullPointerException")


def is_transient(err: BaseException) -> bool:
    """Is a failed getTile worth another try?"""
    if isinstance(err, TRANSIENT):
        return True
    return isinstance(err, omero.InternalException) and \
        getattr(err, "serverExceptionClass", None) not in PERMANENT_JAVA


class PixelSourceError(NgffError):
    exit_code = exit_codes.PARTIAL_FAILURE


class PyramidNotReady(PixelSourceError):
    """The server is still building this image's pyramid: try again later."""


class _Store:
    """One RawPixelsStore and the resolution level it is set to (None: the level a new
    store starts at, full resolution)."""

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
        except Exception:
            self.close()
            raise
        self.level = None

    def set_level(self, omero_level: int, levels: int):
        """Select a level; never called for pixels with one level (see above)."""
        if levels > 1 and self.level != omero_level:
            self.proxy.setResolutionLevel(omero_level, self.ctx)
            self.level = omero_level

    def close(self):
        with contextlib.suppress(Exception):  # a dead service: nothing left to free
            self.proxy.close(self.ctx)


class OmeroTileSource:
    """TileSource (see ngff.spec) reading one image's tiles from OMERO.

    ``levels``: (size_y, size_x) per level, full resolution first; ``tile_size``: the
    full resolution's (h, w) tile; ``level_tile_size(level)``: each level's own.
    """

    def __init__(self, conn, record: ImageRecord, max_stores: int | None = None):
        if not record.has_pixels:
            raise PixelSourceError(f"Image:{record.id} has no pixels")
        if record.pixel_type not in WIRE_DTYPES:
            raise PixelSourceError(
                f"Image:{record.id}: pixel type '{record.pixel_type}' cannot be read as tiles")
        self.conn = conn
        self.record = record
        self.wire_dtype = np.dtype(WIRE_DTYPES[record.pixel_type])
        self._free: list[_Store] = []
        self._all: list[_Store] = []
        self._opened = 0               # stores open or being opened
        # reads beyond max_stores wait for a store: small images converted many at once
        # read in parallel across images, each through one store (one opening of its
        # pixels on the server) rather than one store per plane
        self._max_stores = max_stores or 1 << 30
        self._lock = threading.Lock()
        self._store_freed = threading.Condition(self._lock)
        self.tiles_read = 0
        self.retries = 0            # transient failures retried (adaptive readers back off)
        first = self._borrow()
        try:
            self.levels, self.tile_sizes = self._describe(first)
        except omero.ServerError as err:
            self._discard(first)
            self.close()
            raise PixelSourceError(f"Image:{record.id}: the server cannot describe its "
                                   f"pixels ({type(err).__name__}: {one_line(err)})") from None
        self._give_back(first)
        self.tile_size = self.tile_sizes[0]

    def _describe(self, store: _Store):
        """(levels, tile per level), full resolution first."""
        count = store.proxy.getResolutionLevels(store.ctx)
        if count > 1:
            descriptions = store.proxy.getResolutionDescriptions(store.ctx)
            levels = [(d.sizeY, d.sizeX) for d in descriptions]
        else:
            levels = [(self.record.size_y, self.record.size_x)]
        tiles = []
        for level in range(len(levels)):
            store.set_level(len(levels) - 1 - level, len(levels))
            tile = store.proxy.getTileSize(store.ctx)
            tiles.append((int(tile[1]), int(tile[0])))
        return levels, tiles

    def level_tile_size(self, level: int) -> tuple[int, int]:
        """The (h, w) tile the server reads best at `level` (0 = full resolution)."""
        return self.tile_sizes[level]

    def _borrow(self) -> _Store:
        with self._store_freed:
            while not self._free and self._opened >= self._max_stores:
                self._store_freed.wait()
            if self._free:
                return self._free.pop()
            self._opened += 1
        try:
            store = _Store(self.conn, self.record.pixels_id, self.record.group_id)
        except BaseException:
            self._forget(None)
            raise
        with self._lock:
            self._all.append(store)
        return store

    def _give_back(self, store: _Store):
        with self._store_freed:
            self._free.append(store)
            self._store_freed.notify()

    def _discard(self, store: _Store):
        store.close()
        self._forget(store)

    def _forget(self, store: _Store | None):
        """A store closed (or never opened): another may be opened in its place."""
        with self._store_freed:
            if store is None or store in self._all:
                self._opened -= 1
            if store in self._all:
                self._all.remove(store)
            self._store_freed.notify()

    def read(self, level, t, c, z, y, x, h, w) -> np.ndarray:
        omero_level = len(self.levels) - 1 - level
        where = f"tile z={z} c={c} t={t} at ({x},{y}) of level {level}"
        for attempt in range(RETRIES + 1):
            store = self._borrow()
            try:
                store.set_level(omero_level, len(self.levels))
            except omero.ServerError as err:        # a refused level: permanent
                self._discard(store)
                raise self._refused(where, err) from None
            try:
                data = store.proxy.getTile(z, c, t, x, y, w, h, store.ctx)
            except (omero.ServerError, Ice.Exception) as err:
                self._discard(store)
                if not is_transient(err):
                    raise self._refused(where, err) from None
                if attempt == RETRIES:
                    raise PixelSourceError(
                        f"Image:{self.record.id}: {where} failed after {RETRIES + 1} tries: "
                        f"{type(err).__name__}") from None
                log.warning("tile read failed (%s), retrying", type(err).__name__)
                with self._lock:
                    self.retries += 1
                time.sleep(RETRY_PAUSE * (attempt + 1))
                continue
            self._give_back(store)
            with self._lock:
                self.tiles_read += 1
            # the wire bytes as they are (read-only, big-endian for wide types): readers
            # copy tiles into their own buffers, which swaps bytes in the same pass
            return np.frombuffer(data, dtype=self.wire_dtype).reshape(h, w)
        raise AssertionError("unreachable")

    def _refused(self, where: str, err: Exception) -> PixelSourceError:
        return PixelSourceError(f"Image:{self.record.id}: {where} refused by the server "
                                f"({type(err).__name__}: {one_line(err)})")

    def close(self):
        with self._lock:
            stores, self._all, self._free = self._all, [], []
            self._opened -= len(stores)
        for store in stores:
            store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
