"""ROIs as NGFF labels: ``<image>/labels/rois``, one label image holding the image's ROIs.

Values: each ROI with at least one area shape of the kinds asked for (Mask, or Mask,
Polygon, Rectangle and Ellipse) gets one label value, 1, 2, ... in the order of ROI
ids; every shape of the ROI is drawn with it (``rasterise`` says how), on its plane
(``theZ``/``theT``; a shape without one is on every plane; ``theC`` is ignored: labels
have one channel). The dtype is the smallest unsigned one that holds the values and
one more.

Overlaps follow omero-cli-zarr's ``--overlaps dtype_max`` (its other choice, ``error``,
would refuse to publish an image whose ROIs overlap, as annotated slides' ROIs often
do): a pixel covered by shapes of two different ROIs takes the dtype's maximum value,
described in the properties as ``omero:overlap``; shapes of one ROI never overlap
each other. The rule does not depend on the order of drawing.

The label image is written by the image writer (sharded like the image, resumable,
level by level down the same pyramid) from a tile source that draws the shapes of
each chunk on demand, so memory holds chunks, never a plane; its levels are the
image's, computed by 2x2 mode. ``image-label`` gives each value a colour (the ROI's
fill colour, else its stroke colour, else yellow) and properties (``omero:roiId``,
``omero:shapeIds``, ``omero:name``, ``omero:text``), and ``source`` points at the
image (``../../``). A digest of the ROIs is kept in the group's attributes: a rerun
finds unchanged labels complete and rewrites changed ones.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import zarr
from zarr.abc.store import Store

from ..model.rois import AREA_KINDS, RoiRecord, ShapeRecord, rgba
from . import metadata as md
from . import store as st
from .rasterise import shape_pixels
from .spec import ImageSpec, LabelInfo, LabelsResult, WriteOptions, WriteResult
from .writer import ImageWriter

NAME = "rois"
DIGEST_KEY = "omero-cli-ngff"
DEFAULT_RGBA = (255, 255, 0, 255)
OVERLAP_RGBA = (255, 255, 255, 255)


@dataclass(frozen=True)
class LabelValue:
    """One label value: the ROI it stands for and the shapes drawn with it."""

    value: int
    roi: RoiRecord
    shapes: tuple[ShapeRecord, ...]

    @property
    def color(self) -> tuple[int, int, int, int]:
        for attr in ("fill_color", "stroke_color"):
            for shape in self.shapes:
                found = rgba(getattr(shape, attr))
                if found is not None and found[3] > 0:
                    return found
        return DEFAULT_RGBA

    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {"label-value": self.value, "omero:roiId": self.roi.id,
                                 "omero:shapeIds": [s.id for s in self.shapes]}
        if self.roi.name:
            props["omero:name"] = self.roi.name
        texts = [s.text for s in self.shapes if s.text]
        if texts:
            props["omero:text"] = texts[0]
        return props


def label_values(rois: Sequence[RoiRecord],
                 kinds: Sequence[str] = AREA_KINDS) -> list[LabelValue]:
    """The ROIs with shapes to draw, valued 1, 2, ... by ROI id."""
    values: list[LabelValue] = []
    for roi in sorted(rois, key=lambda r: r.id):
        shapes = tuple(s for s in roi.shapes if s.kind in kinds)
        if shapes:
            values.append(LabelValue(len(values) + 1, roi, shapes))
    return values


def label_dtype(count: int) -> np.dtype[Any]:
    """The smallest unsigned dtype holding 1..count and the overlap value above them."""
    for name in ("uint8", "uint16", "uint32"):
        if count < np.iinfo(name).max:
            return np.dtype(name)
    return np.dtype("uint64")


def may_overlap(values: Sequence[LabelValue]) -> bool:
    """Whether shapes of two different ROIs share a plane and their boxes meet."""
    boxes = [(v.value, s.the_z, s.the_t, s.box()) for v in values for s in v.shapes]
    for i, (va, za, ta, a) in enumerate(boxes):
        for vb, zb, tb, b in boxes[i + 1:]:
            if (va != vb and (za is None or zb is None or za == zb)
                    and (ta is None or tb is None or ta == tb)
                    and a[0] <= b[2] + 1 and b[0] <= a[2] + 1
                    and a[1] <= b[3] + 1 and b[1] <= a[3] + 1):
                return True
    return False


def label_info(values: Sequence[LabelValue], dtype: np.dtype[Any],
               level_sizes: Sequence[tuple[int, int]]) -> LabelInfo:
    colors = [(v.value, v.color) for v in values]
    props = [v.properties() for v in values]
    if may_overlap(values):
        overlap = int(np.iinfo(dtype).max)
        colors.append((overlap, OVERLAP_RGBA))
        props.append({"label-value": overlap, "omero:overlap": True})
    return LabelInfo(colors=tuple(colors), properties=tuple(props),
                     level_sizes=tuple((int(y), int(x)) for y, x in level_sizes))


def digest(values: Sequence[LabelValue], spec: ImageSpec, kinds: Sequence[str]) -> str:
    """What the label pixels depend on, hashed."""
    h = hashlib.sha256(repr((spec.shape, spec.label, tuple(kinds))).encode())
    for v in values:
        for s in v.shapes:
            h.update(repr((v.value, replace(s, mask=None))).encode())
            h.update(s.mask or b"")
    return h.hexdigest()


class LabelSource:
    """A TileSource of the label pixels, drawn chunk by chunk (full resolution only)."""

    def __init__(self, values: Sequence[LabelValue], size_y: int, size_x: int,
                 dtype: np.dtype[Any], tile: int) -> None:
        self.dtype = dtype
        self.overlap = np.iinfo(dtype).max
        self._size = (size_y, size_x)
        self._tile = (min(tile, size_y), min(tile, size_x))
        self._items = [(v.value, s) for v in values for s in v.shapes]
        boxes = [s.box() for _, s in self._items]
        self._x0 = np.array([math.floor(b[0]) - 1 for b in boxes], np.int64)
        self._y0 = np.array([math.floor(b[1]) - 1 for b in boxes], np.int64)
        self._x1 = np.array([math.ceil(b[2]) + 1 for b in boxes], np.int64)
        self._y1 = np.array([math.ceil(b[3]) + 1 for b in boxes], np.int64)
        self._z = np.array([-1 if s.the_z is None else s.the_z for _, s in self._items])
        self._t = np.array([-1 if s.the_t is None else s.the_t for _, s in self._items])

    @property
    def levels(self) -> list[tuple[int, int]]:
        return [self._size]

    @property
    def tile_size(self) -> tuple[int, int]:
        return self._tile

    def read(self, level: int, t: int, c: int, z: int, y: int, x: int, h: int,
             w: int) -> np.ndarray:
        out = np.zeros((h, w), self.dtype)
        if not self._items:
            return out
        near = ((self._x0 < x + w) & (self._x1 >= x) & (self._y0 < y + h) & (self._y1 >= y)
                & ((self._z == -1) | (self._z == z)) & ((self._t == -1) | (self._t == t)))
        for i in np.flatnonzero(near):
            value, shape = self._items[i]
            pixels = shape_pixels(shape, (y, x, h, w))
            if pixels is None:
                continue
            current = out[pixels]
            clash = (current != 0) & (current != value)
            out[pixels] = np.where(clash, self.overlap, value)
        return out


def labels_path(image_path: str) -> str:
    return st.join(image_path, "labels")


def write_labels(store: Store, url: str, image_path: str, image: ImageSpec,
                 result: WriteResult, rois: Sequence[RoiRecord], kinds: Sequence[str],
                 options: WriteOptions) -> LabelsResult | None:
    """Write (or find complete) the label image of ``rois`` under the image at
    ``image_path``, levels matching ``result``'s; None when no ROI has a shape of
    ``kinds`` (labels left by an earlier write are then removed)."""
    values = label_values(rois, kinds)
    group_path = labels_path(image_path)
    if not values:
        if st.any_key(store, group_path + "/"):
            st.delete_prefix(store, group_path + "/")
        return None
    dtype = label_dtype(len(values))
    sizes = [(shape[3], shape[4]) for shape in result.level_shapes]
    spec = ImageSpec(name=f"{image.name} ROIs", dtype=dtype, size_x=image.size_x,
                     size_y=image.size_y, size_z=image.size_z, size_t=image.size_t,
                     physical_x=image.physical_x, physical_y=image.physical_y,
                     physical_z=image.physical_z, label=label_info(values, dtype, sizes))
    path = st.join(group_path, NAME)
    fmt = options.zarr_format
    wanted = digest(values, spec, kinds)
    if _stored_digest(store, path, fmt) != wanted and st.any_key(store, path + "/"):
        st.delete_prefix(store, path + "/")       # other ROIs, or an interrupted write
    source = LabelSource(values, image.size_y, image.size_x, dtype, options.chunk_size)
    written = ImageWriter(store, url, spec, source, replace(options, overwrite=False),
                          path=path).run()
    group = zarr.open_group(store, path=path, mode="r+", zarr_format=fmt)
    group.attrs.update({DIGEST_KEY: {"rois": wanted}})
    labels = zarr.open_group(store, path=group_path, mode="a", zarr_format=fmt)
    labels.attrs.update(md.labels_group_attrs([NAME], options.ngff_version))
    return LabelsResult(NAME, len(values), written)


def _stored_digest(store: Store, path: str, fmt: Any) -> str | None:
    try:
        group = zarr.open_group(store, path=path, mode="r", zarr_format=fmt)
    except Exception:  # noqa: BLE001 - nothing (readable) there
        return None
    found = dict(group.attrs).get(DIGEST_KEY)
    return found.get("rois") if isinstance(found, dict) else None
