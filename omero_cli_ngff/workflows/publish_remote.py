"""`publish --remote google-batch`: one bioformats2raw job per fileset.

Per fileset (its images are its series): the root comes from the path template
(default ``{ngff_version}/{repo_path}.zarr``), series N at ``<root>/N/``. Then:

- every image published at the version with its metadata answering: ``skip``;
- no job yet, or the last attempt failed: ``submit`` (the next attempt; job names are
  deterministic: a rerun never duplicates a queued, running or finished job);
- a job queued or running: ``running`` (``wait`` polls, keeping the session alive);
- a job that succeeded: ``collect``: each series' metadata is read over plain HTTP and
  compared with OMERO (shape, pixel type), then each image of the fileset is annotated
  (``<root>/<series>/``); a replaced copy is removed afterwards (``keep_old``).

Reconversion (older version, --force) writes to the other slot like local publishing.
Failed jobs are reported with their logs' location (exit code REMOTE). Job specs hold
no credentials: the jobs run as the project's service account.

Ownership: the submitter writes the root's ownership record (``Fileset:<id>`` of this
OMERO server) before the job can write anything; a root holding another object's
copy, or data without a record (unless --adopt), fails the fileset. A replaced root is
removed only when it is the fileset's (a bioformats2raw copy without a record is
adopted first when the fileset's annotations point exactly into it, it agrees with
OMERO and no other image's annotation points into it).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .. import exit_codes
from ..checks.agreement import check_agreement
from ..errors import NgffError, UsageError, one_line
from ..model import paths
from ..model.annotation import annotation_values
from ..model.records import ImageRecord
from ..model.reporting import Reporter, missing_text, plural
from ..omero_io import annotations, identity, targets
from ..omero_io.plates import plates_of_images
from ..omero_io.query import QueryRunner
from ..omero_io.refusals import require_writable
from ..remote import BatchSettings, Bf2rawOptions, ConverterRefused, FilesetJob, GoogleBatchEngine
from ..storage import ownership
from ..storage.locate import Locations
from ..storage.probe import Prober
from . import published_copy
from .copies import sort_copies
from .failures import exit_code_of, summary_code
from .index import index_images
from .old_copies import OldCopies
from .plan import PlanSettings, check_namespace, current_copy, refusal
from .publish_options import PublishChoices
from .publish_remote_plates import copy_root, several_plates

log = logging.getLogger(__name__)

POLL_ENV = "OMERO_NGFF_BATCH_POLL"          # seconds between polls with --wait
CHECK_WORKERS = 4                          # series read back at once (a plate: hundreds)
COLUMNS = ["fileset", "images", "action", "status", "job", "url", "message"]
ACTIVE = ("QUEUED", "SCHEDULED", "RUNNING", "STATE_UNSPECIFIED")


class CollectFailed(NgffError):
    exit_code = exit_codes.UNSOUND


@dataclass(kw_only=True)
class RemoteOptions(PublishChoices):
    batch: BatchSettings
    wait: bool = False              # wait for the jobs, then collect


@dataclass
class FilesetPlan:
    fileset_id: int
    repo_path: str
    records: list[ImageRecord]
    root: str = ""
    action: str = ""
    status: str = ""
    message: str = ""
    job: str = ""
    code: int = exit_codes.OK
    copies: dict = field(default_factory=dict)
    old_roots: set[str] = field(default_factory=set)
    of_plate: bool = False          # its images are the fields of one plate
    spec: FilesetJob | None = None

    @property
    def image_ids(self) -> list[int]:
        return [r.id for r in self.records]


@dataclass
class RemoteResult:
    rows: list[list[Any]] = field(default_factory=list)      # COLUMNS
    jobs: list[dict] = field(default_factory=list)           # dry run: the job specs
    codes: set[int] = field(default_factory=set)
    dry_run: bool = False

    @property
    def code(self) -> int:
        return summary_code(self.codes)


def publish_remote(session: Any, options: RemoteOptions, dest: Any,
                   reporter: Reporter) -> RemoteResult:
    try:
        bf2raw = Bf2rawOptions.from_settings(
            options.write.ngff_version, options.write.compression,
            options.write.compression_level, options.write.chunk_size,
            options.write.shard_size, options.write.min_level_size)
    except ValueError as err:
        raise UsageError(f"remote conversion: {err}") from None
    check_namespace(options.namespace)
    engine = GoogleBatchEngine(options.batch, dest, bf2raw)
    result = RemoteResult(dry_run=options.dry_run)
    require_writable(session.conn, "submitted")      # before any job is submitted
    plans = _plan(session.conn, options, dest, engine, reporter, result)
    if options.dry_run:
        _dry_run(engine, plans, dest, result)
        return result
    owner = _Owners(identity.database_uuid(session.conn), options)
    _submit(engine, plans, options.force, dest, owner)
    waiting = [fs for fs in plans if fs.action in ("running", "submit")
               and fs.status in ("", "submitted", "running")]
    if options.wait and waiting:
        _wait(reporter, engine, session.conn, waiting)
    for fs in plans:
        if fs.action == "running" and not fs.status:
            fs.status = "running"
        if fs.action == "collect" and not fs.status:
            _collect(session.conn, dest, options, engine, fs, owner)
        result.codes.add(fs.code)
    listed = [r for fs in plans if fs.status in ("published", "skipped") for r in fs.records]
    index_images(session.conn, dest, listed, options.namespace, options.index, reporter,
                 fresh={r.id for fs in plans if fs.status == "published" for r in fs.records})
    for fs in plans:
        result.rows.append(_row(fs, dest, fs.status))
        if fs.status == "failed":
            reporter.warn(f"fileset {fs.fileset_id}: {fs.message}")
    return result


class _Owners:
    """The ownership records of this run's fileset roots."""

    def __init__(self, server: str, options: RemoteOptions) -> None:
        self.server, self.options, self.run = server, options, uuid.uuid4().hex

    def __call__(self, fs: FilesetPlan) -> ownership.Owner:
        return ownership.Owner(self.server, f"Fileset:{fs.fileset_id}",
                               self.options.namespace, self.run)

    def take(self, dest: Any, fs: FilesetPlan) -> None:
        """The record before the job writes anything (NotOwned when not ours)."""
        ownership.take(dest, fs.root, self(fs), adopt=self.options.adopt,
                       how="use another --path-template (e.g. with {fileset_id})")

    def restore(self, dest: Any, fs: FilesetPlan) -> None:
        """The record again once the job's output is checked: bioformats2raw's
        --overwrite emptied the root the submitter had taken (entrypoint.sh)."""
        ownership.take(dest, fs.root, self(fs), adopt=True)


