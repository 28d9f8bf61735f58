"""A published plate against OMERO's: rows, columns, wells (those without images too),
fields per well and acquisitions, from the NGFF ``plate`` and ``well`` attributes the
caller read (no I/O here)."""

from __future__ import annotations

from typing import Any

from ..model.plate_layout import PlateLayout, WellLayout
from .problems import Problem


def _names(items: Any) -> list[str]:
    return [str(i.get("name")) for i in items if isinstance(i, dict)] \
        if isinstance(items, list) else []


def check_plate(plate: Any, layout: PlateLayout, url: str) -> list[Problem]:
    """The ``plate`` attributes (None: missing) against the layout of OMERO's plate."""
    if not isinstance(plate, dict):
        return [Problem("plate-missing", "no NGFF plate metadata at the plate root", url=url)]
    problems = []
    for axis, expected in (("rows", layout.rows), ("columns", layout.columns)):
        found = _names(plate.get(axis))
        if found != list(expected):
            problems.append(Problem(
                f"plate-{axis}-mismatch",
                f"{axis} {_short(found)}, OMERO has {_short(expected)}", url=url))
    wells = plate.get("wells") if isinstance(plate.get("wells"), list) else []
    found_wells = {str(w.get("path")) for w in (wells or []) if isinstance(w, dict)}
    expected_wells = {f"{w.row}/{w.column}" for w in layout.wells}
    if found_wells != expected_wells:
        missing = sorted(expected_wells - found_wells)
        extra = sorted(found_wells - expected_wells)
        problems.append(Problem(
            "plate-wells-mismatch",
            f"wells differ from OMERO's: {len(missing)} missing {_short(missing)}, "
            f"{len(extra)} not in OMERO {_short(extra)}", url=url))
    acquisitions = plate.get("acquisitions") or []
    found_acq = sorted(str(a.get("id")) for a in acquisitions if isinstance(a, dict))
    expected_acq = sorted(str(a["id"]) for a in layout.acquisitions)
    if found_acq != expected_acq:
        problems.append(Problem(
            "plate-acquisitions-mismatch",
            f"acquisitions {found_acq}, OMERO has {expected_acq}", url=url))
    return problems


def check_well(well: Any, layout: WellLayout, usable: set[int], url: str) -> list[Problem]:
    """A well's ``well`` attributes (None: missing) against OMERO's well: one image per
    field with pixels, acquisitions as OMERO has them."""
    expected = [acq for image_id, acq in layout.fields if image_id in usable]
    if not isinstance(well, dict) or not isinstance(well.get("images"), list):
        return [Problem("well-missing", f"well {layout.row}{layout.column}: no NGFF well "
                        "metadata", url=url)]
    images = [i for i in well["images"] if isinstance(i, dict)]
    if len(images) != len(expected):
        return [Problem("well-fields-mismatch",
                        f"well {layout.row}{layout.column}: {len(images)} fields, OMERO has "
                        f"{len(expected)}", url=url)]
    found_acq = [i.get("acquisition") for i in images]
    if found_acq != expected:
        return [Problem("well-acquisitions-mismatch",
                        f"well {layout.row}{layout.column}: acquisitions {found_acq}, OMERO "
                        f"has {expected}", url=url)]
    return []


def _short(values: Any, most: int = 6) -> str:
    values = list(values)
    shown = ", ".join(str(v) for v in values[:most])
    return f"[{shown}{', ...' if len(values) > most else ''}]"
