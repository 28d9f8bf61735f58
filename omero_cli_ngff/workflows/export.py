"""`export`: convert every image under the objects into OME-Zarr at a destination.

Each image becomes `<id>.ome.zarr/`: a bioformats2raw-layout root whose series `0/` is
the multiscales image (its ROIs as NGFF labels under `0/labels/`), beside
`OME/METADATA.ome.xml` (with the image's ROIs and annotations). Plates and screens
become one NGFF plate per OMERO plate, `plate-<id>.ome.zarr/` (rows, columns, wells
with or without images, fields, acquisitions; the root as bioformats2raw writes a
plate). A failing image or plate does not stop the others; a rerun resumes what was
interrupted and finds complete images complete.

Each root carries an ownership record (`storage.ownership`), written before its data:
a root holding another image's or plate's copy is refused (with --name-by name, two
images of one safe name in separate runs), data without a record too unless --adopt;
--overwrite starts afresh only a root that is the same image's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from .. import exit_codes
from ..errors import NotFound
from ..model.annotations_meta import MetadataChoices
from ..model.naming import image_names, plate_names
from ..model.objects import ObjectRef
from ..model.plate_layout import PlateLayout
from ..model.records import ImageRecord, RenderingInfo
from ..model.reporting import Reporter
from ..ngff.spec import WriteOptions, WriteResult
from ..omero_io import identity, targets
from ..omero_io.image_metadata import MetadataReader
from ..omero_io.plates import load_layouts, plates_of_screens
from ..omero_io.query import QueryRunner
from ..storage import ownership
from .convert import convert_image, convert_plate, extras_of, metadata_reader, rendering_reader
from .failures import describe, exit_code_of, is_connection_lost, summary_code
from .spool import finish_local_run, start_local_run

log = logging.getLogger(__name__)
PLATE_TYPES = ("Plate", "Screen")


@dataclass
class ExportOptions:
    refs: list[ObjectRef]
    write: WriteOptions
    name_by: str = "id"                  # "id" or "name"
    metadata: MetadataChoices = field(default_factory=MetadataChoices)
    adopt: bool = False                  # take roots holding data without a record


@dataclass
class Job:
    """One thing to write: an image, or a plate with its images."""

    name: str
    records: list[ImageRecord]           # the images it writes
    layout: PlateLayout | None = None


@dataclass
class ExportRow:
    """What became of one image."""

    image: ImageRecord
    status: str                          # written, resumed, complete, failed
    target: str
    result: WriteResult | None = None
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
    # the objects missing are said by the command (as locate and verify say them)
    jobs, missing = plan_jobs(session.conn, options.refs, options.name_by)
    result = ExportResult(missing=missing)
    singles = [job.records[0] for job in jobs if job.layout is None]
    reader = metadata_reader(session.conn, singles, options.metadata) if singles else None
    # the writer never overwrites: ownership clears a root that --overwrite may replace
    writing = _Writing(replace(options, write=replace(options.write, overwrite=False)),
                       reader, rendering_reader(session.conn, singles))
    local = start_local_run(reporter)
    try:
        own = _owning(dest, identity.database_uuid(session.conn), local.run_id, options)
        _export_all(session.conn, jobs, dest, writing, reporter, result, own)
    finally:
        finish_local_run(local)
    return result


@dataclass
class _Writing:
    """How to write each job: the options, the reader of the images' metadata and their
    rendering settings (read for all images at once)."""

    options: ExportOptions
    reader: MetadataReader | None
    rendering: dict[int, RenderingInfo] = field(default_factory=dict)


Own = Callable[["Job"], None]


def _owning(dest: Any, server: str, run: str, options: ExportOptions) -> Own:
    """Makes a job's root ours before it is written (see the module docstring)."""
    how = "use --name-by id" if options.name_by == "name" else "use another --output"

    def own(job: Job) -> None:
        if job.layout is None and not job.records[0].has_pixels:
            return                           # nothing will be written (NotFound follows)
        what = f"Image:{job.records[0].id}" if job.layout is None else f"Plate:{job.layout.id}"
        owner = ownership.Owner(server, what, "", run)
        taken = ownership.take(dest, job.name, owner, adopt=options.adopt, how=how)
        if options.write.overwrite and taken != ownership.CREATED:
            ownership.clear(dest, job.name, owner)
    return own


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


# Small images are written a few at a time: their time goes to round trips (the
# server's calls, the destination's files), not to pixels, so overlapping them pays. Big
# images go one at a time: each reads in parallel already, within the memory budget.
# 16 rather than 8: with 8, a project of 2,000 512 x 512 x 3 images kept the client's
# core busy 86-90 % of the time, with 16 90-93 % (benchmarks/bench_export.py's project).
SMALL_IMAGE_BYTES = 32 * 1024 ** 2
SMALL_IMAGES_AT_ONCE = 16


