"""RenderingEngine: the rendering settings of the catalogue (channel windows, colours,
active flags, default Z/T, model), enough for BlitzGateway's channel API and for
omero-cli-zarr's ``omero`` metadata. It does not render images.

Settings changed through the engine live in the engine only; ``saveCurrentSettings``
is accepted (and refused on a read-only server) but not stored.
"""

from __future__ import annotations

import copy

import omero
import omero.api
import omero.model
import omero.romio
from omero.rtypes import rstring

from .. import catalogue as cat
from .base import Service


def _enum(cls, value, oid=1):
    e = cls(oid, True)
    e.setValue(rstring(value))
    return e


class RenderingEngineService(Service):
    def __init__(self, server, session, adapter, identity):
        super().__init__(server, session)
        self.adapter = adapter
        self.identity = identity
        self.image = None
        self.channels = None
        self.default_z = self.default_t = 0
        self.model = "rgb"
        self.loaded = False

    def _img(self):
        if self.image is None:
            raise omero.ApiUsageException(None, None, "lookupPixels has not been called")
        return self.image

    def _ch(self, c):
        if not self.loaded:
            raise omero.ApiUsageException(None, None, "load() has not been called")
        if not 0 <= c < len(self.channels):
            raise omero.ApiUsageException(None, None, "no channel %d" % c)
        return self.channels[c]

    # -- lookup and load ---------------------------------------------------------------
    def lookupPixels(self, pid, current):
        # RenderingBean.lookupPixels reads the pixels description only: a pyramid
        # still being built shows up at load(), when the pixel buffer is opened
        self.image = self.readable_image(pid, current)

    def lookupRenderingDef(self, pid, current):
        """False when neither the caller nor the image's owner has rendering settings
        (RenderingBean.lookupRenderingDef, PixelsImpl.retrieveRndSettings)."""
        return self._has_settings()

    def _has_settings(self):
        pix = self._img().pixels
        return pix.rendering_def or pix.id in self.store.created_rendering_defs

    def loadRenderingDef(self, rdid, current):
        self._img()

    def resetDefaultSettings(self, save, current):
        """RenderingBean.internalReset: with ``save`` (and no settings looked up) new
        settings are created and saved, a write (refused by a read-only server)."""
        if save:
            self.refuse_if_read_only()
            self.store.created_rendering_defs[self._img().pixels.id] = self.session.user.id
            return self._img().pixels.id
        self.load(current)
        return self._img().pixels.id

    def getRenderingDefId(self, current):
        if not self._has_settings():
            raise omero.ApiUsageException(None, None, "No rendering definition loaded")
        return self._img().pixels.id

    def load(self, current):
        """RenderingBean.load opens the pixel buffer: MissingPyramidException while the
        pyramid is built; without rendering settings it refuses."""
        img = self._img()
        if not self._has_settings():
            raise omero.ApiUsageException(
                None, None, "No rendering definition loaded: call lookupRenderingDef, "
                "or resetDefaultSettings(True) to create one")
        self.check_pyramid(img)
        pix = img.pixels
        self.channels = [copy.copy(c) for c in pix.channels]
        self.default_z, self.default_t = pix.default_z, pix.default_t
        self.model = pix.model
        self.loaded = True

    def getPixels(self, current):
        img = self._img()
        return self.builder(current).pixels(img, {"pixelsType", "channels"})

    # -- image-level settings --------------------------------------------------------
    def getDefaultZ(self, current):
        return self.default_z

    def getDefaultT(self, current):
        return self.default_t

    def setDefaultZ(self, z, current):
        self.default_z = z

    def setDefaultT(self, t, current):
        self.default_t = t

    def getModel(self, current):
        return _enum(omero.model.RenderingModelI, self.model,
                     1 if self.model == "greyscale" else 2)

    def setModel(self, model, current):
        self.model = model.getValue().getValue()

    def getAvailableModels(self, current):
        return [_enum(omero.model.RenderingModelI, "greyscale", 1),
                _enum(omero.model.RenderingModelI, "rgb", 2)]

    def getAvailableFamilies(self, current):
        return [_enum(omero.model.FamilyI, f, i + 1) for i, f in
                enumerate(("linear", "polynomial", "exponential", "logarithmic"))]

    def getCompressionLevel(self, current):
        return 0.9

    def setCompressionLevel(self, level, current):
        pass

    def getQuantumDef(self, current):
        q = omero.model.QuantumDefI(self._img().pixels.id, True)
        q.setCdStart(omero.rtypes.rint(0))
        q.setCdEnd(omero.rtypes.rint(255))
        q.setBitResolution(omero.rtypes.rint(255))
        return q

    # -- channels --------------------------------------------------------------------
    def isActive(self, c, current):
        return self._ch(c).active

    def setActive(self, c, active, current):
        self._ch(c).active = active

    def getRGBA(self, c, current):
        color = self._ch(c).color
        return [int(color[i:i + 2], 16) for i in (0, 2, 4)] + [255]

    def setRGBA(self, c, r, g, b, a, current):
        self._ch(c).color = "%02X%02X%02X" % (r, g, b)

    def getChannelWindowStart(self, c, current):
        return float(self._ch(c).window[0])

    def getChannelWindowEnd(self, c, current):
        return float(self._ch(c).window[1])

    def setChannelWindow(self, c, start, end, current):
        self._ch(c).window = (start, end)

    def getChannelFamily(self, c, current):
        return _enum(omero.model.FamilyI, self._ch(c).family)

    def getChannelCurveCoefficient(self, c, current):
        return self._ch(c).coefficient

    def getChannelNoiseReduction(self, c, current):
        return False

    def getChannelStats(self, c, current):
        lo, hi = cat.type_range(self._img().pixels.pixel_type)
        return [float(lo), float(hi)]

    def getChannelLookupTable(self, c, current):
        return ""

    def setChannelLookupTable(self, c, lut, current):
        pass

    def getCodomainMapContext(self, c, current):
        if self._ch(c).inverted:
            return [omero.model.ReverseIntensityContextI()]
        return []

    def setQuantumStrategy(self, bits, current):
        pass

    def setCodomainInterval(self, start, end, current):
        pass

    def setQuantizationMap(self, c, family, coefficient, noise, current):
        ch = self._ch(c)
        ch.family = family.getValue().getValue()
        ch.coefficient = coefficient

    # -- pixel type bounds --------------------------------------------------------------
    def isPixelsTypeSigned(self, current):
        return self._img().pixels.pixel_type in ("int8", "int16", "int32", "float",
                                                 "double")

    def getPixelsTypeLowerBound(self, c, current):
        return float(cat.type_range(self._img().pixels.pixel_type)[0])

    def getPixelsTypeUpperBound(self, c, current):
        return float(cat.type_range(self._img().pixels.pixel_type)[1])

    # -- pyramid ----------------------------------------------------------------------------
    def getResolutionLevels(self, current):
        return self._img().pixels.levels

    def getResolutionDescriptions(self, current):
        return [omero.api.ResolutionDescription(x, y)
                for x, y in self._img().pixels.level_sizes]

    def getResolutionLevel(self, current):
        return self._img().pixels.levels - 1

    def setResolutionLevel(self, level, current):
        pass

    def requiresPixelsPyramid(self, current):
        return self._img().pixels.levels > 1

    def getTileSize(self, current):
        return list(self._img().pixels.tile_size)

    # -- saving ---------------------------------------------------------------------------
    def saveCurrentSettings(self, current):
        self.refuse_if_read_only()

    def saveAsNewSettings(self, current):
        self.refuse_if_read_only()
        return self._img().pixels.id

    def close(self, current):
        try:
            self.adapter.remove(self.identity)
        except Exception:
            pass