def _row(fs: FilesetPlan, dest: Any, status: str) -> list[Any]:
    return [fs.fileset_id, ",".join(map(str, fs.image_ids)), fs.action, status,
            fs.job, dest.public_url(fs.root) if fs.root else "", fs.message]


def _plan(conn: Any, options: RemoteOptions, dest: Any, engine: GoogleBatchEngine,
          reporter: Reporter, result: RemoteResult) -> list[FilesetPlan]:
    """One plan per fileset; refused images become rows of their own."""
    settings = PlanSettings(options.template, options.write.ngff_version,
                            force=options.force, allow_private=options.allow_private,
                            per_fileset=True)
    resolution = targets.resolve(conn, options.refs)
    if resolution.missing:
        result.codes.add(exit_codes.NOT_FOUND)
    if resolution.missing:
        reporter.warn(missing_text(resolution.missing))
    copies = annotations.read(conn, [r.id for r in resolution.images], options.namespace,
                              runner=QueryRunner(conn)) if resolution.images else {}
    filesets: dict[int, FilesetPlan] = {}
    plate_of = plates_of_images(QueryRunner(conn), [r.id for r in resolution.images]) \
        if resolution.images else {}
    several = several_plates(plate_of, resolution.images)
    for record in resolution.images:
        refused = refusal(record, settings)
        reason, code = (refused.reason, refused.code) if refused else (None, exit_codes.OK)
        if refused is None and (record.fileset_id is None or not record.repo_path):
            reason, code = "no fileset in the managed repository", exit_codes.NOT_FOUND
        if reason is None and record.fileset_id in several:
            reason, code = several[record.fileset_id], exit_codes.USAGE
        if reason is not None:
            result.rows.append([record.fileset_id or "", str(record.id), "refuse",
                                "refused", "", "", reason])
            result.codes.add(code)
            continue
        assert record.fileset_id is not None and record.repo_path is not None
        fs = filesets.setdefault(record.fileset_id, FilesetPlan(
            record.fileset_id, record.repo_path, []))
        fs.records.append(record)
        fs.of_plate = record.id in plate_of
    prober = Prober()
    caller = identity.user_id(conn) if filesets else -1
    for fs in filesets.values():
        fs.copies = {r.id: _ours(copies.get(r.id, []), r, caller, options, reporter)
                     for r in fs.records}
        _decide(fs, options, dest, engine, prober)
    return list(filesets.values())


