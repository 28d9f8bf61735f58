"""Catalogue ROIs -> omero.model RoiI and its shapes (RectangleI, MaskI, ...).

Field types follow omero-model ``mappings/roi.ome.xml`` (see ``shapes.py``): geometry
and transform coefficients are RDouble, z/t/c and colours RInt, strokeWidth/fontSize
LengthI, text RString, Mask.bytes a byte sequence. What a query did not fetch comes
back unloaded, as from a real server: the ROI's image (``ImageI(id, False)``), its
annotation links, the shapes' annotation links, and a shape's ``transform`` (a
many-to-one that no OMERO query here join-fetches).

``fetch`` names what the query join-fetched: "shapes", "folderLinks", "transform",
"owner".
"""

from __future__ import annotations

import omero.model
from omero.rtypes import rbool, rdouble, rint, rstring

from . import shapes as S
from .model import Builder

M = omero.model


def roi_object(b: Builder, roi: S.Roi, fetch=()):
    obj = b._new(M.RoiI, roi.id, roi.owner, roi.group, fetch)
    obj.setName(rstring(roi.name) if roi.name is not None else None)
    obj.setDescription(rstring(roi.description) if roi.description is not None else None)
    obj.setImage(M.ImageI(roi.image_id, False))
    if "shapes" in fetch:
        obj._shapesLoaded = True
        obj._shapesSeq = [shape_object(b, s, obj, fetch) for s in roi.shapes]
    if "folderLinks" in fetch:         # fetched by findByImage; the catalogue has none
        obj._folderLinksLoaded = True
        obj._folderLinksSeq = []
    return obj


def shape_object(b: Builder, shape: S.Shape, roi_obj, fetch=()):
    roi = shape.roi
    obj = b._new(getattr(M, shape.kind + "I"), shape.id, roi.owner, roi.group)
    for name, value in shape.fields.items():
        setter = getattr(obj, "set" + name[0].upper() + name[1:])     # setRadiusX, ...
        setter(field_rtype(name, value))
    if shape.transform is not None:
        obj.setTransform(transform_object(b, shape) if "transform" in fetch
                         else M.AffineTransformI(shape.id, False))
    if shape.mask is not None:
        obj.setBytes(shape.mask.packed())
    obj.setRoi(roi_obj)
    return obj


def transform_object(b: Builder, shape: S.Shape):
    roi = shape.roi
    obj = b._new(M.AffineTransformI, shape.id, roi.owner, roi.group)   # one per shape
    for name, value in shape.transform.items():
        getattr(obj, "setA" + name[1:])(rdouble(value))
    return obj


def field_rtype(name: str, value):
    kind = S.field_kind(name)
    if kind in ("int", "color"):
        return rint(value)
    if kind == "bool":
        return rbool(value)
    if kind == "length":
        return M.LengthI(value[0], value[1])
    if kind == "double":
        return rdouble(value)
    return rstring(value)
