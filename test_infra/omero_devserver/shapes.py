"""ROIs and their shapes in the catalogue: records, YAML syntax, mask bits.

Plain data, no Ice: test processes import it. Field names, types and units are OMERO's,
from omero-model ``src/main/resources/mappings/roi.ome.xml`` (read from the
snoopycrimecop/omero-model mirror of ome/omero-model):

- Roi: ``name``, ``description``, ``image``, ``shapes`` (an ordered list);
- every Shape: ``theZ``/``theT``/``theC`` (int), ``locked`` (boolean), ``fillColor`` and
  ``strokeColor`` (int: RGBA packed big-endian into a *signed* 32-bit int),
  ``fillRule``/``strokeDashArray``/``fontFamily``/``fontStyle`` (string),
  ``strokeWidth`` and ``fontSize`` (``ome.model.units.Length``), ``transform`` (an
  AffineTransform ``a00 a10 a01 a11 a02 a12``), ``textValue`` (text);
- geometry is plain double, *not* Length: Rectangle/Mask ``x y width height``, Ellipse
  ``x y radiusX radiusY``, Point/Label ``x y``, Line ``x1 y1 x2 y2``; Polygon/Polyline
  ``points`` is text (``"x,y x,y ..."``); Line/Polyline ``markerStart``/``markerEnd``;
- Mask ``bytes``: one bit per pixel, row by row, most significant bit first, padded to
  whole bytes (omero-blitz ``RoiI.MaskClass.asBytes``/``setBit``; omero-cli-zarr
  ``masks.py`` reads it back with ``np.unpackbits`` and ``reshape(h, w)``).

YAML, under an image's ``rois:`` (a Length is ``[value, UNIT]``, no default unit)::

  - name: nucleus 1
    description: drawn by hand
    shapes:
      - {type: Rectangle, x: 10, y: 20, width: 100, height: 50, theZ: 0, theT: 0,
         strokeColor: "#FF0000FF", fillColor: -16777088, strokeWidth: [2, PIXEL],
         textValue: A, transform: {a00: 1, a10: 0, a01: 0, a11: 1, a02: 5, a12: 5}}
      - {type: Polygon, points: [[10, 10], [50, 10], [30, 40]]}   # or "10,10 50,10 30,40"
      - {type: Label, x: 5, y: 5, textValue: hello, fontSize: [12, POINT]}
      - {type: Mask, x: 0, y: 0, width: 8, height: 2, bits: ["11110000", "00001111"]}
      - {type: Mask, x: 64, y: 64, width: 512, height: 512, pattern: disc}  # full, checker
    annotations: [...]          # as on images
  - {count: 30, masks: 10, maskSize: [512, 512]}       # a generator, see expand_rois
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

GEOMETRY = {
    "Rectangle": ("x", "y", "width", "height"),
    "Mask": ("x", "y", "width", "height"),
    "Ellipse": ("x", "y", "radiusX", "radiusY"),
    "Point": ("x", "y"),
    "Label": ("x", "y"),
    "Line": ("x1", "y1", "x2", "y2"),
    "Polygon": ("points",),
    "Polyline": ("points",),
}
SHAPE_TYPES = tuple(GEOMETRY)
MARKED = ("Line", "Polyline")             # the types with markerStart/markerEnd
# Fields every shape type has, and how each is typed (roi.ome.xml).
COMMON = {"theZ": "int", "theT": "int", "theC": "int", "locked": "bool",
          "fillColor": "color", "strokeColor": "color", "fillRule": "string",
          "strokeDashArray": "string", "fontFamily": "string", "fontStyle": "string",
          "strokeWidth": "length", "fontSize": "length", "textValue": "string"}
TRANSFORM_FIELDS = ("a00", "a10", "a01", "a11", "a02", "a12")
MASK_PATTERNS = ("disc", "full", "checker")
# omero.model.enums.UnitsLength, the names a Length may carry
LENGTH_UNITS = (
    "YOTTAMETER", "ZETTAMETER", "EXAMETER", "PETAMETER", "TERAMETER", "GIGAMETER",
    "MEGAMETER", "KILOMETER", "HECTOMETER", "DECAMETER", "METER", "DECIMETER",
    "CENTIMETER", "MILLIMETER", "MICROMETER", "NANOMETER", "PICOMETER", "FEMTOMETER",
    "ATTOMETER", "ZEPTOMETER", "YOCTOMETER", "ANGSTROM", "ASTRONOMICALUNIT", "LIGHTYEAR",
    "PARSEC", "THOU", "LINE", "INCH", "FOOT", "YARD", "MILE", "POINT", "PIXEL",
    "REFERENCEFRAME")


class ShapeError(ValueError):
    """A ROI or shape spec is wrong (the catalogue adds where)."""


def field_kind(name: str) -> str:
    """How an OMERO shape field is typed: int, bool, color, string, length, double,
    text (points) or marker."""
    if name in COMMON:
        return COMMON[name]
    if name == "points":
        return "text"
    if name in ("markerStart", "markerEnd"):
        return "string"
    return "double"


# --------------------------------------------------------------------------- records

@dataclass(frozen=True)
class MaskBits:
    """The pixels of a Mask: explicit rows of 0/1, or a named pattern made on demand
    (a benchmark's 10,000 masks of 512 x 512 would not fit in memory otherwise)."""
    width: int
    height: int
    pattern: str = "rows"
    rows: Tuple[str, ...] = ()

    def array(self) -> np.ndarray:
        return _mask_array(self)

    def packed(self) -> bytes:
        """OMERO's Mask.bytes."""
        return _packed(self)


@dataclass(eq=False)
class Shape:
    kind: str                                  # Rectangle, Ellipse, ... (SHAPE_TYPES)
    fields: Dict[str, object]                  # OMERO field name -> value
    id: Optional[int] = None
    transform: Optional[Dict[str, float]] = None
    mask: Optional[MaskBits] = None
    roi: Optional["Roi"] = None


@dataclass(eq=False)
class Roi:
    id: Optional[int] = None
    owner: int = 0
    group: int = 0
    name: Optional[str] = None
    description: Optional[str] = None
    image: object = None                       # the catalogue Image
    shapes: List[Shape] = field(default_factory=list)

    @property
    def image_id(self) -> int:
        return self.image.id


# --------------------------------------------------------------------------- parsing

def parse_roi(spec: dict) -> Roi:
    """One ROI spec (not a generator) -> a Roi with its shapes (ids come later)."""
    unknown = set(spec) - {"id", "name", "description", "shapes", "annotations"}
    if unknown:
        raise ShapeError("unknown ROI keys %s" % sorted(unknown))
    shapes = spec.get("shapes") or []
    if not shapes:
        raise ShapeError("a ROI needs shapes (OMERO's findByImage skips empty ROIs)")
    roi = Roi(name=_opt_str(spec.get("name")), description=_opt_str(spec.get("description")))
    for s in shapes:
        shape = parse_shape(s)
        shape.roi = roi
        roi.shapes.append(shape)
    return roi


def parse_shape(spec: dict) -> Shape:
    kind = spec.get("type")
    if kind not in GEOMETRY:
        raise ShapeError("shape type %r is not one of %s" % (kind, SHAPE_TYPES))
    allowed = set(COMMON) | set(GEOMETRY[kind]) | {"type", "id", "transform"}
    if kind in MARKED:
        allowed |= {"markerStart", "markerEnd"}
    if kind == "Mask":
        allowed |= {"bits", "pattern"}
    unknown = set(spec) - allowed
    if unknown:
        raise ShapeError("unknown %s keys %s" % (kind, sorted(unknown)))
    missing = [g for g in GEOMETRY[kind] if spec.get(g) is None]
    if missing:
        raise ShapeError("%s needs %s" % (kind, ", ".join(missing)))
    fields = {name: _value(name, v) for name, v in spec.items()
              if name not in ("type", "id", "transform", "bits", "pattern")}
    shape = Shape(kind, fields, id=spec.get("id"))
    if spec.get("transform") is not None:
        shape.transform = _transform(spec["transform"])
    if kind == "Mask":
        shape.mask = _mask_bits(spec, int(fields["width"]), int(fields["height"]))
    return shape


def _value(name, v):
    kind = field_kind(name)
    if kind == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            raise ShapeError("%s must be an integer, not %r" % (name, v))
        return v
    if kind == "bool":
        if not isinstance(v, bool):
            raise ShapeError("%s must be true or false, not %r" % (name, v))
        return v
    if kind == "color":
        return color_int(v)
    if kind == "length":
        return _length(name, v)
    if kind == "text":
        return points_text(v)
    if kind == "double":
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ShapeError("%s must be a number, not %r" % (name, v))
        return float(v)
    return str(v)


def color_int(v) -> int:
    """A colour as OMERO stores it: RGBA packed big-endian into a signed 32-bit int
    (the ``rgba_to_int`` of OMERO's Python examples and of omero-web's tests).
    Accepts that int, an unsigned 0xRRGGBBAA, or "#RRGGBBAA" / "#RRGGBB" (alpha 255)."""
    if isinstance(v, str):
        text = v.lstrip("#")
        if len(text) == 6:
            text += "FF"
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = b""
        if len(raw) != 4:
            raise ShapeError("colour %r is not #RRGGBB or #RRGGBBAA" % v)
        return int.from_bytes(raw, "big", signed=True)
    if isinstance(v, bool) or not isinstance(v, int) or not -2 ** 31 <= v < 2 ** 32:
        raise ShapeError("colour %r is not a 32-bit RGBA integer" % (v,))
    return v - 2 ** 32 if v >= 2 ** 31 else v


def _length(name, v) -> Tuple[float, str]:
    if (not isinstance(v, (list, tuple)) or len(v) != 2 or isinstance(v[0], bool)
            or not isinstance(v[0], (int, float)) or v[1] not in LENGTH_UNITS):
        raise ShapeError("%s is a Length: [value, UNIT] with a UnitsLength name, not %r"
                         % (name, v))
    return float(v[0]), str(v[1])


def points_text(v) -> str:
    """OMERO's points text ("x,y x,y ..."), from that text or a list of [x, y]."""
    if isinstance(v, str):
        return v
    try:
        return " ".join("%s,%s" % (_num(x), _num(y)) for x, y in v)
    except (TypeError, ValueError):
        raise ShapeError("points must be text or a list of [x, y], not %r" % (v,))


def _num(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(v)
    return v


def _transform(v) -> Dict[str, float]:
    if not isinstance(v, dict) or set(v) != set(TRANSFORM_FIELDS):
        raise ShapeError("transform needs exactly %s" % ", ".join(TRANSFORM_FIELDS))
    return {k: float(v[k]) for k in TRANSFORM_FIELDS}


def _mask_bits(spec, width, height) -> MaskBits:
    if width <= 0 or height <= 0 or width != spec["width"] or height != spec["height"]:
        raise ShapeError("a Mask's width and height are whole numbers of pixels")
    if ("bits" in spec) == ("pattern" in spec):
        raise ShapeError("a Mask needs bits (rows of 0/1) or a pattern %s"
                         % (MASK_PATTERNS,))
    if "pattern" in spec:
        if spec["pattern"] not in MASK_PATTERNS:
            raise ShapeError("mask pattern %r is not one of %s"
                             % (spec["pattern"], MASK_PATTERNS))
        return MaskBits(width, height, spec["pattern"])
    rows = tuple(str(r) for r in spec["bits"])
    if len(rows) != height or any(len(r) != width or set(r) - {"0", "1"} for r in rows):
        raise ShapeError("mask bits must be %d rows of %d characters 0/1"
                         % (height, width))
    return MaskBits(width, height, "rows", rows)


def _opt_str(v) -> Optional[str]:
    return None if v is None else str(v)


# --------------------------------------------------------------------------- masks

@lru_cache(maxsize=64)
def _mask_array(bits: MaskBits) -> np.ndarray:
    h, w = bits.height, bits.width
    if bits.pattern == "rows":
        arr = np.array([[c == "1" for c in row] for row in bits.rows], dtype=bool)
    elif bits.pattern == "full":
        arr = np.ones((h, w), dtype=bool)
    elif bits.pattern == "checker":
        yy, xx = np.indices((h, w))
        arr = (yy + xx) % 2 == 0
    else:                                    # disc: the ellipse inscribed in the box
        yy, xx = np.indices((h, w))
        arr = (((xx + 0.5 - w / 2) / (w / 2)) ** 2
               + ((yy + 0.5 - h / 2) / (h / 2)) ** 2) <= 1.0
    arr.setflags(write=False)
    return arr


@lru_cache(maxsize=64)
def _packed(bits: MaskBits) -> bytes:
    return np.packbits(_mask_array(bits).ravel(), bitorder="big").tobytes()


# --------------------------------------------------------------------------- generator

GENERATED_CYCLE = ("Rectangle", "Ellipse", "Polygon", "Polyline", "Line", "Point", "Label")
GENERATED_COLORS = ("#FFFF00FF", "#00FFFFFF", "#FF00FFFF", "#FFFFFFFF")


def expand_rois(specs, size_x: int, size_y: int, size_z: int = 1) -> Iterator[dict]:
    """ROI specs with generators expanded. A generator ``{count: N, masks: M,
    maskSize: [w, h]}`` (``name`` a template over ``i``) makes N ROIs of one shape each:
    the first M hold a Mask (pattern disc, maskSize clipped to the image), the others
    cycle through GENERATED_CYCLE; shapes sit at deterministic places in the image, on
    plane theZ = i % sizeZ, theT = 0."""
    for spec in specs:
        if "count" not in spec:
            yield spec
            continue
        unknown = set(spec) - {"count", "masks", "maskSize", "name"}
        if unknown:
            raise ShapeError("unknown ROI generator keys %s" % sorted(unknown))
        count, masks = int(spec["count"]), int(spec.get("masks", 0))
        if not 0 <= masks <= count:
            raise ShapeError("a ROI generator's masks must be between 0 and count")
        mask_size = spec.get("maskSize", [64, 64])
        for i in range(count):
            kind = "Mask" if i < masks else GENERATED_CYCLE[(i - masks) % len(GENERATED_CYCLE)]
            shape = _generated_shape(i, kind, mask_size, size_x, size_y, size_z)
            yield {"name": str(spec.get("name", "ROI {i}")).format(i=i), "shapes": [shape]}


def _generated_shape(i, kind, mask_size, size_x, size_y, size_z) -> dict:
    if kind == "Mask":
        w, h = min(int(mask_size[0]), size_x), min(int(mask_size[1]), size_y)
    else:
        w, h = min(64, size_x), min(48, size_y)
    x = float((i * 173) % max(1, size_x - w + 1))
    y = float((i * 97) % max(1, size_y - h + 1))
    common = {"theZ": i % max(1, size_z), "theT": 0,
              "strokeColor": GENERATED_COLORS[i % len(GENERATED_COLORS)]}
    if kind == "Mask":
        return dict(common, type="Mask", x=x, y=y, width=w, height=h, pattern="disc")
    box = {"Rectangle": dict(x=x, y=y, width=w, height=h),
           "Ellipse": dict(x=x + w / 2, y=y + h / 2, radiusX=w / 2, radiusY=h / 2),
           "Polygon": dict(points=[[x, y + h], [x + w / 2, y], [x + w, y + h]]),
           "Polyline": dict(points=[[x, y], [x + w / 2, y + h], [x + w, y]]),
           "Line": dict(x1=x, y1=y, x2=x + w, y2=y + h),
           "Point": dict(x=x + w / 2, y=y + h / 2),
           "Label": dict(x=x, y=y, textValue="label %d" % i, fontSize=[12, "POINT"])}
    return dict(common, type=kind, **box[kind])