def _ours(copies: list, record: ImageRecord, caller: int, options: RemoteOptions,
          reporter: Reporter) -> list:
    """The tool's annotations of an image; the others are reported and left alone
    (another user's are the tool's only with --adopt: remote runs check no records)."""
    ours, foreign = sort_copies(copies, record, caller, lambda c, r: (
        None if options.adopt else "written by another user"))
    for f in foreign:
        reporter.warn(f"Image:{record.id}: {f.describe()}")
    return ours


def _decide(fs: FilesetPlan, options: RemoteOptions, dest: Any, engine: GoogleBatchEngine,
            prober: Prober) -> None:
    version, template = options.write.ngff_version, options.template
    roots = {paths.render(template, r, version) for r in fs.records}
    if len(roots) != 1:
        raise paths.TemplateError(f"--path-template {template!r} gives the images of "
                                  f"fileset {fs.fileset_id} different roots: use "
                                  "{repo_path} or {fileset_id}, not image values")
    primary = roots.pop()
    current = {r.id: current_copy(fs.copies[r.id]) for r in fs.records}
    prober.prefetch([(c.zarr_path, version) for c in current.values()
                     if c is not None and c.zarr_path and c.ngff_version == version])
    up_to_date = all(
        c is not None and c.zarr_path and c.ngff_version == version and not options.force
        and prober.get(c.zarr_path, version).ok for c in current.values())
    cur_roots = {copy_root(dest, c, fs.of_plate) for c in current.values() if c is not None}
    cur_roots.discard(None)
    if up_to_date:
        fs.action, fs.status, fs.message = "skip", "skipped", "up to date"
        fs.root = next(iter(cur_roots), primary)
        return
    cur_root = next(iter(cur_roots)) if len(cur_roots) == 1 else None
    fs.root = paths.other_slot(primary, cur_root)
    fs.old_roots = {r for r in cur_roots if r and r != fs.root}
    job = FilesetJob(fs.fileset_id, fs.repo_path, fs.root, tuple(fs.image_ids))
    fs.spec = job
    try:
        attempts = engine.find(job)
    except Exception as err:
        code = exit_code_of(err)
        if code is None:
            raise
        fs.action, fs.status, fs.message, fs.code = "submit", "failed", one_line(err), code
        return
    last = attempts[-1] if attempts else None
    fs.job = last.job_id if last else engine.job_id(job, 1)
    if last is not None and last.succeeded and not options.force:
        fs.action = "collect"
    elif last is not None and last.state in ACTIVE:
        fs.action = "running"
    else:
        fs.action = "submit"
        if last is not None and last.failed:
            refused = engine.failure(job, last)
            if isinstance(refused, ConverterRefused):   # the same image would fail again
                fs.status, fs.code, fs.message = "failed", refused.exit_code, one_line(refused)
                return
            fs.message = (f"attempt {last.attempt} {last.state}: "
                          f"{last.last_event or 'no event'}; logs: {last.logs_url}")
            fs.job = engine.job_id(job, last.attempt + 1)


def _submit(engine: GoogleBatchEngine, plans: list[FilesetPlan], force: bool, dest: Any,
            owner: _Owners) -> None:
    for fs in plans:
        if fs.action != "submit" or fs.status:
            continue
        assert fs.spec is not None
        try:
            owner.take(dest, fs)
            sub = engine.submit(fs.spec, rerun_succeeded=force)
            fs.job = sub.status.job_id
            fs.action, fs.status = "submit", "submitted" if sub.submitted else "running"
        except Exception as err:
            fs.status, fs.message = "failed", one_line(err)
            fs.code = exit_code_of(err) or exit_codes.REMOTE


def _wait(reporter: Reporter, engine: GoogleBatchEngine, conn: Any,
          waiting: list[FilesetPlan]) -> None:
    poll = float(os.environ.get(POLL_ENV, "30"))
    names = {engine.job_name(fs.job): fs for fs in waiting}
    with reporter.progress() as progress:
        task = progress.add_task("batch jobs", total=len(names))

        def callback(statuses: Any) -> None:
            done = sum(1 for st in statuses if st.done)
            progress.update(task, completed=done)
            try:
                conn.keepAlive()              # keep the OMERO session alive meanwhile
            except Exception:
                log.debug("keep-alive failed", exc_info=True)

        results = engine.wait(list(names), poll_interval=poll, callback=callback)
    for name, st in results.items():
        fs = names[name]
        if st.succeeded:
            fs.action, fs.status = "collect", ""
        else:
            assert fs.spec is not None
            err = engine.failure(fs.spec, st)
            fs.status, fs.code, fs.message = "failed", err.exit_code, one_line(err)


