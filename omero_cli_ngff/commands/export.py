"""`omero ngff export`: convert every image under the objects into OME-Zarr at DEST.

Each image becomes `<id>.ome.zarr/`: a bioformats2raw-layout root whose series `0/` is
the multiscales image, beside `OME/METADATA.ome.xml`. Plates and screens become one NGFF
plate per OMERO plate, `plate-<id>.ome.zarr/` (rows, columns, wells, fields,
acquisitions). A failing image or plate does not stop the others; a rerun resumes what
was interrupted and finds complete images complete.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from .. import exit_codes
from ..cli import run_log
from ..omero_io import targets
from ..workflows.convert import convert_image, convert_plate, write_options
from ..errors import NotFound, exit_code_of, one_line
from ..model.naming import image_names, plate_names
from ..model.objects import parse_objects
from ..omero_io.query import QueryRunner
from ..cli.output import Output
from ..omero_io.plates import load_layouts, plates_of_screens
from ..storage import parse_destination

log = logging.getLogger(__name__)
PLATE_TYPES = ("Plate", "Screen")


@dataclass
class Job:
    """One thing to write: an image, or a plate with its images."""

    name: str
    records: list          # the images it writes
    layout: object = None  # PlateLayout for a plate


def run(session, args) -> int:
    out = Output(args.style, args.quiet)
    refs = parse_objects(args.objects)          # bad input fails before any login
    options = write_options(args, overwrite=args.overwrite)
    dest = parse_destination(args.output)
    handler = run_log.start(args.log_file)
    try:
        dest.preflight(check_public=False, check_cors=False)
        jobs, missing = _plan(session.conn, refs, args.name_by)
        for ref in missing:
            out.warn(f"{ref}: not found, or not readable by this user")
        rows, codes = _export_all(session.conn, jobs, dest, options, out)
    finally:
        run_log.stop(handler)
    if missing:
        codes.add(exit_codes.NOT_FOUND)
    _report(out, rows, dest)
    return summary_code(codes)


def summary_code(codes: set[int]) -> int:
    """One failure kind keeps its own code; several kinds are a partial failure."""
    codes = codes - {exit_codes.OK}
    if not codes:
        return exit_codes.OK
    return codes.pop() if len(codes) == 1 else exit_codes.PARTIAL_FAILURE


def _plan(conn, refs, name_by):
    """Plates for Plate/Screen objects, single images for the rest (each image once)."""
    plate_refs = [r for r in refs if r.type in PLATE_TYPES]
    other_refs = [r for r in refs if r.type not in PLATE_TYPES]
    plated = targets.resolve(conn, plate_refs) if plate_refs else targets.Resolution()
    singles = targets.resolve(conn, other_refs) if other_refs else targets.Resolution()
    found = [r for r in plate_refs if r not in plated.missing]
    runner = QueryRunner(conn)
    plate_ids = [r.id for r in found if r.type == "Plate"]
    screen_ids = [r.id for r in found if r.type == "Screen"]
    if screen_ids:
        plate_ids += plates_of_screens(runner, screen_ids)
    layouts = load_layouts(runner, list(dict.fromkeys(plate_ids))) if plate_ids else []

    names = image_names(singles.images, name_by)
    jobs = [Job(names[r.id], [r]) for r in singles.images]
    by_id = {r.id: r for r in plated.images}
    for layout, name in zip(layouts, plate_names(layouts, name_by, set(names.values()))):
        jobs.append(Job(name, [by_id[i] for i in layout.image_ids if i in by_id], layout))
    return jobs, plated.missing + singles.missing


def _export_all(conn, jobs, dest, options, out):
    rows, codes = [], set()
    with out.progress() as progress:
        overall = progress.add_task("images", total=sum(len(j.records) for j in jobs))
        written = progress.add_task("written", total=None, unit="bytes")
        for job in jobs:
            started = time.monotonic()
            task = progress.add_task(job.name, total=None, unit="pixels")
            last = {"bytes": 0}

            def update(p, task=task, last=last):
                # bytes_written counts per image (and restarts for each plate field)
                grown = p.bytes_written - last["bytes"]
                last["bytes"] = p.bytes_written
                progress.update(task, completed=p.pixels_done, total=p.pixels_total)
                progress.advance(written, max(grown, 0))

            try:
                results = _write(conn, job, dest, options, update)
                seconds = (time.monotonic() - started) / max(1, len(results))
                for record, path, result in results:
                    log.info("Image:%s %s: %s, %d objects, %d bytes", record.id,
                             dest.join(path), _status(result), result.objects_written,
                             result.bytes_written)
                    rows.append(_row(record, _status(result), dest.join(path), result,
                                     seconds=seconds))
            except Exception as err:
                code = exit_code_of(err)
                if code is None:                     # a bug: keep the traceback in the log
                    log.exception("%s failed", job.name)
                    code = exit_codes.INTERNAL
                codes.add(code)
                what = f"Image:{job.records[0].id}" if job.layout is None else (
                    f"Plate:{job.layout.id}")
                log.warning("%s failed (exit code %d): %s", what, code, one_line(err))
                out.warn(f"{what}: {one_line(err)}")
                for record in job.records:
                    rows.append(_row(record, "failed", dest.join(job.name),
                                     message=one_line(err),
                                     seconds=time.monotonic() - started))
            finally:
                progress.remove_task(task)
            progress.advance(overall, len(job.records))
    return rows, codes


def _write(conn, job, dest, options, progress):
    """[(record, path of its multiscales group, WriteResult)] for one job."""
    store = dest.zarr_store(job.name)
    if job.layout is None:
        record = job.records[0]
        if not record.has_pixels:
            raise NotFound(f"Image:{record.id} has no pixels")
        return [(record, f"{job.name}/0",
                 convert_image(conn, record, store, options, progress=progress))]
    by_id = {r.id: r for r in job.records}
    written = convert_plate(conn, job.layout, by_id, store, options, progress=progress)
    return [(by_id[image_id], f"{job.name}/{path}", result)
            for path, (image_id, result) in written.items()]


def _status(result) -> str:
    if result.already_complete:
        return "complete"
    return "resumed" if result.resumed else "written"


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
