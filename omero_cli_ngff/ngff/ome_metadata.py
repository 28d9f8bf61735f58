"""An image's ROIs, annotations, description and acquisition date in its OME-XML, built
with ome-types from plain records, and read back (``metadata_of``).

Built like omero-cli-transfer's ``generate_xml`` (the project's chosen tool for OME-XML
out of OMERO) maps OMERO to OME: ids ``ROI:<id>``/``Shape:<id>``/``Annotation:<id>``
linked by ROIRef/AnnotationRef, a shape's textValue as Text, a MapAnnotation's pairs
as ``M`` elements. Its code itself is not called, for three reasons:
- it walks the server object by object (``findByImage`` per image, then
  ``getObject('Roi')`` and ``listAnnotations()`` per ROI: 1 + 2 x ROIs round trips per
  image, 60,000 for 1,000 slides of 30 ROIs), where this tool reads a project in a
  few batched queries (``omero_io.image_metadata``);
- its builders take omero.model objects, which the writer (this package) never sees:
  it takes plain records, so that it is testable without a server;
- it leaves out what this copy must carry: Mask shapes ("not a supported ROI type"),
  Boolean, Double and Term annotations, the namespaces of tags and comments,
  descriptions, transforms, fonts, fill rules and dash arrays, stroke width units; and
  it turns a shape's missing theC (every channel) into channel 0.
The OME schema has no place for an annotation's ``name`` (OMERO's): it is not written.
"""

from __future__ import annotations

import base64
from typing import Any

from ome_types import model as m

from ..model.annotations_meta import AnnotationRecord, ImageMetadata
from ..model.rois import Length, RoiRecord, ShapeRecord, parse_points, points_text

_GEOMETRY = {"Rectangle": ("x", "y", "width", "height"), "Mask": ("x", "y", "width", "height"),
             "Ellipse": ("x", "y", "radius_x", "radius_y"), "Point": ("x", "y"),
             "Label": ("x", "y"), "Line": ("x1", "y1", "x2", "y2")}
_OMERO_NAMES = {"radius_x": "radiusX", "radius_y": "radiusY"}
_ENUMS: dict[str, Any] = {"font_family": m.Shape_FontFamily, "font_style": m.Shape_FontStyle,
                          "fill_rule": m.Shape_FillRule, "marker_start": m.Marker,
                          "marker_end": m.Marker}


def _ref_id(prefix: str, oid: int) -> str:
    return f"{prefix}:{oid}"


def _oid(ref: str) -> int:
    return int(ref.rsplit(":", 1)[1])


# -- records -> OME ----------------------------------------------------------------------

def annotation_model(rec: AnnotationRecord) -> Any:
    """An ome-types annotation of the record's kind (Map, Tag, Comment, ...)."""
    common: dict[str, Any] = {"id": _ref_id("Annotation", rec.id), "namespace": rec.namespace,
                              "description": rec.description}
    if rec.kind == "MapAnnotation":
        return m.MapAnnotation(**common, value=m.Map(ms=[m.Map.M(k=k, value=v)
                                                         for k, v in rec.pairs]))
    return getattr(m, rec.kind)(**common, value=rec.value)


def _enum(name: str, text: str | None) -> Any:
    """An OME enumeration value from OMERO's free text (case ignored); None if none."""
    if text is None:
        return None
    for member in _ENUMS[name]:
        if member.value.lower() == text.lower().replace("_", ""):
            return member
    return None


def _length(name: str, length: Length | None) -> dict[str, Any]:
    if length is None:
        return {}
    out: dict[str, Any] = {name: length.value}
    if length.unit in m.UnitsLength.__members__:
        out[name + "_unit"] = m.UnitsLength[length.unit]
    return out


def shape_model(shape: ShapeRecord) -> Any:
    """An ome-types shape of the record's kind."""
    args: dict[str, Any] = {"id": _ref_id("Shape", shape.id), "the_z": shape.the_z,
                            "the_t": shape.the_t, "the_c": shape.the_c, "text": shape.text,
                            "locked": shape.locked, "stroke_dash_array": shape.stroke_dash_array}
    for name in ("fill_color", "stroke_color"):
        if getattr(shape, name) is not None:
            args[name] = m.Color(getattr(shape, name))
    for name in ("font_family", "font_style", "fill_rule"):
        args[name] = _enum(name, getattr(shape, name))
    if shape.kind in ("Line", "Polyline"):
        args["marker_start"] = _enum("marker_start", shape.marker_start)
        args["marker_end"] = _enum("marker_end", shape.marker_end)
    args.update(_length("stroke_width", shape.stroke_width))
    args.update(_length("font_size", shape.font_size))
    if shape.transform is not None:
        args["transform"] = m.AffineTransform(**dict(zip(
            ("a00", "a10", "a01", "a11", "a02", "a12"), shape.transform)))
    for name in _GEOMETRY.get(shape.kind, ()):
        args[name] = shape.geometry[_OMERO_NAMES.get(name, name)]
    if shape.kind in ("Polygon", "Polyline"):
        args["points"] = points_text(shape.points)
    if shape.kind == "Mask":
        data = shape.mask or b""
        args["bin_data"] = m.BinData(value=data, big_endian=True,
                                     length=len(base64.b64encode(data)))
    return getattr(m, shape.kind)(**{k: v for k, v in args.items() if v is not None})