def _is_small(job: Job) -> bool:
    r = job.records[0]
    size = (r.size_x or 0) * (r.size_y or 0) * (r.size_z or 1) * (r.size_c or 1) \
        * (r.size_t or 1) * 8
    return job.layout is None and size <= SMALL_IMAGE_BYTES


def _export_all(conn: Any, jobs: list[Job], dest: Any, options: _Writing,
                reporter: Reporter, result: ExportResult, own: Own) -> None:
    with reporter.progress() as progress:
        overall = progress.add_task("images", total=sum(len(j.records) for j in jobs))
        written = progress.add_task("written", total=None, unit="bytes")

        def one(job: Job, stores: int | None = None) -> None:
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
                own(job)
                _written(conn, job, dest, options, update, started, result, stores)
            except Exception as err:
                _failed(job, dest, err, started, reporter, result)
            finally:
                progress.remove_task(task)
            # the writer's callbacks miss what it writes last (metadata, labels): the
            # total shown is the bytes the table reports
            progress.update(written, completed=_bytes_reported(result))
            progress.advance(overall, len(job.records))

        small = [job for job in jobs if _is_small(job)] if len(jobs) > 1 else []
        # one RawPixelsStore per small image: they read in parallel across images
        _in_parallel(lambda job: one(job, stores=1), small)
        for job in jobs:
            if job not in small:
                one(job)
    rank = {r.id: i for i, job in enumerate(jobs) for r in job.records}
    result.rows.sort(key=lambda row: rank.get(row.image.id, -1))   # the order of the jobs


def _in_parallel(one: Callable[[Job], None], jobs: list[Job]) -> None:
    """``one(job)`` for every job, a few at a time; the first error (a lost connection:
    ``_failed`` re-raises nothing else) stops the rest."""
    if not jobs:
        return
    pool = ThreadPoolExecutor(SMALL_IMAGES_AT_ONCE, thread_name_prefix="ngff-image")
    try:
        for future in [pool.submit(one, job) for job in jobs]:
            future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _bytes_reported(result: ExportResult) -> int:
    return sum(r.result.total_bytes for r in result.rows if r.result)


def _written(conn: Any, job: Job, dest: Any, options: _Writing, update: Any,
             started: float, result: ExportResult, stores: int | None) -> None:
    written = _write(conn, job, dest, options, update, stores)
    seconds = (time.monotonic() - started) / max(1, len(written))
    for record, path, res in written:
        status = _status(res)
        log.info("Image:%s %s: %s, %d objects, %d bytes", record.id, dest.join(path),
                 status, res.objects_written, res.bytes_written)
        result.rows.append(ExportRow(record, status, dest.join(path), res, seconds=seconds))


def _failed(job: Job, dest: Any, err: Exception, started: float, reporter: Reporter,
            result: ExportResult) -> None:
    if is_connection_lost(err):          # OMERO is gone: the other images would fail too
        raise err
    code = exit_code_of(err)
    if code is None:                     # a bug: keep the traceback in the log
        log.exception("%s failed", job.name)
        code = exit_codes.INTERNAL
    else:                                # the log file keeps the whole trace
        log.debug("%s failed", job.name, exc_info=err)
    result.codes.add(code)
    what = f"Image:{job.records[0].id}" if job.layout is None else f"Plate:{job.layout.id}"
    log.warning("%s failed (exit code %d): %s", what, code, describe(err))
    reporter.warn(f"{what}: {describe(err)}")
    for record in job.records:
        result.rows.append(ExportRow(record, "failed", dest.join(job.name),
                                     message=describe(err),
                                     seconds=time.monotonic() - started))


def _write(conn: Any, job: Job, dest: Any, how: _Writing, progress: Any,
           stores: int | None = None) -> list[tuple[ImageRecord, str, WriteResult]]:
    """[(record, path of its multiscales group, WriteResult)] for one job; `stores`: at
    most that many RawPixelsStores for an image (None: one per reader)."""
    store = dest.zarr_store(job.name)
    options = how.options.write
    if job.layout is None:
        record = job.records[0]
        extras = extras_of(how.reader, record, how.options.metadata)
        if not record.has_pixels:
            raise NotFound(f"Image:{record.id} has no pixels")
        return [(record, f"{job.name}/0",
                 convert_image(conn, record, store, options, progress=progress,
                               extras=extras, rendering=how.rendering.get(record.id),
                               stores=stores))]
    by_id = {r.id: r for r in job.records}
    written = convert_plate(conn, job.layout, by_id, store, options, progress=progress)
    return [(by_id[image_id], f"{job.name}/{path}", res)
            for path, (image_id, res) in written.items()]


def _status(result: WriteResult) -> str:
    if result.already_complete:
        return "complete"
    return "resumed" if result.resumed else "written"
