"""RawPixelsStore: tiles and planes of generated pixels, big-endian as OMERO sends them.

Resolution levels use OMERO's numbering: ``getResolutionLevels() - 1`` is full
resolution (the level a store starts at), 0 the smallest; ``getResolutionDescriptions``
lists the sizes from full resolution down. What a level change and the tile size
depend on, the pixel buffer OMERO would read through, is in ``pixel_buffers.py``.
An image flagged ``pyramid: pending`` raises MissingPyramidException from
setPixelsId, as a real server does while it builds a pyramid. A read holds one of the
server's decode slots for its modelled cost (``decode_cost.py``: ``--server-cores``,
``--tile-call-ms``, ``--tile-ms-per-mpx``); ``--tile-delay-ms`` adds an unbounded sleep
per tile. Sleeps and numpy release the GIL, so concurrent readers proceed in parallel.
``--tile-cache-mib`` keeps generated tiles, so benchmarks measure the delay, not the
generator.
"""

from __future__ import annotations

import time

import omero
import omero.api

from .. import pixel_buffers as pb
from .. import pixels as gen
from .base import Service


class RawPixelsStoreService(Service):
    def __init__(self, server, session, adapter, identity):
        super().__init__(server, session)
        self.adapter = adapter
        self.identity = identity
        self.image = None
        self.index = 0            # 0 = full resolution (descriptions' order)

    # -- setup ---------------------------------------------------------------------
    def setPixelsId(self, pid, bypass, current):
        self.image = self.readable_pixels(pid, current)
        self.index = 0

    def _pix(self):
        if self.image is None:
            raise omero.ApiUsageException(None, None, "setPixelsId has not been called")
        return self.image.pixels

    def getPixelsId(self, current):
        return self._pix().id

    def prepare(self, ids, current):
        pass

    # -- levels ----------------------------------------------------------------------
    def getResolutionLevels(self, current):
        return self._pix().levels

    def getResolutionLevel(self, current):
        return self._pix().levels - 1 - self.index

    def setResolutionLevel(self, level, current):
        pix = self._pix()
        if pix.buffer == pb.ROMIO and (self.server.options.strict("resolution-levels")
                                       or level != 0):
            # RomioPixelBuffer.setResolutionLevel, mapped by IceMapper.handleException
            raise omero.InternalException(None, pb.ROMIO_EXCEPTION_CLASS,
                                          pb.ROMIO_LEVEL_REFUSED)
        if not 0 <= level < pix.levels:
            raise omero.ApiUsageException(
                None, None, "resolution level %d is not in 0..%d" % (level, pix.levels - 1))
        self.index = pix.levels - 1 - level

    def getResolutionDescriptions(self, current):
        return [omero.api.ResolutionDescription(x, y) for x, y in self._pix().level_sizes]

    def requiresPixelsPyramid(self, current):
        return self._pix().levels > 1

    def getTileSize(self, current):
        """The current level's tile (BfPixelBuffer.getTileSize: the reader's optimal
        tile at its current resolution; RomioPixelBuffer: see pixel_buffers.py)."""
        pix = self._pix()
        return pb.level_tile(pix.tile_sizes, pix.level_sizes[self.index], self.index)

    # -- sizes -------------------------------------------------------------------------
    def getByteWidth(self, current):
        return self._pix().bytes_per_pixel

    def isSigned(self, current):
        return self._pix().pixel_type in ("int8", "int16", "int32", "float", "double")

    def isFloat(self, current):
        return self._pix().pixel_type in ("float", "double")

    def _size(self):
        pix = self._pix()
        return pix.level_sizes[self.index]

    def getPlaneSize(self, current):
        sx, sy = self._size()
        return sx * sy * self._pix().bytes_per_pixel

    def getRowSize(self, current):
        return self._size()[0] * self._pix().bytes_per_pixel

    def getStackSize(self, current):
        return self.getPlaneSize(current) * self._pix().size_z

    def getTimepointSize(self, current):
        return self.getStackSize(current) * self._pix().size_c

    def getTotalSize(self, current):
        return self.getTimepointSize(current) * self._pix().size_t

    # -- data ------------------------------------------------------------------------
    def _check(self, z, c, t, x, y, w, h):
        pix = self._pix()
        sx, sy = self._size()
        if not (0 <= z < pix.size_z and 0 <= c < pix.size_c and 0 <= t < pix.size_t):
            raise omero.ApiUsageException(
                None, None, "z=%d c=%d t=%d outside Z=%d C=%d T=%d"
                % (z, c, t, pix.size_z, pix.size_c, pix.size_t))
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > sx or y + h > sy:
            raise omero.ApiUsageException(
                None, None, "region x=%d y=%d w=%d h=%d outside the %dx%d plane"
                % (x, y, w, h, sx, sy))
        limit = self.server.options.max_message_bytes
        if w * h * pix.bytes_per_pixel > limit:
            raise omero.ApiUsageException(
                None, None, "%d bytes requested: more than the Ice message size limit "
                "of %d bytes (Ice.MessageSizeMax); read it in tiles with getTile"
                % (w * h * pix.bytes_per_pixel, limit))

    def _read(self, z, c, t, x, y, w, h):
        self._check(z, c, t, x, y, w, h)
        served, faults = self.server.count_tile(), self.server.options.tile_faults
        if faults and served % faults == 0:
            raise omero.InternalException(
                None, None, "devserver: injected tile fault (--tile-faults)")
        delay = self.server.options.tile_delay_ms
        if delay:
            time.sleep(delay / 1000.0)
        self.server.decode.hold(w * h)
        pix = self._pix()
        return self.server.cached_tile(
            (pix.id, self.index, z, c, t, x, y, w, h),
            lambda: gen.encode(gen.expected_tile(pix, z, c, t, x, y, w, h, level=self.index)))

    def getTile(self, z, c, t, x, y, w, h, current):
        return self._read(z, c, t, x, y, w, h)

    def getPlane(self, z, c, t, current):
        sx, sy = self._size()
        return self._read(z, c, t, 0, 0, sx, sy)

    def getRow(self, y, z, c, t, current):
        return self._read(z, c, t, 0, y, self._size()[0], 1)

    def getCol(self, x, z, c, t, current):
        return self._read(z, c, t, x, 0, 1, self._size()[1])

    def getPlaneRegion(self, z, c, t, count, offset, current):
        sx, _ = self._size()
        data = self.getPlane(z, c, t, current)
        bpp = self._pix().bytes_per_pixel
        return data[offset * bpp:(offset + count) * bpp]

    def getStack(self, c, t, current):
        return b"".join(self.getPlane(z, c, t, current)
                        for z in range(self._pix().size_z))

    def calculateMessageDigest(self, current):
        return b""

    def close(self, current):
        try:
            self.adapter.remove(self.identity)
        except Exception:
            pass
