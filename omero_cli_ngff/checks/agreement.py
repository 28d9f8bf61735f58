"""Agreement with OMERO: sizes, pixel type, physical sizes and channel count of a copy's
full resolution, as OMERO has them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..model.pixel_types import UnsupportedPixelType, ngff_length, stored_dtype
from ..model.published import PublishedImage
from ..model.records import ImageRecord
from .problems import Problem

AXIS_SIZES = {"t": "size_t", "c": "size_c", "z": "size_z", "y": "size_y", "x": "size_x"}


def axis_sizes(remote: PublishedImage, shape: tuple[int, ...]) -> dict[str, int]:
    axes = remote.axes
    if len(axes) != len(shape):
        axes = list("tczyx")[-len(shape):]
    return dict(zip(axes, shape))


def check_agreement(record: ImageRecord, remote: PublishedImage) -> list[Problem]:
    """Sizes, pixel type, physical sizes and channel count as OMERO has them."""
    if not remote.levels or remote.levels[0].array is None:
        return []
    full = remote.levels[0].array
    problems = _shape(record, remote, full) + _dtype(record, remote, full)
    problems += _physical_sizes(record, remote)
    omero_block = remote.ome.get("omero") or {}
    channels = omero_block.get("channels") if isinstance(omero_block, dict) else None
    if isinstance(channels, list) and len(channels) != record.size_c:
        problems.append(Problem(
            "channel-count-mismatch",
            f"{len(channels)} channels described, OMERO has {record.size_c}",
            url=remote.url))
    return problems


def _shape(record: ImageRecord, remote: PublishedImage, full: Any) -> list[Problem]:
    sizes = axis_sizes(remote, full.shape)
    wrong = []
    for axis, attr in AXIS_SIZES.items():
        expected = getattr(record, attr)
        actual = sizes.get(axis, 1)
        if expected != actual:
            wrong.append(f"{axis.upper()} {actual} (OMERO {expected})")
    if not wrong:
        return []
    return [Problem("shape-mismatch", "full resolution has " + ", ".join(wrong),
                    url=remote.url)]


def _dtype(record: ImageRecord, remote: PublishedImage, full: Any) -> list[Problem]:
    try:
        expected = stored_dtype(record.pixel_type)
    except UnsupportedPixelType:
        return []
    if np.dtype(full.dtype) == expected:
        return []
    return [Problem("pixel-type-mismatch",
                    f"data type {np.dtype(full.dtype)}, OMERO {record.pixel_type} "
                    f"(expected {expected})", url=remote.url)]


def _physical_sizes(record: ImageRecord, remote: PublishedImage) -> list[Problem]:
    scale = remote.levels[0].scale
    units = remote.axis_units()
    if not scale or len(scale) != len(remote.axes):
        return []
    by_axis = dict(zip(remote.axes, scale))
    problems = []
    for axis, size in (("x", record.physical_x), ("y", record.physical_y),
                       ("z", record.physical_z)):
        if size is None or axis not in by_axis:
            continue
        value, unit = ngff_length(size.value, size.unit)
        actual = by_axis[axis]
        if not isinstance(actual, (int, float)) or not math.isclose(
                float(actual), value, rel_tol=1e-6, abs_tol=1e-12):
            problems.append(Problem(
                "physical-size-mismatch",
                f"physical size {axis.upper()} {actual} {units.get(axis) or ''}"
                f" (OMERO {value:g} {unit or ''})".replace("  ", " "), url=remote.url))
        elif unit and units.get(axis) and units.get(axis) != unit:
            problems.append(Problem(
                "physical-size-mismatch",
                f"physical size {axis.upper()} unit {units.get(axis)} (OMERO {unit})",
                url=remote.url))
    return problems