def _collect(conn: Any, dest: Any, options: RemoteOptions, engine: GoogleBatchEngine,
             fs: FilesetPlan, owner: _Owners) -> None:
    """Check each series over HTTP against OMERO, then annotate every image."""
    version = options.write.ngff_version
    try:
        assert fs.spec is not None
        groups = engine.collect_series(fs.spec)      # series -> group (plates: row/col/field)
        with ThreadPoolExecutor(CHECK_WORKERS) as pool:     # HTTP reads: a few at once
            checked = pool.map(lambda r: _checked_series(dest, version, fs, r, groups),
                               fs.records)
            urls = {record.id: url for record, url in zip(fs.records, checked)}
        owner.restore(dest, fs)
        new = [r for r in fs.records if not fs.copies.get(r.id)]     # in one call
        done = annotations.write_new(
            conn, options.namespace, {r.id: annotation_values(urls[r.id], version) for r in new},
            {r.id: r.group_id for r in new}, f"the images of fileset {fs.fileset_id}")
        for record in (r for r in fs.records if r.id not in done):
            values = annotation_values(urls[record.id], version)
            annotations.write(conn, record.id, record.group_id, options.namespace, values,
                              fs.copies.get(record.id, []))
        notes = _retire(conn, dest, options, fs, owner) if not options.keep_old else []
        fs.status = "published"
        fs.message = "; ".join([f"{plural(len(fs.records), 'image')} annotated", *notes])
    except Exception as err:
        code = exit_code_of(err)
        if code is None:
            log.exception("fileset %s: collect failed", fs.fileset_id)
            code = exit_codes.INTERNAL
        fs.status, fs.message, fs.code = "failed", one_line(err), code


def _retire(conn: Any, dest: Any, options: RemoteOptions, fs: FilesetPlan,
            owner: _Owners) -> list[str]:
    """Remove the replaced roots that are the fileset's; notes on the others."""
    old = OldCopies(conn, Locations(dest, dest.policy), options.namespace,
                    options.write.ngff_version)
    notes: list[str] = []
    for root in sorted(fs.old_roots):
        pointing = [(r, c.zarr_path) for r in fs.records for c in fs.copies.get(r.id, [])
                    if copy_root(dest, c, fs.of_plate) == root]
        record, url = pointing[0] if pointing else (None, None)
        notes += old.remove_root(dest, root, owner(fs), record, url, fs.records).notes
    return notes


def _checked_series(dest: Any, version: str, fs: FilesetPlan, record: ImageRecord,
                    groups: dict[int, str]) -> str:
    """The URL of the record's series, read back and agreeing with OMERO."""
    if record.series not in groups:
        raise CollectFailed(f"Image:{record.id}: job {fs.job} wrote no series "
                            f"{record.series} (found {sorted(groups)})")
    url = dest.public_url(groups[record.series])
    try:
        remote = published_copy.read(url, version)
    except Exception as err:
        raise CollectFailed(f"series {record.series} of job {fs.job} cannot be "
                            f"read at {url}: {one_line(err)}") from None
    errors = [p for p in check_agreement(record, remote) if p.is_error]
    if errors:
        raise CollectFailed(f"Image:{record.id} (series {record.series}) does not "
                            "agree with OMERO: " + "; ".join(p.message for p in errors))
    return url


def _dry_run(engine: GoogleBatchEngine, plans: list[FilesetPlan], dest: Any,
             result: RemoteResult) -> None:
    from google.cloud import batch_v1

    for fs in plans:
        result.rows.append(_row(fs, dest, "planned"))
        if fs.action == "submit":
            assert fs.spec is not None
            attempt = int(fs.job.rsplit("-a", 1)[-1]) if "-a" in fs.job else 1
            spec = engine.build_job(fs.spec, attempt)
            result.jobs.append({"job_id": fs.job, "fileset": fs.fileset_id,
                                "spec": json.loads(batch_v1.Job.to_json(spec))})
