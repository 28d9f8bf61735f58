"""`omero ngff export`: arguments -> ExportOptions -> workflows.export -> the table."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from ..model.annotation import DEFAULT_NAMESPACE
from ..model.reporting import Renderer, missing_text, plural
from ..storage import parse_destination
from ..workflows.export import ExportOptions, ExportResult, ExportRow, export
from .options import failure_problem, metadata_choices, objects, report_failures, write_options

COLUMNS = ["image_id", "name", "status", "target", "levels", "labels", "objects", "bytes",
           "seconds", "problems"]
# People see the failures' messages as errors below the table, and the targets'
# folder once: the table keeps what fits a terminal.
PEOPLE_COLUMNS = ["image_id", "name", "status", "levels", "labels", "objects", "bytes",
                  "seconds"]


def run(session: Any, args: Namespace, out: Renderer) -> int:
    options = ExportOptions(objects(args), write_options(args, overwrite=args.overwrite),
                            args.name_by, metadata_choices(args, DEFAULT_NAMESPACE),
                            adopt=args.adopt)
    dest = parse_destination(args.output)
    result = export(session, options, dest, out)
    render(out, result, dest.url)
    if result.missing:                  # as locate and verify say it
        out.error(missing_text(result.missing))
    return result.code


def record(row: ExportRow) -> dict:
    """One image's result, typed (null where nothing was written)."""
    res = row.result
    problems = [failure_problem(row.message)] if row.status == "failed" else []
    return {"image_id": row.image.id, "name": row.image.name, "status": row.status,
            "target": row.target, "levels": len(res.level_shapes) if res else None,
            "labels": res.labels.values if res and res.labels else None,
            "objects": res.total_objects if res else None,
            "bytes": res.total_bytes if res else None,
            "seconds": round(row.seconds, 2), "problems": problems}


def render(out: Renderer, result: ExportResult, dest_url: str) -> None:
    records = [record(r) for r in result.rows]
    failed = sum(1 for r in records if r["status"] == "failed")
    summary = {"images": len(records), "exported": len(records) - failed, "failed": failed,
               "bytes": sum(r["bytes"] or 0 for r in records), "destination": dest_url,
               "missing_objects": [str(m) for m in result.missing]}
    footer = f"{plural(len(records), 'image')}: {len(records) - failed} exported, " \
        f"{failed} failed"
    out.results(f"Export to {dest_url}", COLUMNS, records, summary, footer,
                people_columns=PEOPLE_COLUMNS)
    report_failures(out, [(f"Image:{r.image.id}", r.message) for r in result.rows
                          if r.status == "failed"], len(records))
