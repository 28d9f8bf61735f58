"""Catalogue records -> omero.model objects, as a real server returns them.

Fidelity rules (a real OMERO does the same, and clients depend on it):
- every collection a query did not fetch comes back *unloaded* (``unloadCollections``),
  so BlitzGateway asks the server instead of believing an empty list;
- references not fetched are unloaded proxies (``ImageI(id, False)``);
- every loaded object carries details: owner, group, creation event, and permissions
  (the group's) with the *caller's* restrictions (canAnnotate, canEdit, ...).

``fetch`` is a set of names of what the query join-fetched: "owner", "group",
"pixels", "pixelsType", "channels", "fileset", "well", "plate", "acquisition",
"image", "child".
"""

from __future__ import annotations

import time
from typing import Iterable

import omero
import omero.model
from omero.rtypes import rbool, rdouble, rint, rlong, rstring, rtime

from . import catalogue as cat
from .annotation_specs import VALUE_FIELDS
from .security import Caller
from .store import AnnotationRecord, LinkRecord, Store

M = omero.model
START_MS = int(time.time() * 1000)
PIXEL_TYPE_IDS = {t: i + 1 for i, t in enumerate(cat.PIXEL_TYPES)}


class Builder:
    def __init__(self, catalogue: cat.Catalogue, caller: Caller, store: Store):
        self.cat = catalogue
        self.caller = caller
        self.store = store

    # -- details ---------------------------------------------------------------
    def _details(self, obj, owner: int, group: int, fetch: Iterable[str] = ()):
        d = obj.getDetails()
        d.setOwner(self.experimenter(owner) if "owner" in fetch
                   else M.ExperimenterI(owner, False))
        d.setGroup(self.experimenter_group(group) if "group" in fetch
                   else M.ExperimenterGroupI(group, False))
        event = M.EventI(1, True)
        event.setTime(rtime(START_MS))
        event.unloadCollections()
        d.setCreationEvent(event)
        d.setUpdateEvent(M.EventI(1, False))
        perms = M.PermissionsI(self.caller.perms(group))
        perms._restrictions = self.caller.restrictions(owner, group)
        d.setPermissions(perms)
        return obj

    def _named(self, cls, entity, fetch=()):
        """A new object of a catalogue entity that has a name and a description."""
        obj = self._new(cls, entity.id, entity.owner, entity.group, fetch)
        obj.setName(rstring(entity.name))
        obj.setDescription(rstring(entity.description) if entity.description else None)
        return obj

    def _new(self, cls, oid, owner, group, fetch=()):
        obj = cls(oid, True)
        obj.unloadCollections()
        obj.setVersion(rint(0))
        return self._details(obj, owner, group, fetch)

    # -- people ----------------------------------------------------------------
    def experimenter(self, user_id: int):
        u = self.cat.users.get(user_id)
        e = M.ExperimenterI(user_id, True)
        e.unloadCollections()
        e.setOmeName(rstring(u.name if u else "user%d" % user_id))
        e.setFirstName(rstring(u.first_name if u else ""))
        e.setLastName(rstring(u.last_name if u else ""))
        e.setLdap(rbool(False))
        e.getDetails().setPermissions(M.PermissionsI("rwr---"))
        return e

    def experimenter_group(self, group_id: int):
        g = self.cat.groups.get(group_id)
        eg = M.ExperimenterGroupI(group_id, True)
        eg.unloadCollections()
        eg.setName(rstring(g.name if g else "group%d" % group_id))
        eg.setLdap(rbool(False))
        eg.getDetails().setPermissions(M.PermissionsI(g.permissions if g else "rw----"))
        return eg

    # -- containers --------------------------------------------------------------
    def project(self, p: cat.Project, fetch=()):
        obj = self._named(M.ProjectI, p, fetch)
        return obj

    def dataset(self, d: cat.Dataset, fetch=()):
        obj = self._named(M.DatasetI, d, fetch)
        return obj

    def screen(self, s: cat.Screen, fetch=()):
        obj = self._named(M.ScreenI, s, fetch)
        return obj

    def plate(self, p: cat.Plate, fetch=()):
        obj = self._named(M.PlateI, p, fetch)
        obj.setRows(rint(p.rows))
        obj.setColumns(rint(p.columns))
        obj.setRowNamingConvention(rstring(p.row_naming))
        obj.setColumnNamingConvention(rstring(p.column_naming))
        obj.setDefaultSample(rint(0))
        return obj

    def acquisition(self, a: cat.PlateAcquisition, fetch=()):
        obj = self._new(M.PlateAcquisitionI, a.id, a.owner, a.group, fetch)
        obj.setName(rstring(a.name) if a.name else None)
        obj.setPlate(self.plate(a.plate) if "plate" in fetch
                     else M.PlateI(a.plate.id, False))
        return obj

    def well(self, w: cat.Well, fetch=()):
        fetch = set(fetch)
        obj = self._new(M.WellI, w.id, w.owner, w.group, fetch)
        obj.setRow(rint(w.row))
        obj.setColumn(rint(w.column))
        obj.setPlate(self.plate(w.plate, fetch) if "plate" in fetch
                     else M.PlateI(w.plate.id, False))
        if "wellSamples" in fetch:
            obj._wellSamplesLoaded = True
            obj._wellSamplesSeq = [self.well_sample(ws, fetch - {"well"}, well=obj)
                                   for ws in w.samples]
        return obj

    def well_sample(self, ws: cat.WellSample, fetch=(), well=None):
        fetch = set(fetch)
        obj = self._new(M.WellSampleI, ws.id, ws.owner, ws.group, fetch)
        if well is not None:
            obj.setWell(well)
        elif "well" in fetch:
            obj.setWell(self.well(ws.well, set(fetch) - {"wellSamples"}))
        else:
            obj.setWell(M.WellI(ws.well.id, False))
        obj.setImage(self.image(ws.image, fetch) if "image" in fetch
                     else M.ImageI(ws.image.id, False))
        if ws.acquisition is not None:
            obj.setPlateAcquisition(
                self.acquisition(ws.acquisition, fetch - {"plate"})
                if "acquisition" in fetch else M.PlateAcquisitionI(ws.acquisition.id,
                                                                   False))
        return obj

    def fileset(self, fs: cat.Fileset, fetch=()):
        obj = self._new(M.FilesetI, fs.id, fs.owner, fs.group, fetch)
        obj.setTemplatePrefix(rstring(fs.files[0].path if fs.files else ""))
        return obj

    def original_file(self, f: cat.OriginalFile, fetch=()):
        obj = self._new(M.OriginalFileI, f.id, f.owner, f.group, fetch)
        obj.setPath(rstring(f.path))
        obj.setName(rstring(f.name))
        obj.setRepo(rstring("ManagedRepository"))
        obj.setMimetype(rstring("application/octet-stream"))
        return obj

    # -- images --------------------------------------------------------------------
    def image(self, img: cat.Image, fetch=()):
        fetch = set(fetch)
        obj = self._named(M.ImageI, img, fetch)
        obj.setAcquisitionDate(rtime(img.acquisition_date)
                               if img.acquisition_date else None)
        obj.setArchived(rbool(False))
        obj.setPartial(rbool(False))
        obj.setSeries(rint(img.series))
        obj.setFormat(M.FormatI(1, False))
        if img.fileset is not None:
            obj.setFileset(self.fileset(img.fileset) if "fileset" in fetch
                           else M.FilesetI(img.fileset.id, False))
        if "pixels" in fetch:
            obj._pixelsLoaded = True
            obj._pixelsSeq = ([self.pixels(img, fetch)] if img.pixels is not None
                              else [])
        return obj

    def pixels(self, img: cat.Image, fetch=()):
        pix = img.pixels
        obj = self._new(M.PixelsI, pix.id, img.owner, img.group)
        for name, value in (("SizeX", pix.size_x), ("SizeY", pix.size_y),
                            ("SizeZ", pix.size_z), ("SizeC", pix.size_c),
                            ("SizeT", pix.size_t)):
            getattr(obj, "set" + name)(rint(value))
        obj.setSignificantBits(rint(cat.BITS[pix.pixel_type]))
        obj.setSha1(rstring("Pending..."))
        obj.setImage(M.ImageI(img.id, False))
        obj.setMethodology(None)
        if "pixelsType" in fetch:
            pt = M.PixelsTypeI(PIXEL_TYPE_IDS[pix.pixel_type], True)
            pt.setValue(rstring(pix.pixel_type))
            pt.setBitSize(rint(cat.BITS[pix.pixel_type]))
        else:
            pt = M.PixelsTypeI(PIXEL_TYPE_IDS[pix.pixel_type], False)
        obj.setPixelsType(pt)
        order = M.DimensionOrderI(1, True)
        order.setValue(rstring("XYZCT"))
        obj.setDimensionOrder(order)
        for axis in ("x", "y", "z"):
            if axis in pix.physical:
                value, unit = pix.physical[axis]
                getattr(obj, "setPhysicalSize" + axis.upper())(M.LengthI(value, unit))
        if "channels" in fetch:
            obj._channelsLoaded = True
            obj._channelsSeq = [self.channel(img, c, obj) for c in range(pix.size_c)]
        return obj

    def channel(self, img: cat.Image, c: int, pixels_obj=None):
        pix = img.pixels
        spec = pix.channels[c]
        obj = self._new(M.ChannelI, pix.id * 100 + c, img.owner, img.group)
        red, green, blue = (int(spec.color[i:i + 2], 16) for i in (0, 2, 4))
        obj.setRed(rint(red))
        obj.setGreen(rint(green))
        obj.setBlue(rint(blue))
        obj.setAlpha(rint(255))
        obj.setPixels(pixels_obj if pixels_obj is not None else M.PixelsI(pix.id, False))
        lc = self._new(M.LogicalChannelI, pix.id * 100 + c, img.owner, img.group)
        lc.setName(rstring(spec.name) if spec.name is not None else None)
        if spec.emission_wave is not None:
            lc.setEmissionWave(M.LengthI(float(spec.emission_wave), "NANOMETER"))
        obj.setLogicalChannel(lc)
        lo, hi = cat.type_range(pix.pixel_type)
        stats = self._new(M.StatsInfoI, pix.id * 100 + c, img.owner, img.group)
        stats.setGlobalMin(rdouble(lo))
        stats.setGlobalMax(rdouble(hi))
        obj.setStatsInfo(stats)
        return obj

    # -- annotations -----------------------------------------------------------------
    def annotation(self, a: AnnotationRecord, fetch=()):
        """The annotation's own class (TagAnnotationI, ...) with its value field."""
        obj = self._new(getattr(M, a.kind + "I"), a.id, a.owner, a.group, fetch)
        obj.setVersion(rint(a.version))
        obj.setNs(rstring(a.ns) if a.ns is not None else None)
        obj.setName(rstring(a.name) if a.name else None)
        obj.setDescription(rstring(a.description) if a.description else None)
        if a.kind == "MapAnnotation":
            obj.setMapValue([M.NamedValue(k, v) for k, v in a.values])
        else:
            name, kind = VALUE_FIELDS[a.kind]
            wrap = {str: rstring, bool: rbool, int: rlong, float: rdouble}[kind]
            setter = getattr(obj, "set" + name[0].upper() + name[1:])    # setTextValue
            setter(wrap(a.value) if a.value is not None else None)
        return obj

    def link(self, link: LinkRecord, fetch=()):
        cls = getattr(M, "%sAnnotationLinkI" % link.parent_type)
        obj = self._new(cls, link.id, link.owner, link.group, fetch)
        obj.setParent(getattr(M, "%sI" % link.parent_type)(link.parent_id, False))
        ann = self.store.annotations[link.child_id]
        obj.setChild(self.annotation(ann, {"owner"} & set(fetch))
                     if "child" in fetch else getattr(M, ann.kind + "I")(ann.id, False))
        return obj

    def container_link(self, cls, link_id, parent_cls, parent, child_cls, child,
                       fetch=()):
        obj = self._new(cls, link_id, child.owner, child.group, fetch)
        obj.setParent(parent_cls(parent.id, False) if "parent" not in fetch
                      else getattr(self, parent_cls.__name__[:-1].lower())(parent))
        obj.setChild(child_cls(child.id, False))
        return obj


def to_rtype(value):
    """Plain python -> RType, for projections."""
    if value is None:
        return None
    if isinstance(value, bool):
        return rbool(value)
    if isinstance(value, int):
        return rlong(value)
    if isinstance(value, float):
        return rdouble(value)
    return rstring(str(value))


def length_rtype(value: float, unit: str):
    """A Length as a projection answers it: the map a real server's IceMapper.toRType
    makes of an ome.model.units.Unit ({string, value, unit, symbol})."""
    symbol = M.LengthI.lookupSymbol(getattr(omero.model.enums.UnitsLength, unit))
    return omero.rtypes.rmap({"value": rdouble(float(value)), "unit": rstring(unit),
                              "symbol": rstring(symbol),
                              "string": rstring("%s %s" % (value, symbol))})
