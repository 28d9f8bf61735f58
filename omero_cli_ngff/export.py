"""`omero ngff export`: convert every image under the objects into OME-Zarr at DEST.

Each image becomes `<id>.ome.zarr/` (or `<name>.ome.zarr/`): a bioformats2raw-layout
root whose series `0/` is the multiscales image, beside `OME/METADATA.ome.xml`.
A failing image does not stop the others; a rerun resumes what was interrupted.
"""

from __future__ import annotations

import logging
import time

from . import exit_codes, run_log, targets
from .conversion import convert_image, write_options
from .errors import exit_code_of, one_line
from .naming import image_names
from .objects import parse_objects
from .output import Output
from .storage import parse_destination

log = logging.getLogger(__name__)


def run(session, args) -> int:
    out = Output(args.style, args.quiet)
    refs = parse_objects(args.objects)          # bad input fails before any login
    options = write_options(args, overwrite=args.overwrite)
    dest = parse_destination(args.output)
    handler = run_log.start(args.log_file)
    try:
        dest.preflight(check_public=False, check_cors=False)
        resolution = targets.resolve(session.conn, refs)
        for ref in resolution.missing:
            out.warn(f"{ref}: not found, or not readable by this user")
        rows, codes = _export_all(session.conn, resolution.images, dest, options, args, out)
    finally:
        run_log.stop(handler)
    if resolution.missing:
        codes.add(exit_codes.NOT_FOUND)
    _report(out, rows, dest)
    return summary_code(codes)


def summary_code(codes: set[int]) -> int:
    """One failure kind keeps its own code; several kinds are a partial failure."""
    codes = codes - {exit_codes.OK}
    if not codes:
        return exit_codes.OK
    return codes.pop() if len(codes) == 1 else exit_codes.PARTIAL_FAILURE


def _export_all(conn, images, dest, options, args, out):
    names = image_names(images, args.name_by)
    rows, codes = [], set()
    with out.progress(with_bytes=True) as progress:
        overall = progress.add_task("images", total=len(images))
        for record in images:
            target = dest.join(names[record.id])
            started = time.monotonic()
            try:
                if not record.has_pixels:
                    raise _NoPixels(f"Image:{record.id} has no pixels")
                task = progress.add_task(f"Image:{record.id}", total=None)

                def update(p, task=task):
                    progress.update(task, completed=p.pixels_done, total=p.pixels_total)

                try:
                    result = convert_image(conn, record, dest.zarr_store(names[record.id]),
                                           options, progress=update)
                finally:
                    progress.remove_task(task)
                status = "complete" if result.already_complete else (
                    "resumed" if result.resumed else "written")
                rows.append(_row(record, status, target, result=result,
                                 seconds=time.monotonic() - started))
            except Exception as err:
                code = exit_code_of(err)
                if code is None:                     # a bug: keep the traceback in the log
                    log.exception("Image:%s failed", record.id)
                    code = exit_codes.INTERNAL
                codes.add(code)
                out.warn(f"Image:{record.id}: {one_line(err)}")
                rows.append(_row(record, "failed", target, message=one_line(err),
                                 seconds=time.monotonic() - started))
            progress.advance(overall)
    return rows, codes


class _NoPixels(Exception):
    exit_code = exit_codes.NOT_FOUND


COLUMNS = ["image", "name", "status", "target", "levels", "objects", "bytes", "seconds",
           "message"]
# People see the failures' messages as warnings above the table, and the targets'
# folder once: the table keeps what fits a terminal.
PEOPLE_COLUMNS = ["image", "name", "status", "levels", "objects", "bytes", "seconds"]


def _row(record, status, target, result=None, message="", seconds=0.0):
    return [record.id, record.name, status, target,
            len(result.level_shapes) if result else "",
            result.objects_written if result else "",
            result.bytes_written if result else "",
            round(seconds, 2), message]


def _report(out, rows, dest):
    failed = sum(1 for r in rows if r[2] == "failed")
    footer = f"{len(rows) - failed} exported, {failed} failed"
    if out.for_people:
        keep = [COLUMNS.index(c) for c in PEOPLE_COLUMNS]
        out.table(f"Export to {dest.url}", PEOPLE_COLUMNS,
                  [[row[i] for i in keep] for row in rows], footer=footer)
    else:
        out.table("Export", COLUMNS, rows, footer=footer)