def add_metadata(ome: Any, image: Any, metadata: ImageMetadata) -> None:
    """Put the image's description, date, annotations and ROIs into ``ome`` (an
    ome_types.OME) and their references on ``image`` (one of its images)."""
    image.description = metadata.description
    image.acquisition_date = metadata.acquisition_date
    known = {a.id for a in ome.structured_annotations}

    def annotate(target: Any, annotations: Any) -> None:
        for rec in annotations:
            if not isinstance(rec, AnnotationRecord):
                continue
            ann = annotation_model(rec)
            if ann.id not in known:
                known.add(ann.id)
                ome.structured_annotations.append(ann)
            target.annotation_refs.append(m.AnnotationRef(id=ann.id))

    annotate(image, metadata.annotations)
    for roi in metadata.rois:
        union: Any = [shape_model(s) for s in roi.shapes]
        model = m.ROI(id=_ref_id("ROI", roi.id), name=roi.name, description=roi.description,
                      union=union)
        annotate(model, roi.annotations)
        ome.rois.append(model)
        image.roi_refs.append(m.ROIRef(id=model.id))


# -- OME -> records ----------------------------------------------------------------------

def annotation_record(ann: Any) -> AnnotationRecord:
    kind = type(ann).__name__
    common = {"id": _oid(ann.id), "kind": kind, "namespace": ann.namespace,
              "description": ann.description}
    if kind == "MapAnnotation":
        return AnnotationRecord(**common, pairs=tuple((p.k or "", p.value)
                                                      for p in ann.value.ms))
    return AnnotationRecord(**common, value=ann.value)


def _shape_text(value: Any) -> str | None:
    return None if value is None else getattr(value, "value", value)


def shape_record(shape: Any) -> ShapeRecord:
    kind = type(shape).__name__
    geometry = {_OMERO_NAMES.get(n, n): float(getattr(shape, n))
                for n in _GEOMETRY.get(kind, ())}
    lengths = {}
    for name in ("stroke_width", "font_size"):
        value = getattr(shape, name)
        unit = getattr(shape, name + "_unit")
        lengths[name] = None if value is None else Length(float(value), unit.name)
    t = shape.transform
    return ShapeRecord(
        id=_oid(shape.id), kind=kind, geometry=geometry,
        points=parse_points(getattr(shape, "points", None)),
        mask=shape.bin_data.value if kind == "Mask" else None,
        the_z=shape.the_z, the_t=shape.the_t, the_c=shape.the_c, text=shape.text,
        fill_color=int(shape.fill_color) if shape.fill_color is not None else None,
        stroke_color=int(shape.stroke_color) if shape.stroke_color is not None else None,
        font_family=_shape_text(shape.font_family), font_style=_shape_text(shape.font_style),
        fill_rule=_shape_text(shape.fill_rule), stroke_dash_array=shape.stroke_dash_array,
        locked=shape.locked, marker_start=_shape_text(getattr(shape, "marker_start", None)),
        marker_end=_shape_text(getattr(shape, "marker_end", None)),
        transform=None if t is None else (t.a00, t.a10, t.a01, t.a11, t.a02, t.a12), **lengths)


def metadata_of(ome: Any, index: int = 0) -> ImageMetadata:
    """The metadata of image ``index`` of an OME-XML document, as records. A ROI's
    shapes come in id order: ome-types keeps a Union's shapes grouped by type, so the
    XML does not keep OMERO's order across types (the ids say which shape is which)."""
    image = ome.images[index]
    anns = {a.id: a for a in ome.structured_annotations}
    rois = {r.id: r for r in ome.rois}

    def records(refs: Any) -> list[AnnotationRecord]:
        return [annotation_record(anns[ref.id]) for ref in refs if ref.id in anns]

    roi_records = [RoiRecord(id=_oid(r.id), image_id=-1, name=r.name, description=r.description,
                             shapes=tuple(sorted((shape_record(s) for s in r.union),
                                                 key=lambda s: s.id)),
                             annotations=tuple(records(r.annotation_refs)))
                   for r in (rois[ref.id] for ref in image.roi_refs if ref.id in rois)]
    return ImageMetadata(image_id=-1, description=image.description,
                         acquisition_date=image.acquisition_date,
                         annotations=records(image.annotation_refs), rois=roi_records)
