"""verify's look at a copy's labels: the label image read back at its public URL, OMERO's
ROIs drawn the way the writer draws them, and the pure checks of ``checks.labels``
judging the two (counts, bounding boxes, a sample of pixels)."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from ..checks.labels import check_label_region, check_label_rois, label_rois
from ..checks.problems import WARNING, Problem
from ..errors import shorten
from ..model.annotations_meta import MetadataChoices
from ..model.records import ImageRecord
from ..model.rois import AREA_KINDS, RoiRecord, ShapeRecord
from ..ngff.labels import NAME, label_values
from ..ngff.rasterise import shape_pixels
from ..omero_io.image_metadata import MetadataReader
from ..omero_io.query import QueryRunner
from ..storage import FetchError, HttpPolicy
from . import published_copy

#: ROIs whose pixels are compared per copy, and the largest region read for one
SAMPLE_ROIS = 3
MAX_REGION = 1024
KIND_CHOICES = (AREA_KINDS, ("Mask",))


def roi_reader(conn: Any, records: list[ImageRecord]) -> MetadataReader:
    """The ROIs of the images to verify, read in batches (no annotations)."""
    return MetadataReader(QueryRunner(conn), [r.id for r in records],
                          MetadataChoices(annotations=False))


def check_labels(rois: list[RoiRecord], url: str, version: str,
                 policy: HttpPolicy | None = None, seed: int = 0) -> list[Problem]:
    """Problems of the label image of the copy at ``url`` (an image group)."""
    expected = [[v.roi.id for v in label_values(rois, kinds)] for kinds in KIND_CHOICES]
    try:
        label = published_copy.read(url.rstrip("/") + f"/labels/{NAME}/", version, policy)
    except FetchError as err:
        if err.kind == "not_found":
            return check_label_rois(expected, None, url)
        return [Problem("labels-unreadable", f"the label image cannot be read: "
                        f"{shorten(err)}", url=url)]
    props = (label.ome.get("image-label") or {}).get("properties") or []
    problems = check_label_rois(expected, props, url)
    if problems or not label.levels:
        return problems
    values = label_rois(props)
    drawn = {int(i) for p in props if isinstance(p, dict)
             for i in p.get("omero:shapeIds") or [] if isinstance(i, int)}
    overlap = next((int(p["label-value"]) for p in props
                    if isinstance(p, dict) and p.get("omero:overlap")), None)
    by_id = {r.id: r for r in rois}
    picks = random.Random(seed).sample(sorted(values), min(SAMPLE_ROIS, len(values)))
    for roi_id in picks:
        shapes = [s for s in by_id[roi_id].shapes if s.id in drawn and s.is_area]
        if not shapes:
            problems.append(Problem("labels-count", f"ROI {roi_id}: none of the shapes the "
                                    "label image lists is an area shape in OMERO", url=url))
            continue
        problems += _compare_roi(label, roi_id, values[roi_id], overlap, shapes, url)
    return problems


def _compare_roi(label: Any, roi_id: int, value: int, overlap: int | None,
                 shapes: list[ShapeRecord], url: str) -> list[Problem]:
    """The ROI's shapes on the plane of its first shape, in (a window of) their box."""
    the_z, the_t = shapes[0].the_z or 0, shapes[0].the_t or 0
    on_plane = [s for s in shapes if s.the_z in (None, the_z) and s.the_t in (None, the_t)]
    array = label.levels[0].array
    size_y, size_x = array.shape[-2:]
    boxes = [s.box() for s in on_plane]
    y0 = max(0, math.floor(min(b[1] for b in boxes)) - 1)
    x0 = max(0, math.floor(min(b[0] for b in boxes)) - 1)
    y1 = min(size_y, math.ceil(max(b[3] for b in boxes)) + 2, y0 + MAX_REGION)
    x1 = min(size_x, math.ceil(max(b[2] for b in boxes)) + 2, x0 + MAX_REGION)
    if y0 >= y1 or x0 >= x1:
        return []
    region = (y0, x0, y1 - y0, x1 - x0)
    expected = np.zeros(region[2:], bool)
    for shape in on_plane:
        drawn = shape_pixels(shape, region)
        if drawn is not None:
            expected |= drawn
    try:
        found = np.asarray(array[the_t, 0, the_z, y0:y1, x0:x1])
    except Exception as err:  # a chunk that cannot be read is a finding, not a crash
        return [Problem("labels-unreadable", f"ROI {roi_id}: label pixels unreadable: "
                        f"{type(err).__name__}: {shorten(err)}", url=url)]
    if not expected.any():
        return [Problem("labels-not-compared", f"ROI {roi_id}: no pixel to compare in "
                        "its window", WARNING, url=url)]
    return check_label_region(roi_id, value, overlap, expected, found, (y0, x0), url)
