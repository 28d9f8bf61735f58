"""Read the ROIs of many images in a few batched queries, into plain records.

A ROI answer is an object graph that Ice sends in one message, and a real server
refuses messages over 64 MB (``Ice.MessageSizeMax=65536`` in OMERO's templates); a
Mask's bytes are width x height bits, so masks make most of an answer. The reads are
therefore planned by size: one projection counts the ROIs of every image
(ROI_COUNTS), another lists the masks' sizes (MASK_SIZES), and images are grouped
into batches whose estimated answer stays under ``BUDGET`` (an image over it is read
alone). One ROIS_OF_IMAGES query per batch then fetches the ROIs with their shapes and
transforms; should a batch still be too big for the client, it is split in two and
read again. Per 1,000 images: 2 projections, then about (ROI bytes / BUDGET) + 1
object queries; never one query per image or per shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from omero.rtypes import unwrap

from ..errors import NgffError
from ..model.rois import Length, RoiRecord, ShapeRecord, parse_points
from . import queries
from .query import BATCH, QueryRunner

#: estimated bytes of one ROI answer at most (a quarter of the 64 MB message limit:
#: the estimate is rough, and the client holds the answer while it decodes it)
BUDGET = 16 * 1024 ** 2
#: estimated bytes of a ROI and its shapes besides mask bits (object headers, fields,
#: the folder links, a transform; a long polygon costs more, hence the split)
ROI_OVERHEAD = 4096

_GEOMETRY = {
    "Rectangle": ("x", "y", "width", "height"), "Mask": ("x", "y", "width", "height"),
    "Ellipse": ("x", "y", "radiusX", "radiusY"), "Point": ("x", "y"), "Label": ("x", "y"),
    "Line": ("x1", "y1", "x2", "y2"), "Polygon": (), "Polyline": (),
}
_TEXT_FIELDS = ("fillRule", "strokeDashArray", "fontFamily", "fontStyle")


class RoisTooLarge(NgffError):
    """An image's ROIs do not fit one message of the server, even alone."""


def estimated_sizes(runner: QueryRunner, image_ids: list[int]) -> dict[int, int]:
    """Image id -> estimated bytes of its ROI answer, for the images that have ROIs."""
    sizes = {int(i): int(n) * ROI_OVERHEAD
             for i, n in runner.rows(queries.ROI_COUNTS, image_ids)}
    if sizes:
        for image_id, width, height in runner.rows(queries.MASK_SIZES, list(sizes)):
            bits = max(0, round(width or 0)) * max(0, round(height or 0))
            sizes[int(image_id)] = sizes.get(int(image_id), 0) + math.ceil(bits / 8)
    return sizes


def plan_batches(order: Iterable[int], sizes: dict[int, int], budget: int = BUDGET,
                 most: int = BATCH) -> list[list[int]]:
    """The images with ROIs, in ``order``, cut into batches of at most ``budget``
    estimated bytes and ``most`` images (an image over the budget makes a batch alone)."""
    batches: list[list[int]] = []
    current: list[int] = []
    total = 0
    for image_id in order:
        size = sizes.get(image_id)
        if size is None:
            continue
        if current and (total + size > budget or len(current) >= most):
            batches.append(current)
            current, total = [], 0
        current.append(image_id)
        total += size
    if current:
        batches.append(current)
    return batches


def fetch_rois(runner: QueryRunner, image_ids: list[int]) -> dict[int, list[RoiRecord]]:
    """Image id -> its ROIs (by ROI id), in one query; a batch the client cannot take
    in one message is split in two and read again."""
    try:
        found = runner.objects(queries.ROIS_OF_IMAGES, image_ids)
    except Exception as err:
        if type(err).__name__ != "MemoryLimitException":
            raise
        if len(image_ids) == 1:
            raise RoisTooLarge(f"Image:{image_ids[0]}: its ROIs are larger than one "
                               "message of the server (Ice.MessageSizeMax)") from None
        half = len(image_ids) // 2
        return {**fetch_rois(runner, image_ids[:half]), **fetch_rois(runner, image_ids[half:])}
    out: dict[int, list[RoiRecord]] = {i: [] for i in image_ids}
    seen: set[int] = set()
    for obj in found:
        roi = roi_record(obj)
        if roi.id not in seen:            # once, even when read group by group
            seen.add(roi.id)
            out.setdefault(roi.image_id, []).append(roi)
    for rois in out.values():
        rois.sort(key=lambda r: r.id)
    return out


def roi_record(obj: object) -> RoiRecord:
    """An omero.model.RoiI with its shapes loaded -> a RoiRecord."""
    get = _getter(obj)
    image = get("Image")
    shapes = tuple(shape_record(s) for s in (obj.copyShapes() or []))  # type: ignore[attr-defined]
    return RoiRecord(id=int(unwrap(get("Id"))), image_id=int(unwrap(image.getId())),
                     name=unwrap(get("Name")), description=unwrap(get("Description")),
                     shapes=shapes)


def shape_record(obj: object) -> ShapeRecord:
    """An omero.model shape (RectangleI, MaskI...) -> a ShapeRecord."""
    get = _getter(obj)
    kind = type(obj).__name__[:-1]              # RectangleI -> Rectangle
    geometry = {name: float(unwrap(get(name[0].upper() + name[1:])) or 0.0)
                for name in _GEOMETRY.get(kind, ())}
    text = {name: unwrap(get(name[0].upper() + name[1:])) for name in _TEXT_FIELDS}
    marked = kind in ("Line", "Polyline")
    return ShapeRecord(
        id=int(unwrap(get("Id"))), kind=kind, geometry=geometry,
        points=parse_points(unwrap(get("Points"))) if kind in ("Polygon", "Polyline") else (),
        mask=bytes(obj.getBytes() or b"") if kind == "Mask" else None,  # type: ignore[attr-defined]
        the_z=unwrap(get("TheZ")), the_t=unwrap(get("TheT")), the_c=unwrap(get("TheC")),
        text=unwrap(get("TextValue")), fill_color=unwrap(get("FillColor")),
        stroke_color=unwrap(get("StrokeColor")), stroke_width=_length(get("StrokeWidth")),
        font_size=_length(get("FontSize")), fill_rule=text["fillRule"],
        stroke_dash_array=text["strokeDashArray"], font_family=text["fontFamily"],
        font_style=text["fontStyle"], locked=unwrap(get("Locked")),
        marker_start=unwrap(get("MarkerStart")) if marked else None,
        marker_end=unwrap(get("MarkerEnd")) if marked else None,
        transform=_transform(get("Transform")))


def _getter(obj: object):
    def get(name: str):
        method = getattr(obj, "get" + name, None)
        return method() if method is not None else None
    return get


def _length(value) -> Length | None:
    if value is None:
        return None
    return Length(float(value.getValue()), str(value.getUnit()))


def _transform(value) -> tuple[float, ...] | None:
    """A loaded AffineTransform's coefficients (a00 a10 a01 a11 a02 a12)."""
    if value is None or not value.isLoaded():
        return None
    return tuple(float(unwrap(getattr(value, "getA" + n)()) or 0.0)
                 for n in ("00", "10", "01", "11", "02", "12"))
