"""`omero ngff export`: arguments -> ExportOptions -> workflows.export -> the table."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from ..model.annotation import DEFAULT_NAMESPACE
from ..model.reporting import Renderer
from ..storage import parse_destination
from ..workflows.export import ExportOptions, ExportResult, ExportRow, export
from .options import metadata_choices, objects, write_options

COLUMNS = ["image", "name", "status", "target", "levels", "labels", "objects", "bytes",
           "seconds", "message"]
# People see the failures' messages as warnings above the table, and the targets'
# folder once: the table keeps what fits a terminal.
PEOPLE_COLUMNS = ["image", "name", "status", "levels", "labels", "objects", "bytes",
                  "seconds"]


def run(session: Any, args: Namespace, out: Renderer) -> int:
    options = ExportOptions(objects(args), write_options(args, overwrite=args.overwrite),
                            args.name_by, metadata_choices(args, DEFAULT_NAMESPACE))
    dest = parse_destination(args.output)
    result = export(session, options, dest, out)
    render(out, result, dest.url)
    return result.code


def cells(row: ExportRow) -> list:
    res = row.result
    labels = res.labels.values if res and res.labels else ""
    return [row.image.id, row.image.name, row.status, row.target,
            len(res.level_shapes) if res else "", labels,
            res.total_objects if res else "", res.total_bytes if res else "",
            round(row.seconds, 2), row.message]


def render(out: Renderer, result: ExportResult, dest_url: str) -> None:
    rows = [cells(r) for r in result.rows]
    failed = sum(1 for r in result.rows if r.status == "failed")
    footer = f"{len(rows) - failed} exported, {failed} failed"
    if out.for_people:
        keep = [COLUMNS.index(c) for c in PEOPLE_COLUMNS]
        out.table(f"Export to {dest_url}", PEOPLE_COLUMNS,
                  [[row[i] for i in keep] for row in rows], footer=footer)
    else:
        out.table("Export", COLUMNS, rows, footer=footer)
