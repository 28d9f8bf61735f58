"""`verify` of plate fields: beyond each field's own checks, the plate its annotation
points into is checked against OMERO's (rows, columns, wells with and without images,
fields per well, acquisitions: `checks.plate`), and the field must sit where OMERO
has it (its well and index). Each plate is read once, however many fields point
into it; its problems are reported on every field pointing there."""

from __future__ import annotations

from typing import Any

from ..checks.problems import Problem
from ..model.plate_layout import PlateLayout
from ..omero_io.plates import load_layouts, plates_of_images
from ..omero_io.query import QueryRunner
from .plate_check import plate_problems


def _split_field_url(url: str) -> tuple[str, str] | None:
    """(plate root URL ending in '/', ``A/1/0``) of a field group's URL, or None."""
    parts = url.rstrip("/").split("/")
    if len(parts) < 5 or not parts[-1].isdigit() or not all(p.isalnum()
                                                             for p in parts[-3:-1]):
        return None
    return "/".join(parts[:-3]) + "/", "/".join(parts[-3:])


def check_plates(conn: Any, reports: list[Any], policy: Any = None) -> None:
    """Add the plate problems of every plate field among ``reports`` (ImageReports)."""
    published = [r for r in reports if r.urls]
    runner = QueryRunner(conn)
    plate_of = plates_of_images(runner, [r.record.id for r in published]) \
        if published else {}
    if not plate_of:
        return
    layouts = {layout.id: layout
               for layout in load_layouts(runner, list(dict.fromkeys(plate_of.values())))}
    no_pixels = {r.record.id for r in reports if not r.record.has_pixels}
    checked: dict[str, list[Problem]] = {}
    for report in published:
        layout = layouts.get(plate_of.get(report.record.id, -1))
        if layout is None:
            continue
        for url, version in zip(report.urls, report.versions or ["0.5"] * len(report.urls)):
            report.problems += _field_problems(report.record.id, url, version, layout,
                                               no_pixels, checked, policy)


def _field_problems(image_id: int, url: str, version: str, layout: PlateLayout,
                    no_pixels: set[int], checked: dict[str, list[Problem]],
                    policy: Any) -> list[Problem]:
    usable = {i for i in layout.image_ids if i not in no_pixels}
    expected = layout.field_paths(usable).get(image_id)
    split = _split_field_url(url)
    if split is None:
        return [Problem("not-in-plate", f"a field of Plate:{layout.id} ({expected}) "
                        "published outside an NGFF plate", url=url)]
    root, path = split
    problems = []
    if path != expected:
        problems.append(Problem("field-misplaced", f"at {path} in its plate, OMERO has it "
                                f"at {expected}", url=url))
    if root not in checked:
        checked[root] = plate_problems(root, layout, usable, version.strip() or "0.5",
                                       policy)
    return problems + checked[root]
