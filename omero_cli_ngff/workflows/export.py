"""`export`: convert every image under the objects into OME-Zarr at a destination.

Each image becomes `<id>.ome.zarr/`: a bioformats2raw-layout root whose series `0/` is
the multiscales image (its ROIs as NGFF labels under `0/labels/`), beside
`OME/METADATA.ome.xml` (with the image's ROIs and annotations). Plates and screens become one NGFF
plate per OMERO plate, `plate-<id>.ome.zarr/` (rows, columns, wells, fields,
acquisitions). A failing image or plate does not stop the others; a rerun resumes what
was interrupted and finds complete images complete.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import exit_codes
from ..errors import NotFound, one_line
from ..model.annotations_meta import MetadataChoices
from ..model.naming import image_names, plate_names
from ..model.objects import ObjectRef
from ..model.plate_layout import PlateLayout
from ..model.records import ImageRecord
from ..model.reporting import Reporter
from ..ngff.spec import WriteOptions, WriteResult
from ..omero_io import targets
from ..omero_io.image_metadata import MetadataReader
from ..omero_io.plates import load_layouts, plates_of_screens
from ..omero_io.query import QueryRunner
from .convert import convert_image, convert_plate, extras_of, metadata_reader
from .failures import exit_code_of, summary_code

log = logging.getLogger(__name__)
PLATE_TYPES = ("Plate", "Screen")


@dataclass
class ExportOptions:
    refs: list[ObjectRef]
    write: WriteOptions
    name_by: str = "id"                  # "id" or "name"
    metadata: MetadataChoices = field(default_factory=MetadataChoices)


@dataclass
class Job:
    """One thing to write: an image, or a plate with its images."""

    name: str
    records: list[ImageRecord]           # the images it writes
    layout: Optional[PlateLayout] = None


@dataclass
class ExportRow:
    """What became of one image."""

    image: ImageRecord
    status: str                          # written, resumed, complete, failed
    target: str
    result: Optional[WriteResult] = None
    message: str = ""
    seconds: float = 0.0


@dataclass
class ExportResult:
    rows: list[ExportRow] = field(default_factory=list)
    missing: list[ObjectRef] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)

    @property
    def code(self) -> int:
        return summary_code(self.codes | ({exit_codes.NOT_FOUND} if self.missing else set()))


def export(session: Any, options: ExportOptions, dest: Any,
           reporter: Reporter) -> ExportResult:
    dest.preflight(check_public=False, check_cors=False)
    jobs, missing = plan_jobs(session.conn, options.refs, options.name_by)
    for ref in missing:
        reporter.warn(f"{ref}: not found, or not readable by this user")
    result = ExportResult(missing=missing)
    singles = [job.records[0] for job in jobs if job.layout is None]
    reader = metadata_reader(session.conn, singles, options.metadata) if singles else None
    _export_all(session.conn, jobs, dest, _Writing(options, reader), reporter, result)
    return result


@dataclass
class _Writing:
    """How to write each job: the options and the reader of the images' metadata."""

    options: ExportOptions
    reader: Optional[MetadataReader]


def plan_jobs(conn: Any, refs: list[ObjectRef], name_by: str
              ) -> tuple[list[Job], list[ObjectRef]]:
    """Plates for Plate/Screen objects, single images for the rest; each image once: an
    image in several containers is one job, and a plate field that another container
    names too is written with its plate only."""
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

    in_plates = {i for layout in layouts for i in layout.image_ids}
    alone = [r for r in singles.images if r.id not in in_plates]
    names = image_names(alone, name_by)
    jobs = [Job(names[r.id], [r]) for r in alone]
    by_id = {r.id: r for r in plated.images}
    for layout, name in zip(layouts, plate_names(layouts, name_by, set(names.values()))):
        jobs.append(Job(name, [by_id[i] for i in layout.image_ids if i in by_id], layout))
    return jobs, plated.missing + singles.missing


def _export_all(conn: Any, jobs: list[Job], dest: Any, options: _Writing,
                reporter: Reporter, result: ExportResult) -> None:
    with reporter.progress() as progress:
        overall = progress.add_task("images", total=sum(len(j.records) for j in jobs))
        written = progress.add_task("written", total=None, unit="bytes")
        for job in jobs:
            started = time.monotonic()
            task = progress.add_task(job.name, total=None, unit="pixels")
            last = {"bytes": 0}

            def update(p: Any, task: Any = task, last: dict = last) -> None:
                # bytes_written counts per image (and restarts for each plate field)
                grown = p.bytes_written - last["bytes"]
                last["bytes"] = p.bytes_written
                progress.update(task, completed=p.pixels_done, total=p.pixels_total)
                progress.advance(written, max(grown, 0))

            try:
                _written(conn, job, dest, options, update, started, result)
            except Exception as err:
                _failed(job, dest, err, started, reporter, result)
            finally:
                progress.remove_task(task)
            progress.advance(overall, len(job.records))


def _written(conn: Any, job: Job, dest: Any, options: _Writing, update: Any,
             started: float, result: ExportResult) -> None:
    written = _write(conn, job, dest, options, update)
    seconds = (time.monotonic() - started) / max(1, len(written))
    for record, path, res in written:
        status = _status(res)
        log.info("Image:%s %s: %s, %d objects, %d bytes", record.id, dest.join(path),
                 status, res.objects_written, res.bytes_written)
        result.rows.append(ExportRow(record, status, dest.join(path), res, seconds=seconds))


def _failed(job: Job, dest: Any, err: Exception, started: float, reporter: Reporter,
            result: ExportResult) -> None:
    code = exit_code_of(err)
    if code is None:                     # a bug: keep the traceback in the log
        log.exception("%s failed", job.name)
        code = exit_codes.INTERNAL
    result.codes.add(code)
    what = f"Image:{job.records[0].id}" if job.layout is None else f"Plate:{job.layout.id}"
    log.warning("%s failed (exit code %d): %s", what, code, one_line(err))
    reporter.warn(f"{what}: {one_line(err)}")
    for record in job.records:
        result.rows.append(ExportRow(record, "failed", dest.join(job.name),
                                     message=one_line(err),
                                     seconds=time.monotonic() - started))


def _write(conn: Any, job: Job, dest: Any, how: _Writing,
           progress: Any) -> list[tuple[ImageRecord, str, WriteResult]]:
    """[(record, path of its multiscales group, WriteResult)] for one job."""
    store = dest.zarr_store(job.name)
    options = how.options.write
    if job.layout is None:
        record = job.records[0]
        extras = extras_of(how.reader, record, how.options.metadata)
        if not record.has_pixels:
            raise NotFound(f"Image:{record.id} has no pixels")
        return [(record, f"{job.name}/0",
                 convert_image(conn, record, store, options, progress=progress,
                               extras=extras))]
    by_id = {r.id: r for r in job.records}
    written = convert_plate(conn, job.layout, by_id, store, options, progress=progress)
    return [(by_id[image_id], f"{job.name}/{path}", res)
            for path, (image_id, res) in written.items()]


def _status(result: WriteResult) -> str:
    if result.already_complete:
        return "complete"
    return "resumed" if result.resumed else "written"
