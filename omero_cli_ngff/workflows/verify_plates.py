"""`verify` of plate fields: beyond each field's own checks, the plate its annotation
points into is checked against OMERO's (rows, columns, wells with and without images,
fields per well, acquisitions: `checks.plate`), and the field must sit where OMERO
has it (its well and index). Each plate is read once, however many fields point
into it; its problems are reported on every field pointing there."""

from __future__ import annotations

from typing import Any

from ..checks.problems import Problem
from ..model.paths import plate_root_of_field
from ..model.plate_layout import PlateLayout
from ..omero_io import targets
from ..omero_io.plates import load_layouts, plates_of_images
from ..omero_io.query import QueryRunner
from .plate_check import plate_problems


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
    usable = _usable(runner, reports, list(layouts.values()))
    expected = {i: layout.field_paths(usable[i]) for i, layout in layouts.items()}
    checked: dict[str, list[Problem]] = {}
    for report in published:
        layout = layouts.get(plate_of.get(report.record.id, -1))
        if layout is None:
            continue
        for url, version in zip(report.urls, report.versions or ["0.5"] * len(report.urls)):
            report.problems += _field_problems(
                report.record.id, url, version, layout, usable[layout.id],
                expected[layout.id].get(report.record.id), checked, policy)


def _usable(runner: QueryRunner, reports: list[Any],
            layouts: list[PlateLayout]) -> dict[int, set[int]]:
    """Plate id -> its fields with pixels (those a published plate holds), from the
    records of every field, not only of those verified: an earlier field without pixels
    shifts the numbering of the others in its well."""
    has_pixels = {r.record.id: r.record.has_pixels for r in reports}
    missing = [i for layout in layouts for i in layout.image_ids if i not in has_pixels]
    has_pixels.update({r.id: r.has_pixels for r in targets.load_records(runner, missing)})
    return {layout.id: {i for i in layout.image_ids if has_pixels.get(i, True)}
            for layout in layouts}


def _field_problems(image_id: int, url: str, version: str, layout: PlateLayout,
                    usable: set[int], expected: str | None,
                    checked: dict[str, list[Problem]], policy: Any) -> list[Problem]:
    split = plate_root_of_field(url)
    if split is None:
        return [Problem("not-in-plate", f"a field of Plate:{layout.id} ({expected}) "
                        "published outside an NGFF plate", url=url)]
    root, path = split[0] + "/", split[1]
    problems = []
    if path != expected:
        problems.append(Problem("field-misplaced", f"at {path} in its plate, OMERO has it "
                                f"at {expected}", url=url))
    if root not in checked:
        checked[root] = plate_problems(root, layout, usable, version.strip() or "0.5",
                                       policy)
    return problems + checked[root]
