"""`omero ngff publish`: make every image under the objects available as OME-Zarr at a
public URL, and record that URL on the image (one MapAnnotation in the namespace).

Per image: claim it, write the data (or resume), check it over plain HTTP (metadata,
shapes and pixel type, one tile against OMERO's), then annotate, then remove a replaced
copy. An annotation never points at incomplete data: reconversions write to the other
slot (see paths.py) and switch the annotation only when the new copy checks out.
See publish_plan.py for the actions and the journal, claims.py for the claims.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Optional

from ..omero_io import annotations, targets
from .. import exit_codes
from ..model import paths
from ..workflows import plan as publish_plan
from ..cli import run_log
from ..storage.claims import CLAIMS_DIR, Claims
from ..workflows.convert import convert_image, write_options
from ..model.defaults import DEFAULT_NAMESPACE
from ..errors import NgffError, UsageError, exit_code_of, one_line
from .export import summary_code
from ..model.objects import parse_objects
from ..cli.output import Output
from ..workflows.plan import (FAIL, PUBLISH, REFUSE, RESTORE, SKIP, UPDATE, WORK, ImagePlan,
                              Pending, PlanSettings, Prober)
from ..storage import parse_destination

log = logging.getLogger(__name__)

CONFIG_PREFIX = "omero.client.ngff."
CONFIG_KEYS = ("dest", "public_url", "namespace")


class CheckFailed(NgffError):
    """The written copy does not agree with OMERO: never annotated."""

    exit_code = exit_codes.UNSOUND


class CopyUnreadable(NgffError):
    """The written copy cannot be read at its public URL: never annotated."""

    exit_code = exit_codes.DESTINATION


# --------------------------------------------------------------------------- settings

@dataclass
class Settings:
    dest: str
    public_url: Optional[str]
    namespace: str
    source: str = "command line"


def _local_config() -> dict:
    """`omero config set` values of the local OMERO installation (OMERODIR), if any."""
    base = os.environ.get("OMERODIR")
    if not base:
        return {}
    path = os.path.join(base, "etc", "grid", "config.xml")
    if not os.path.isfile(path):
        return {}
    try:
        from omero.config import ConfigXml
        cfg = ConfigXml(path, exclusive=False, read_only=True)
        try:
            return dict(cfg.as_map())
        finally:
            cfg.close()
    except Exception:                     # unreadable config: no defaults from there
        log.debug("cannot read %s", path, exc_info=True)
        return {}


def resolve_settings(session, args) -> Settings:
    """--dest / --public-url / --namespace, else `omero.client.ngff.*` from the server's
    client configuration, else from the local OMERO config; no --dest: usage error."""
    given = {"dest": args.dest, "public_url": args.public_url, "namespace": args.namespace}
    configured: dict = {}
    if any(v is None for v in given.values()):
        for source in (session.client_config(), _local_config()):
            for key in CONFIG_KEYS:
                value = source.get(CONFIG_PREFIX + key) or source.get(
                    CONFIG_PREFIX + key.replace("_", "-"))
                if value and key not in configured:
                    configured[key] = str(value).strip()
    dest = given["dest"] or configured.get("dest")
    if not dest:
        raise UsageError("no destination: give --dest gs://BUCKET/PREFIX, or set a "
                         f"default with `omero config set {CONFIG_PREFIX}dest ...`")
    public = given["public_url"]
    if public is None and configured.get("public_url") and (
            given["dest"] is None or given["dest"].rstrip("/") ==
            (configured.get("dest") or "").rstrip("/")):
        public = configured["public_url"]      # only with the destination it belongs to
    namespace = given["namespace"] or configured.get("namespace") or DEFAULT_NAMESPACE
    source = "command line" if given["dest"] else "configuration"
    return Settings(dest, public, namespace, source)


# --------------------------------------------------------------------------- entry point

def run(session, args) -> int:
    out = Output(args.style, getattr(args, "quiet", False))
    refs = parse_objects(args.objects)          # bad input fails before any login
    options = write_options(args)
    if args.parallel_images < 1:
        raise UsageError("--parallel-images must be at least 1")
    template = args.path_template or (paths.DEFAULT_REMOTE_TEMPLATE if args.remote
                                      else paths.DEFAULT_TEMPLATE)
    paths.check_template(template, per_image=not args.remote)
    settings = resolve_settings(session, args)
    dest = parse_destination(settings.dest, settings.public_url)
    dest.require_public_url()
    if args.remote:
        from ..workflows import publish_remote
        return publish_remote.run(session, args, out, refs, dest, settings, template,
                                  options)
    handler = run_log.start(args.log_file)
    try:
        return Publish(session, args, out, dest, settings, template, options).run(refs)
    finally:
        run_log.stop(handler)


# --------------------------------------------------------------------------- the run

PLAN_COLUMNS = ["image", "name", "action", "destination", "url", "reason"]
COLUMNS = ["image", "name", "action", "status", "url", "bytes", "seconds", "message"]


@dataclass
class Row:
    plan: ImagePlan
    status: str
    message: str = ""
    bytes: Optional[int] = None
    seconds: float = 0.0
    code: int = exit_codes.OK

    def cells(self) -> list:
        return [self.plan.image_id, self.plan.record.name, self.plan.action, self.status,
                self.plan.url or "", "" if self.bytes is None else self.bytes,
                round(self.seconds, 2), self.message]


class Publish:
    def __init__(self, session, args, out, dest, settings, template, options):
        self.session = session
        self.args = args
        self.out = out
        self.dest = dest
        self.namespace = settings.namespace
        self.options = options
        self.plan_settings = PlanSettings(template, options.ngff_version,
                                          force=args.force,
                                          allow_private=args.allow_private)
        self._annotate_lock = threading.Lock()
        self.claims: Optional[Claims] = None
        self.stats = {"omero_calls": 0, "probes": 0}

    @property
    def conn(self):
        return self.session.conn

    # -- planning --------------------------------------------------------------------------

    def plan(self, refs):
        resolution = targets.resolve(self.conn, refs)
        for ref in resolution.missing:
            self.out.warn(f"{ref}: not found, or not readable by this user")
        records = resolution.images
        from ..omero_io.query import QueryRunner
        runner = QueryRunner(self.conn)
        copies = annotations.read(self.conn, [r.id for r in records], self.namespace,
                                  runner=runner) if records else {}
        with self.dest.translate_errors("reading the journal", write=False):
            journal = publish_plan.read_journal(self.dest)
            claimed = publish_plan.listed_ids(self.dest, CLAIMS_DIR)
        prober = Prober(policy_probe(self.dest))
        plans = publish_plan.make_plan(records, copies, self.dest, self.plan_settings,
                                       prober, journal)
        for plan in plans:
            plan.claimed = plan.image_id in claimed and plan.action not in (REFUSE, FAIL)
        self.stats["omero_calls"] = resolution.queries + runner.calls
        self.stats["probes"] = prober.calls
        return resolution, plans

    def run(self, refs) -> int:
        resolution, plans = self.plan(refs)
        codes = {exit_codes.NOT_FOUND} if resolution.missing else set()
        if self.args.dry_run:
            self.report_plan(plans)
            codes |= {p.code for p in plans if p.action in (REFUSE, FAIL)}
            return summary_code(codes)
        busy = [p for p in plans if p.busy]
        if any(p.action in WORK for p in plans):
            report = self.dest.preflight(check_public=True, check_cors=True)
            for warning in report.warnings:
                self.out.warn(warning)
        rows = self.execute(plans, busy)
        self.report(rows)
        codes |= {row.code for row in rows}
        return summary_code(codes)

    # -- execution -------------------------------------------------------------------------

    def execute(self, plans, busy) -> list[Row]:
        busy_ids = {p.image_id for p in busy}
        rows: dict[int, Row] = {}
        for plan in plans:
            if plan.image_id not in busy_ids:
                rows[plan.image_id] = self._static_row(plan)
        if busy:
            self.claims = Claims(self.dest)
            try:
                self._run_busy(busy, rows)
            finally:
                self.claims.release_all()
        return [rows[p.image_id] for p in plans]

    def _static_row(self, plan) -> Row:
        if plan.action == SKIP:
            return Row(plan, "skipped", plan.reason)
        if plan.action == REFUSE:
            self.out.warn(f"Image:{plan.image_id}: refused: {plan.reason}")
            return Row(plan, "refused", plan.reason, code=plan.code)
        self.out.warn(f"Image:{plan.image_id}: {plan.reason}")
        return Row(plan, "failed", plan.reason, code=plan.code)

    def _run_busy(self, busy, rows):
        work = [p for p in busy if p.action in WORK]
        with self.out.progress() as progress:
            overall = progress.add_task("images", total=len(work))
            written = progress.add_task("bytes written", total=None, unit="bytes")
            tracker = _Bytes(progress, written)

            def one(plan):
                started = time.monotonic()
                try:
                    row = self.process(plan, progress, tracker)
                except Exception as err:
                    row = self._failed(plan, err)
                row.seconds = time.monotonic() - started
                return row

            workers = max(1, min(self.args.parallel_images, len(busy)))
            with ThreadPoolExecutor(workers) as pool:
                futures = {pool.submit(one, plan): plan for plan in busy}
                for future in as_completed(futures):
                    plan = futures[future]
                    rows[plan.image_id] = future.result()
                    if plan.action in WORK:
                        progress.advance(overall)

    def _failed(self, plan, err) -> Row:
        code = exit_code_of(err)
        if code is None:                             # a bug: keep the traceback in the log
            log.exception("Image:%s failed", plan.image_id)
            code = exit_codes.INTERNAL
        self.out.warn(f"Image:{plan.image_id}: {one_line(err)}")
        return Row(plan, "failed", one_line(err), code=code)

    def process(self, plan: ImagePlan, progress, tracker) -> Row:
        """One image, under its claim: re-plan (another run may have done it), then act."""
        holder = self.claims.acquire(plan.image_id)
        if holder is not None:
            return Row(plan, "skipped", f"claimed by another {holder.describe()}")
        try:
            plan = self.replan(plan)
            return self.act(plan, progress, tracker)
        finally:
            self.claims.release(plan.image_id)

    def replan(self, plan: ImagePlan) -> ImagePlan:
        copies = annotations.read(self.conn, [plan.image_id], self.namespace)
        entry = Pending.parse(self.dest.read_bytes(publish_plan.journal_path(plan.image_id)))
        journal = {plan.image_id: entry} if entry else {}
        return publish_plan.make_plan([plan.record], copies, self.dest, self.plan_settings,
                                      Prober(policy_probe(self.dest), threads=1),
                                      journal)[0]

    def act(self, plan: ImagePlan, progress, tracker) -> Row:
        if plan.cleanup:
            is_old = plan.journal is not None and plan.cleanup == plan.journal.old
            if not (is_old and self.args.keep_old):
                self.dest.remove(plan.cleanup)
        if plan.action in (SKIP, REFUSE, FAIL):
            self._forget(plan)
            return self._static_row(plan) if plan.action != SKIP else Row(
                plan, "skipped", plan.reason + (" (finished an interrupted run)"
                                                if plan.journal else ""))
        if plan.action == RESTORE:
            if plan.root is not None:
                try:
                    self.check(plan)
                except (CheckFailed, CopyUnreadable) as err:
                    if plan.current is not None and plan.current.zarr_path == plan.url:
                        raise
                    log.info("Image:%s: %s: converting again", plan.image_id, err)
                    plan.action = PUBLISH
            if plan.action == RESTORE:
                date = None
                if plan.current is not None and plan.current.zarr_path == plan.url:
                    date = plan.current.conversion_date
                foreign = self.annotate(plan, date)
                self._forget(plan)
                return Row(plan, "restored", _foreign_note(foreign))
        # PUBLISH / UPDATE: journal, write, check, annotate, remove the old copy
        self.dest.write_bytes(publish_plan.journal_path(plan.image_id), Pending(
            plan.image_id, plan.root, plan.old_root,
            plan.current.zarr_path if plan.current else None).to_bytes())
        if not plan.resume:
            self.dest.remove(plan.root)             # leftovers: never annotated, not ours
        result = self.convert(plan, progress, tracker)
        self.check(plan)
        foreign = self.annotate(plan)
        note = _foreign_note(foreign)
        if plan.old_root:
            if self.args.keep_old:
                note = (note + "; " if note else "") + \
                    f"old copy kept at {self.dest.public_url(plan.old_root)}"
            else:
                self.dest.remove(plan.old_root)
        elif plan.action == UPDATE and plan.current is not None and \
                plan.current.zarr_path != plan.url:
            note = (note + "; " if note else "") + \
                f"previous copy {plan.current.zarr_path} left (not under --dest)"
        self._forget(plan)
        status = "published" if plan.action == PUBLISH else "updated"
        return Row(plan, status, note, bytes=result.bytes_written)

    def _forget(self, plan: ImagePlan) -> None:
        if plan.journal is not None or plan.action in (PUBLISH, UPDATE):
            self.dest.remove(publish_plan.journal_path(plan.image_id))

    def convert(self, plan, progress, tracker):
        task = progress.add_task(f"Image:{plan.image_id}", total=None)

        def update(p):
            progress.update(task, completed=p.pixels_done, total=p.pixels_total)
            tracker.set(plan.image_id, p.bytes_written)

        try:
            result = convert_image(self.conn, plan.record, self.dest.zarr_store(plan.root),
                                   self.options, progress=update)
        finally:
            progress.remove_task(task)
        tracker.set(plan.image_id, result.bytes_written)
        return result

    def check(self, plan: ImagePlan) -> None:
        """Metadata over plain HTTP at the public URL, shapes and pixel type as in
        OMERO, one tile compared with OMERO's."""
        from ..checks.core import RemoteCopy, check_agreement, check_pixels
        from ..omero_io.tile_source import OmeroTileSource
        from ..storage import FetchError

        remote = RemoteCopy(plan.url, self.options.ngff_version)
        try:
            remote.fetch()
            remote.open_levels()
        except FetchError as err:
            raise CopyUnreadable(f"the written copy cannot be read at {plan.url} "
                                 f"({err.kind}): {one_line(err)}") from None
        except Exception as err:
            raise CheckFailed(f"the written copy at {plan.url} cannot be opened: "
                              f"{one_line(err)}") from None
        problems = check_agreement(plan.record, remote)
        if not problems:
            with OmeroTileSource(self.conn, plan.record) as source:
                problems = check_pixels(plan.record, remote, source, count=1)
        errors = [p for p in problems if p.is_error]
        if errors:
            raise CheckFailed("the written copy does not agree with OMERO: "
                              + "; ".join(p.message for p in errors[:3]))

    def annotate(self, plan: ImagePlan, date: Optional[str] = None) -> list:
        values = annotations.annotation_values(plan.url, self.options.ngff_version, date)
        with self._annotate_lock:      # the gateway's call context is shared
            _, foreign = annotations.write(self.conn, plan.image_id, plan.record.group_id,
                                           self.namespace, values, plan.copies)
        return foreign

    # -- reports ---------------------------------------------------------------------------

    def report_plan(self, plans):
        rows = [[p.image_id, p.record.name, p.action,
                 self.dest.join(p.root) if p.root and p.action in WORK else "",
                 p.url or "", p.reason + (f"; then remove {p.cleanup}" if p.cleanup else "")
                 + (f"; then remove {p.old_root}" if p.old_root and not self.args.keep_old
                    else "")]
                for p in plans]
        counts = _counts(p.action for p in plans)
        self.out.table("Publish plan (dry run: nothing changed)", PLAN_COLUMNS, rows,
                       footer=counts)

    def report(self, rows: list[Row]):
        counts = _counts(r.status for r in rows)
        self.out.table("Publish", COLUMNS, [r.cells() for r in rows], footer=counts)


def _counts(values) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in counts.items())


def _foreign_note(foreign) -> str:
    if not foreign:
        return ""
    ids = ", ".join(str(c.annotation_id) for c in foreign)
    return f"other annotations in the namespace you may not edit were left: {ids}"


def policy_probe(dest):
    """A probe function with the destination's HTTP policy."""
    from ..storage import probe_metadata

    def probe(url, version):
        return probe_metadata(url, version, policy=dest.policy)
    return probe


class _Bytes:
    """Bytes written across the images converted at once, for one progress bar."""

    def __init__(self, progress, task):
        self.progress = progress
        self.task = task
        self.by_image: dict[int, int] = {}
        self.lock = threading.Lock()

    def set(self, image_id: int, value: int):
        with self.lock:
            self.by_image[image_id] = value
            self.progress.update(self.task, completed=sum(self.by_image.values()))
