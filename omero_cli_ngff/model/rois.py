"""ROIs and their shapes as plain records: what OMERO stores, without OMERO.

Field names and meanings follow OMERO's model (omero-model ``mappings/roi.ome.xml``):
geometry in pixels (plain doubles), colours as RGBA packed big-endian into a signed
32-bit int, ``strokeWidth``/``fontSize`` as a Length (value + UnitsLength name), a
Polygon's or Polyline's points as ``"x,y x,y ..."`` text, a Mask's pixels as one bit
per pixel, row by row, most significant bit first, padded to whole bytes at the end
(omero-blitz ``RoiI.MaskClass``). ``the_z``/``the_t``/``the_c`` None means "every
plane/time point/channel", as in OMERO.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

#: the shape types of OMERO's model; AREA ones can become label pixels
SHAPE_KINDS = ("Rectangle", "Ellipse", "Polygon", "Mask", "Polyline", "Line", "Point",
               "Label")
AREA_KINDS = ("Rectangle", "Ellipse", "Polygon", "Mask")
#: --labels choices: which shapes become label pixels
LABEL_CHOICES = {"none": (), "masks": ("Mask",), "all": AREA_KINDS}
TRANSFORM_FIELDS = ("a00", "a10", "a01", "a11", "a02", "a12")

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Length:
    """An OMERO Length: a value and its UnitsLength name (PIXEL, POINT, MICROMETER...)."""

    value: float
    unit: str


@dataclass(frozen=True)
class ShapeRecord:
    """One shape of a ROI. ``geometry`` holds the type's doubles under OMERO's names
    (x, y, width, height, radiusX, radiusY, x1, y1, x2, y2); ``points`` a Polygon's or
    Polyline's vertices; ``mask`` a Mask's packed bits."""

    id: int
    kind: str
    geometry: dict[str, float] = field(default_factory=dict)
    points: tuple[tuple[float, float], ...] = ()
    mask: bytes | None = None
    the_z: int | None = None
    the_t: int | None = None
    the_c: int | None = None
    text: str | None = None
    fill_color: int | None = None
    stroke_color: int | None = None
    stroke_width: Length | None = None
    font_size: Length | None = None
    fill_rule: str | None = None
    stroke_dash_array: str | None = None
    font_family: str | None = None
    font_style: str | None = None
    locked: bool | None = None
    marker_start: str | None = None
    marker_end: str | None = None
    transform: tuple[float, ...] | None = None     # a00 a10 a01 a11 a02 a12

    @property
    def is_area(self) -> bool:
        return self.kind in AREA_KINDS

    def box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1): the shape's extent in pixels, transform applied."""
        return transformed_box(self.outline(), self.transform)

    def outline(self) -> list[tuple[float, float]]:
        """Points whose bounding box is the untransformed shape's (x, y)."""
        g = self.geometry
        if self.kind in ("Rectangle", "Mask"):
            return [(g["x"], g["y"]), (g["x"] + g["width"], g["y"] + g["height"]),
                    (g["x"] + g["width"], g["y"]), (g["x"], g["y"] + g["height"])]
        if self.kind == "Ellipse":
            return [(g["x"] + dx * g["radiusX"], g["y"] + dy * g["radiusY"])
                    for dx, dy in ((-1, -1), (1, 1), (-1, 1), (1, -1))]
        if self.kind == "Line":
            return [(g["x1"], g["y1"]), (g["x2"], g["y2"])]
        if self.kind in ("Polygon", "Polyline"):
            return list(self.points)
        return [(g.get("x", 0.0), g.get("y", 0.0))]

    def mask_array(self) -> np.ndarray:
        """A Mask's pixels as (height, width) booleans."""
        if self.mask is None:
            raise ValueError(f"Shape:{self.id} is not a Mask")
        w, h = mask_size(self)
        bits = np.unpackbits(np.frombuffer(self.mask, np.uint8), count=w * h)
        return bits.reshape(h, w).astype(bool)


@dataclass(frozen=True)
class RoiRecord:
    """A ROI of an image: its shapes in OMERO's order and its own annotations."""

    id: int
    image_id: int
    name: str | None = None
    description: str | None = None
    shapes: tuple[ShapeRecord, ...] = ()
    annotations: tuple[object, ...] = ()        # AnnotationRecord (annotations_meta)

    def area_shapes(self, kinds: tuple[str, ...] = AREA_KINDS) -> list[ShapeRecord]:
        return [s for s in self.shapes if s.kind in kinds]


def mask_size(shape: ShapeRecord) -> tuple[int, int]:
    """(width, height) of a Mask in whole pixels (OMERO stores doubles)."""
    return (max(0, int(round(shape.geometry["width"]))),
            max(0, int(round(shape.geometry["height"]))))


def mask_origin(shape: ShapeRecord) -> tuple[int, int]:
    """(x, y) of a Mask's first pixel: the pixel its corner lies in (omero-cli-zarr
    takes ``int(x)``, the same for a mask inside the image)."""
    return math.floor(shape.geometry["x"]), math.floor(shape.geometry["y"])


def parse_points(text: str | None) -> tuple[tuple[float, float], ...]:
    """OMERO's points text -> vertices. ``"x,y x,y ..."`` (OMERO 5.1 and later); the
    older ``"points[x,y, x,y] points1[...] ..."`` form is read from its first list."""
    if not text:
        return ()
    if "points[" in text:
        text = text.split("points[", 1)[1].split("]", 1)[0]
    numbers = [float(n) for n in _NUMBER.findall(text)]
    return tuple(zip(numbers[0::2], numbers[1::2]))


def points_text(points: tuple[tuple[float, float], ...]) -> str:
    """Vertices -> OMERO's and OME-XML's ``"x,y x,y"`` (each number exactly as stored)."""
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in points)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 2 ** 53 else repr(float(v))


def transformed_box(points: list[tuple[float, float]], transform: tuple[float, ...] | None
                    ) -> tuple[float, float, float, float]:
    """Bounding box of ``points`` after an OMERO AffineTransform (a00 a10 a01 a11 a02
    a12: x' = a00 x + a01 y + a02, y' = a10 x + a11 y + a12)."""
    if not points:
        return (0.0, 0.0, 0.0, 0.0)
    if transform is not None:
        a00, a10, a01, a11, a02, a12 = transform
        points = [(a00 * x + a01 * y + a02, a10 * x + a11 * y + a12) for x, y in points]
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def rgba(color: int | None) -> tuple[int, int, int, int] | None:
    """OMERO's signed RGBA int -> (r, g, b, a), 0-255 each."""
    if color is None:
        return None
    value = color & 0xFFFFFFFF
    return (value >> 24 & 255, value >> 16 & 255, value >> 8 & 255, value & 255)
