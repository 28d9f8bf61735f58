"""`omero ngff publish --remote google-batch`: one bioformats2raw job per fileset.

Per fileset (its images are its series): the root comes from the path template
(default ``{ngff_version}/{repo_path}.zarr``), series N at ``<root>/N/``. Then:

- every image published at the version with its metadata answering: ``skip``;
- no job yet, or the last attempt failed: ``submit`` (a failed job is resubmitted as the
  next attempt; job names are deterministic, so a rerun never duplicates a queued,
  running or finished job);
- a job queued or running: ``running`` (``--wait`` polls until it ends, keeping the
  OMERO session alive);
- a job that succeeded: ``collect``: each series' metadata is read over plain HTTP and
  compared with OMERO (shape, pixel type), then each image of the fileset is annotated
  (``<root>/<series>/``); a replaced copy is removed afterwards (``--keep-old``).

Reconversion (older version, --force) writes to the other slot like local publishing.
Failed jobs are reported with their logs' location (exit code REMOTE). Job specs hold
no credentials: the jobs run as the project's service account.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field


from ..omero_io import annotations, targets
from .. import exit_codes
from ..model import paths
from ..errors import NgffError, UsageError, exit_code_of, one_line
from ..commands.export import summary_code
from ..omero_io.query import QueryRunner
from .plan import PlanSettings, Prober, current_copy, refusal, root_in_dest

log = logging.getLogger(__name__)

POLL_ENV = "OMERO_NGFF_BATCH_POLL"          # seconds between polls with --wait
COLUMNS = ["fileset", "images", "action", "status", "job", "url", "message"]


class CollectFailed(NgffError):
    exit_code = exit_codes.UNSOUND


@dataclass
class FilesetPlan:
    fileset_id: int
    repo_path: str
    records: list
    root: str = ""
    action: str = ""
    status: str = ""
    message: str = ""
    job: str = ""
    code: int = exit_codes.OK
    copies: dict = field(default_factory=dict)
    old_roots: set = field(default_factory=set)

    @property
    def image_ids(self):
        return [r.id for r in self.records]


def run(session, args, out, refs, dest, settings, template, options) -> int:
    from ..remote import BatchSettings, Bf2rawOptions, FilesetJob, GoogleBatchEngine

    if not (args.batch_project and args.repository_bucket):
        raise UsageError("--remote google-batch needs --batch-project and "
                         "--repository-bucket")
    batch = BatchSettings(project=args.batch_project, region=args.batch_region,
                          repository=args.repository_bucket,
                          machine_type=args.batch_machine_type,
                          api_endpoint=args.batch_endpoint,
                          **({"image": args.batch_image} if args.batch_image else {}))
    try:
        bf2raw = Bf2rawOptions.from_settings(
            options.ngff_version, options.compression, options.compression_level,
            options.chunk_size, options.shard_size, options.min_level_size)
    except ValueError as err:
        raise UsageError(f"remote conversion: {err}") from None
    engine = GoogleBatchEngine(batch, dest, bf2raw)
    version = options.ngff_version
    plan_settings = PlanSettings(template, version, force=args.force,
                                 allow_private=args.allow_private, per_fileset=True)

    conn = session.conn
    resolution = targets.resolve(conn, refs)
    codes = {exit_codes.NOT_FOUND} if resolution.missing else set()
    for ref in resolution.missing:
        out.warn(f"{ref}: not found, or not readable by this user")
    runner = QueryRunner(conn)
    copies = annotations.read(conn, [r.id for r in resolution.images], settings.namespace,
                              runner=runner) if resolution.images else {}

    rows = []
    filesets: dict[int, FilesetPlan] = {}
    for record in resolution.images:
        refused = refusal(record, plan_settings)
        if refused is None and (record.fileset_id is None or not record.repo_path):
            refused = _row_only(record, "no fileset in the managed repository",
                                exit_codes.NOT_FOUND)
        if refused is not None:
            rows.append([record.fileset_id or "", str(record.id), "refuse", "refused", "",
                         "", refused.reason])
            codes.add(refused.code)
            continue
        fs = filesets.setdefault(record.fileset_id, FilesetPlan(
            record.fileset_id, record.repo_path, []))
        fs.records.append(record)

    prober = Prober()
    for fs in filesets.values():
        fs.copies = {r.id: copies.get(r.id, []) for r in fs.records}
        roots = {paths.render(template, r, version) for r in fs.records}
        if len(roots) != 1:
            raise paths.TemplateError(f"--path-template {template!r} gives the images of "
                                      f"fileset {fs.fileset_id} different roots: use "
                                      "{repo_path} or {fileset_id}, not image values")
        primary = roots.pop()
        current = {r.id: current_copy(fs.copies[r.id]) for r in fs.records}
        prober.prefetch([(c.zarr_path, version) for c in current.values()
                         if c is not None and c.ngff_version == version])
        up_to_date = all(
            c is not None and c.ngff_version == version and not args.force
            and prober.get(c.zarr_path, version).ok for c in current.values())
        cur_roots = {root_in_dest(dest, c) for c in current.values() if c is not None}
        cur_roots.discard(None)
        if up_to_date:
            fs.action, fs.status, fs.message = "skip", "skipped", "up to date"
            fs.root = next(iter(cur_roots), primary)
            continue
        cur_root = next(iter(cur_roots)) if len(cur_roots) == 1 else None
        fs.root = paths.other_slot(primary, cur_root)
        fs.old_roots = {r for r in cur_roots if r != fs.root}
        job = FilesetJob(fs.fileset_id, fs.repo_path, fs.root, tuple(fs.image_ids))
        try:
            attempts = engine.find(job)
        except Exception as err:
            if exit_code_of(err) is None:
                raise
            fs.action, fs.status, fs.message = "submit", "failed", one_line(err)
            fs.code = exit_code_of(err)
            continue
        last = attempts[-1] if attempts else None
        fs.job = last.job_id if last else engine.job_id(job, 1)
        if last is not None and last.succeeded and not args.force:
            fs.action = "collect"
        elif last is not None and last.state in ("QUEUED", "SCHEDULED", "RUNNING",
                                                  "STATE_UNSPECIFIED"):
            fs.action = "running"
        else:
            fs.action = "submit"
            if last is not None and last.failed:
                fs.message = (f"attempt {last.attempt} {last.state}: "
                              f"{last.last_event or 'no event'}; logs: {last.logs_url}")
                fs.job = engine.job_id(job, last.attempt + 1)
        fs._job = job

    plans = list(filesets.values())
    if args.dry_run:
        return _dry_run(out, engine, plans, rows, dest, codes, version)

    # submit what needs submitting
    for fs in plans:
        if fs.action != "submit" or fs.status:
            continue
        try:
            sub = engine.submit(fs._job, rerun_succeeded=args.force)
            fs.job = sub.status.job_id
            fs.action, fs.status = "submit", "submitted" if sub.submitted else "running"
        except Exception as err:
            fs.status, fs.message = "failed", one_line(err)
            fs.code = exit_code_of(err) or exit_codes.REMOTE
    waiting = [fs for fs in plans if fs.action in ("running", "submit")
               and fs.status in ("", "submitted", "running")]
    if args.wait and waiting:
        _wait(out, engine, conn, waiting)
    for fs in plans:
        if fs.action == "running" and not fs.status:
            fs.status = "running"
        if fs.action == "collect" and not fs.status:
            _collect(conn, dest, settings.namespace, version, fs, args.keep_old, engine)
        codes.add(fs.code)
    for fs in plans:
        rows.append([fs.fileset_id, ",".join(map(str, fs.image_ids)), fs.action, fs.status,
                     fs.job, dest.public_url(fs.root) if fs.root else "", fs.message])
        if fs.status == "failed":
            out.warn(f"fileset {fs.fileset_id}: {fs.message}")
    out.table("Publish (remote)", COLUMNS, rows)
    return summary_code(codes)


def _row_only(record, reason, code):
    from .plan import REFUSE, ImagePlan
    return ImagePlan(record, REFUSE, reason, code=code)


def _wait(out, engine, conn, waiting):
    poll = float(os.environ.get(POLL_ENV, "30"))
    names = {engine.job_name(fs.job): fs for fs in waiting}
    with out.progress() as progress:
        task = progress.add_task("batch jobs", total=len(names))

        def callback(statuses):
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
            fs.status = "failed"
            fs.code = exit_codes.REMOTE
            fs.message = (f"job {st.job_id} {st.state}: {st.last_event or 'no event'}; "
                          f"logs: {st.logs_url}")


def _collect(conn, dest, namespace, version, fs, keep_old, engine):
    """Check each series over HTTP against OMERO, then annotate every image."""
    from ..checks.core import RemoteCopy, check_agreement
    try:
        urls = {}
        for record in fs.records:
            url = dest.public_url(paths.group_path(fs.root, record.series))
            remote = RemoteCopy(url, version)
            try:
                remote.fetch()
                remote.open_levels()
            except Exception as err:
                raise CollectFailed(f"series {record.series} of job {fs.job} cannot be "
                                    f"read at {url}: {one_line(err)}") from None
            errors = [p for p in check_agreement(record, remote) if p.is_error]
            if errors:
                raise CollectFailed(f"Image:{record.id} (series {record.series}) does not "
                                    "agree with OMERO: " + "; ".join(p.message for p in errors))
            urls[record.id] = url
        for record in fs.records:
            values = annotations.annotation_values(urls[record.id], version)
            annotations.write(conn, record.id, record.group_id, namespace, values,
                              fs.copies.get(record.id, []))
        if fs.old_roots and not keep_old:
            for old in fs.old_roots:
                dest.remove(old)
        fs.status = "published"
        fs.message = f"{len(fs.records)} image(s) annotated"
    except Exception as err:
        code = exit_code_of(err)
        if code is None:
            log.exception("fileset %s: collect failed", fs.fileset_id)
            code = exit_codes.INTERNAL
        fs.status, fs.message, fs.code = "failed", one_line(err), code


def _dry_run(out, engine, plans, rows, dest, codes, version) -> int:
    from google.cloud import batch_v1

    specs = []
    for fs in plans:
        rows.append([fs.fileset_id, ",".join(map(str, fs.image_ids)), fs.action, "planned",
                     fs.job, dest.public_url(fs.root) if fs.root else "", fs.message])
        if fs.action == "submit":
            attempt = int(fs.job.rsplit("-a", 1)[-1]) if "-a" in fs.job else 1
            spec = engine.build_job(fs._job, attempt)
            specs.append({"job_id": fs.job, "fileset": fs.fileset_id,
                          "spec": json.loads(batch_v1.Job.to_json(spec))})
    if out.style == "json":
        out.document({"plan": [dict(zip(COLUMNS, r)) for r in rows], "jobs": specs})
    else:
        out.table("Publish plan (remote, dry run: nothing changed)", COLUMNS, rows)
        for item in specs:
            cmd = item["spec"]["taskGroups"][0]["taskSpec"]["runnables"][0]["container"]
            out.line(f"{item['job_id']}: {' '.join(cmd.get('commands', []))}")
    return summary_code(codes)
