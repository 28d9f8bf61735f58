"""Labels: a copy's label image judged against OMERO's ROIs (no I/O: the caller reads
the label image and draws the expected pixels from OMERO's shapes).

Three checks, each cheap enough for every image: the ROIs the label image says it
holds (``image-label`` properties) are the ROIs OMERO has (counts); for a sample of
them, the box of the pixels carrying the ROI's value is the box of its shapes drawn
(bounding boxes); and those pixels are the shapes' pixels (a sample of pixels; a pixel
where ROIs overlap may carry the overlap value instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .problems import ERROR, WARNING, Problem


def label_rois(properties: Sequence[Any]) -> dict[int, int]:
    """ROI id -> label value, from ``image-label`` properties."""
    out = {}
    for p in properties:
        if isinstance(p, dict) and isinstance(p.get("omero:roiId"), int):
            out[int(p["omero:roiId"])] = int(p.get("label-value", 0))
    return out


def check_label_rois(expected: Sequence[Sequence[int]], properties: Sequence[Any] | None,
                     url: str) -> list[Problem]:
    """``expected``: the ROI ids a label image may hold (one list per ``--labels``
    choice, all shapes or masks only); ``properties``: the label image's, None when the
    copy has no label image."""
    wanted = [sorted(ids) for ids in expected]
    if properties is None:
        if any(wanted):
            return [Problem("labels-missing", f"OMERO has {len(max(wanted, key=len))} ROIs "
                            "to draw but the copy has no label image (published with "
                            "--labels none, or before labels were written)", WARNING,
                            url=url)]
        return []
    found = sorted(label_rois(properties))
    if found in wanted:
        return []
    best = max(wanted, key=len) if wanted else []
    missing = sorted(set(best) - set(found))
    extra = sorted(set(found) - set(best))
    return [Problem("labels-count", f"the label image holds {len(found)} ROIs, OMERO has "
                    f"{len(best)}" + (f"; missing ROI {_ids(missing)}" if missing else "")
                    + (f"; ROI {_ids(extra)} no longer in OMERO" if extra else ""),
                    ERROR, url=url)]


def _ids(ids: Sequence[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    return int(ys.min()), int(xs.min()), int(ys.max()), int(xs.max())


def check_label_region(roi_id: int, value: int, overlap: int | None, expected: np.ndarray,
                       found: np.ndarray, origin: tuple[int, int],
                       url: str) -> list[Problem]:
    """One ROI in one region of one plane: ``expected`` the booleans of its shapes
    drawn, ``found`` the label pixels there, ``origin`` (y, x) of the region."""
    carried = found == value
    shared = (found == overlap) if overlap is not None else np.zeros_like(carried)
    where = f"ROI {roi_id} (label {value})"
    want_box, got_box = _box(expected), _box(carried | (shared & expected))
    if want_box != got_box:
        def show(box: tuple[int, int, int, int] | None) -> str:
            if box is None:
                return "none"
            y0, x0, y1, x1 = box
            oy, ox = origin
            return f"x {x0 + ox}-{x1 + ox}, y {y0 + oy}-{y1 + oy}"
        return [Problem("labels-box", f"{where}: its pixels span {show(got_box)}, its "
                        f"shapes {show(want_box)}", ERROR, url=url)]
    wrong = int(np.count_nonzero(expected != (carried | (shared & expected))))
    if wrong:
        return [Problem("labels-pixels", f"{where}: {wrong} of {int(expected.sum())} "
                        "pixels differ from its shapes", ERROR, url=url)]
    return []
