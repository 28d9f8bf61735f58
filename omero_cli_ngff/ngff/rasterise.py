"""Shapes as pixels: which pixels of a region of a plane a ROI shape covers.

Rules (scikit-image draws every vector shape; nothing is rounded first):
- Polygon: ``skimage.draw.polygon`` of its vertices, as given (x -> column, y -> row),
  boundary pixels included: the pixels omero-cli-zarr's ``polygons`` export gives,
  without its rounding of the vertices to whole pixels.
- Rectangle: the pixels whose centre lies in [x, x + width) x [y, y + height): a
  rectangle of width w covers w columns, as the Mask of the same box does.
- Ellipse: the pixels whose centre lies strictly inside it (``skimage.draw.ellipse``
  about the centre moved by half a pixel).
- Mask: its bits at the pixel its corner lies in (``floor(x)``, ``floor(y)``).
- A transform (OMERO's AffineTransform) turns a Rectangle's or Ellipse's outline into a
  polygon (an ellipse's with a vertex every pixel or so) drawn with the pixel-centre
  rule, and moves a Polygon's vertices; a Mask follows a translation only (other
  transforms of masks are not applied).

Regions are drawn one at a time with the vertices moved by the region's origin, an
integer: the pixels are those of drawing the whole plane at once (tests compare both).
Cost: scikit-image tests every pixel of the part of a polygon's bounding box inside the
region against every edge, so a polygon of n vertices costs area x n.
"""

from __future__ import annotations

import math

import numpy as np
from skimage.draw import ellipse as sk_ellipse
from skimage.draw import polygon as sk_polygon

from ..model.rois import ShapeRecord, mask_origin, mask_size

Region = tuple[int, int, int, int]          # y, x, h, w


def shape_pixels(shape: ShapeRecord, region: Region) -> np.ndarray | None:
    """(h, w) booleans: the region's pixels the shape covers; None when none."""
    if shape.kind == "Mask":
        return _mask(shape, region)
    if shape.transform is not None and not _identity(shape.transform):
        return _transformed(shape, region)
    y, x, h, w = region
    g = shape.geometry
    out = np.zeros((h, w), bool)
    if shape.kind == "Polygon":
        if len(shape.points) < 3:
            return None
        cols = np.array([p[0] for p in shape.points], float)
        rows = np.array([p[1] for p in shape.points], float)
        rr, cc = sk_polygon(rows - y, cols - x, shape=(h, w))
    elif shape.kind == "Rectangle":
        r0, r1 = _centre_range(g["y"], g["height"], y, h)
        c0, c1 = _centre_range(g["x"], g["width"], x, w)
        if r0 >= r1 or c0 >= c1:
            return None
        out[r0:r1, c0:c1] = True
        return out
    elif shape.kind == "Ellipse":
        if g["radiusX"] <= 0 or g["radiusY"] <= 0:
            return None
        rr, cc = sk_ellipse(g["y"] - 0.5 - y, g["x"] - 0.5 - x, g["radiusY"], g["radiusX"],
                            shape=(h, w))
    else:
        return None
    if rr.size == 0:
        return None
    out[rr, cc] = True
    return out


def _centre_range(start: float, size: float, origin: int, length: int) -> tuple[int, int]:
    """The pixels of [origin, origin + length) whose centre lies in [start, start + size),
    relative to origin (clipped)."""
    first = math.ceil(start - 0.5) - origin
    stop = math.ceil(start + size - 0.5) - origin
    return max(0, first), min(length, stop)


def _identity(t: tuple[float, ...]) -> bool:
    return tuple(t) == (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _outline(shape: ShapeRecord) -> list[tuple[float, float]]:
    g = shape.geometry
    if shape.kind == "Rectangle":
        x, y, w, h = g["x"], g["y"], g["width"], g["height"]
        return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    if shape.kind == "Ellipse":
        n = max(32, math.ceil(2 * math.pi * max(g["radiusX"], g["radiusY"])))
        return [(g["x"] + g["radiusX"] * math.cos(a), g["y"] + g["radiusY"] * math.sin(a))
                for a in np.linspace(0, 2 * math.pi, n, endpoint=False)]
    return list(shape.points)


def _transformed(shape: ShapeRecord, region: Region) -> np.ndarray | None:
    assert shape.transform is not None
    a00, a10, a01, a11, a02, a12 = shape.transform
    points = _outline(shape)
    if len(points) < 3:
        return None
    cols = np.array([a00 * px + a01 * py + a02 for px, py in points])
    rows = np.array([a10 * px + a11 * py + a12 for px, py in points])
    shift = 0.0 if shape.kind == "Polygon" else 0.5     # pixel-centre rule of boxes
    y, x, h, w = region
    rr, cc = sk_polygon(rows - shift - y, cols - shift - x, shape=(h, w))
    if rr.size == 0:
        return None
    out = np.zeros((h, w), bool)
    out[rr, cc] = True
    return out


def _mask(shape: ShapeRecord, region: Region) -> np.ndarray | None:
    """A Mask's bits in the region, unpacking only the rows that fall in it."""
    y, x, h, w = region
    mw, mh = mask_size(shape)
    mx, my = mask_origin(shape)
    t = shape.transform
    if t is not None and tuple(t[:4]) == (1.0, 0.0, 0.0, 1.0):
        mx, my = math.floor(shape.geometry["x"] + t[4]), math.floor(shape.geometry["y"] + t[5])
    r0, r1 = max(y, my), min(y + h, my + mh)
    c0, c1 = max(x, mx), min(x + w, mx + mw)
    if r0 >= r1 or c0 >= c1 or not shape.mask:
        return None
    first_bit = (r0 - my) * mw
    last_bit = (r1 - my) * mw
    raw = np.frombuffer(shape.mask, np.uint8)[first_bit // 8: -(-last_bit // 8)]
    bits = np.unpackbits(raw)[first_bit % 8: first_bit % 8 + last_bit - first_bit]
    if bits.size < last_bit - first_bit:          # fewer bytes than the size says
        bits = np.concatenate([bits, np.zeros(last_bit - first_bit - bits.size, np.uint8)])
    rows = bits.reshape(r1 - r0, mw)[:, c0 - mx:c1 - mx]
    out = np.zeros((h, w), bool)
    out[r0 - y:r1 - y, c0 - x:c1 - x] = rows.astype(bool)
    return out if out.any() else None
