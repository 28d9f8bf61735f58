"""`publish`: make every image under the objects available as OME-Zarr at a public URL,
and record that URL on the image (one MapAnnotation in the namespace).

Per image: claim it, write the data (or resume), check it over plain HTTP (metadata,
shapes and pixel type, one tile against OMERO's), then annotate, then remove a replaced
copy. An annotation never points at incomplete data: reconversions write to the other
slot (see model.paths) and switch the annotation only when the new copy checks out.
The decisions are `plan`'s; claims and the journal are `storage`'s.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import exit_codes
from ..errors import one_line
from ..model.annotation import annotation_values
from ..model.objects import ObjectRef
from ..model.reporting import Progress, Reporter
from ..ngff.spec import WriteResult
from ..omero_io import annotations, targets
from ..omero_io.image_metadata import MetadataReader
from ..omero_io.query import QueryRunner
from ..omero_io.refusals import require_writable
from ..storage import journal as journal_store
from ..storage.claims import CLAIMS_DIR, Claims
from ..storage.probe import Prober
from .convert import convert_image, extras_of, metadata_reader
from .failures import exit_code_of, summary_code
from .plan import (FAIL, PUBLISH, REFUSE, RESTORE, SKIP, UPDATE, WORK, PlanSettings,
                   PublishPlan, make_plan)
from .publish_check import CheckFailed, CopyUnreadable, check_copy
from .publish_options import PublishChoices

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class PublishOptions(PublishChoices):
    parallel_images: int = 2        # images converted at once


@dataclass
class PublishRow:
    """What became of one image."""

    plan: PublishPlan
    status: str
    message: str = ""
    bytes: Optional[int] = None
    seconds: float = 0.0
    code: int = exit_codes.OK


@dataclass
class PublishResult:
    plans: list[PublishPlan] = field(default_factory=list)
    rows: list[PublishRow] = field(default_factory=list)     # empty for a dry run
    missing: list[ObjectRef] = field(default_factory=list)
    dry_run: bool = False

    @property
    def code(self) -> int:
        codes = {exit_codes.NOT_FOUND} if self.missing else set()
        if self.dry_run:
            codes |= {p.code for p in self.plans if p.action in (REFUSE, FAIL)}
        return summary_code(codes | {row.code for row in self.rows})


class Publish:
    """One publish run over one destination."""

    def __init__(self, session: Any, options: PublishOptions, dest: Any,
                 reporter: Reporter):
        self.session = session
        self.options = options
        self.reporter = reporter
        self.dest = dest
        self.plan_settings = PlanSettings(options.template, options.write.ngff_version,
                                          force=options.force,
                                          allow_private=options.allow_private)
        self._annotate_lock = threading.Lock()
        self._left: dict[int, annotations.DuplicatesLeft] = {}   # duplicates not deleted
        self.claims: Optional[Claims] = None
        self.metadata: Optional[MetadataReader] = None      # ROIs, annotations (run)

    @property
    def conn(self) -> Any:
        return self.session.conn

    def prober(self, threads: Optional[int] = None) -> Prober:
        kwargs = {"threads": threads} if threads else {}
        return Prober(policy=self.dest.policy, **kwargs)

    # -- planning --------------------------------------------------------------------------

    def plan(self) -> tuple[list[ObjectRef], list[PublishPlan]]:
        """(the objects not found, one plan per image)."""
        resolution = targets.resolve(self.conn, self.options.refs)
        for ref in resolution.missing:
            self.reporter.warn(f"{ref}: not found, or not readable by this user")
        records = resolution.images
        copies = annotations.read(self.conn, [r.id for r in records],
                                  self.options.namespace,
                                  runner=QueryRunner(self.conn)) if records else {}
        with self.dest.translate_errors("reading the journal", write=False):
            journal = journal_store.read_journal(self.dest)
            claimed = journal_store.listed_ids(self.dest, CLAIMS_DIR)
        plans = make_plan(records, copies, self.dest, self.plan_settings, self.prober(),
                          journal)
        for plan in plans:
            plan.claimed = plan.image_id in claimed and plan.action not in (REFUSE, FAIL)
        return resolution.missing, plans

    def run(self) -> PublishResult:
        # a read-only server cannot be annotated: stop before anything is converted,
        # uploaded or claimed (a dry run too: its plan could not be carried out)
        require_writable(self.conn, "published")
        missing, plans = self.plan()
        result = PublishResult(plans, missing=missing, dry_run=self.options.dry_run)
        if self.options.dry_run:
            return result
        if any(p.action in WORK for p in plans):
            report = self.dest.preflight(check_public=True, check_cors=True)
            for warning in report.warnings:
                self.reporter.warn(warning)
        busy = [p for p in plans if p.busy]
        self.metadata = metadata_reader(self.conn, [p.record for p in busy if p.action in WORK],
                                        self.options.metadata)
        result.rows = self.execute(plans, busy)
        return result

    # -- execution -------------------------------------------------------------------------

    def execute(self, plans: list[PublishPlan], busy: list[PublishPlan]) -> list[PublishRow]:
        busy_ids = {p.image_id for p in busy}
        rows: dict[int, PublishRow] = {}
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

    def _static_row(self, plan: PublishPlan) -> PublishRow:
        if plan.action == SKIP:
            return PublishRow(plan, "skipped", plan.reason)
        if plan.action == REFUSE:
            self.reporter.warn(f"Image:{plan.image_id}: refused: {plan.reason}")
            return PublishRow(plan, "refused", plan.reason, code=plan.code)
        self.reporter.warn(f"Image:{plan.image_id}: {plan.reason}")
        return PublishRow(plan, "failed", plan.reason, code=plan.code)

    def _run_busy(self, busy: list[PublishPlan], rows: dict[int, PublishRow]) -> None:
        work = [p for p in busy if p.action in WORK]
        with self.reporter.progress() as progress:
            overall = progress.add_task("images", total=len(work))
            written = progress.add_task("bytes written", total=None, unit="bytes")
            tracker = _Bytes(progress, written)

            def one(plan: PublishPlan) -> PublishRow:
                started = time.monotonic()
                try:
                    row = self.process(plan, progress, tracker)
                except Exception as err:
                    row = self._failed(plan, err)
                left = self._left.get(plan.image_id)
                if left is not None and row.code == exit_codes.OK:
                    row.code = left.exit_code
                    row.message = "; ".join(m for m in (row.message, one_line(left)) if m)
                row.seconds = time.monotonic() - started
                return row

            workers = max(1, min(self.options.parallel_images, len(busy)))
            with ThreadPoolExecutor(workers) as pool:
                futures = {pool.submit(one, plan): plan for plan in busy}
                for future in as_completed(futures):
                    plan = futures[future]
                    rows[plan.image_id] = future.result()
                    if plan.action in WORK:
                        progress.advance(overall)

    def _failed(self, plan: PublishPlan, err: Exception) -> PublishRow:
        code = exit_code_of(err)
        if code is None:                             # a bug: keep the traceback in the log
            log.exception("Image:%s failed", plan.image_id)
            code = exit_codes.INTERNAL
        self.reporter.warn(f"Image:{plan.image_id}: {one_line(err)}")
        return PublishRow(plan, "failed", one_line(err), code=code)

    def process(self, plan: PublishPlan, progress: Progress, tracker: "_Bytes") -> PublishRow:
        """One image, under its claim: re-plan (another run may have done it), then act."""
        assert self.claims is not None
        holder = self.claims.acquire(plan.image_id)
        if holder is not None:
            return PublishRow(plan, "skipped", f"claimed by another {holder.describe()}")
        try:
            plan = self.replan(plan)
            return self.act(plan, progress, tracker)
        finally:
            self.claims.release(plan.image_id)

    def replan(self, plan: PublishPlan) -> PublishPlan:
        copies = annotations.read(self.conn, [plan.image_id], self.options.namespace)
        entry = journal_store.read_entry(self.dest, plan.image_id)
        journal = {plan.image_id: entry} if entry else {}
        return make_plan([plan.record], copies, self.dest, self.plan_settings,
                         self.prober(threads=1), journal)[0]

    def act(self, plan: PublishPlan, progress: Progress, tracker: "_Bytes") -> PublishRow:
        if plan.cleanup:
            is_old = plan.journal is not None and plan.cleanup == plan.journal.old
            if not (is_old and self.options.keep_old):
                self.dest.remove(plan.cleanup)
        if plan.action in (SKIP, REFUSE, FAIL):
            self._forget(plan)
            return self._static_row(plan) if plan.action != SKIP else PublishRow(
                plan, "skipped", plan.reason + (" (finished an interrupted run)"
                                                if plan.journal else ""))
        if plan.action == RESTORE:
            row = self._restore(plan)
            if row is not None:
                return row
        return self._convert_and_switch(plan, progress, tracker)

    def _restore(self, plan: PublishPlan) -> Optional[PublishRow]:
        """Annotate complete data without converting; None when it must be converted
        after all (its check failed and no annotation points at it yet)."""
        if plan.root is not None:
            try:
                self.check(plan)
            except (CheckFailed, CopyUnreadable) as err:
                if plan.current is not None and plan.current.zarr_path == plan.url:
                    raise
                log.info("Image:%s: %s: converting again", plan.image_id, err)
                plan.action = PUBLISH
                return None
        date = None
        if plan.current is not None and plan.current.zarr_path == plan.url:
            date = plan.current.conversion_date
        foreign = self.annotate(plan, date)
        self._forget(plan)
        return PublishRow(plan, "restored", _foreign_note(foreign))

    def _convert_and_switch(self, plan: PublishPlan, progress: Progress,
                            tracker: "_Bytes") -> PublishRow:
        """Journal, write, check, annotate, then remove the old copy."""
        assert plan.root is not None
        self.dest.write_bytes(journal_store.journal_path(plan.image_id), journal_store.Pending(
            plan.image_id, plan.root, plan.old_root,
            plan.current.zarr_path if plan.current else None).to_bytes())
        if not plan.resume:
            self.dest.remove(plan.root)             # leftovers: never annotated, not ours
        result = self.convert(plan, progress, tracker)
        self.check(plan)
        notes = [_foreign_note(self.annotate(plan))]
        if plan.old_root:
            if self.options.keep_old:
                notes.append(f"old copy kept at {self.dest.public_url(plan.old_root)}")
            else:
                self.dest.remove(plan.old_root)
        elif plan.action == UPDATE and plan.current is not None and \
                plan.current.zarr_path != plan.url:
            notes.append(f"previous copy {plan.current.zarr_path} left (not under --dest)")
        self._forget(plan)
        status = "published" if plan.action == PUBLISH else "updated"
        return PublishRow(plan, status, "; ".join(n for n in notes if n),
                          bytes=result.total_bytes)

    def _forget(self, plan: PublishPlan) -> None:
        if plan.journal is not None or plan.action in (PUBLISH, UPDATE):
            self.dest.remove(journal_store.journal_path(plan.image_id))

    def convert(self, plan: PublishPlan, progress: Progress, tracker: "_Bytes") -> WriteResult:
        task = progress.add_task(f"Image:{plan.image_id}", total=None)

        def update(p: Any) -> None:
            progress.update(task, completed=p.pixels_done, total=p.pixels_total)
            tracker.set(plan.image_id, p.bytes_written)

        try:
            extras = extras_of(self.metadata, plan.record, self.options.metadata)
            result = convert_image(self.conn, plan.record, self.dest.zarr_store(plan.root),
                                   self.options.write, progress=update, extras=extras)
        finally:
            progress.remove_task(task)
        tracker.set(plan.image_id, result.total_bytes)
        return result

    def check(self, plan: PublishPlan) -> None:
        assert plan.url is not None
        check_copy(self.conn, plan.record, plan.url, self.options.write.ngff_version)

    def annotate(self, plan: PublishPlan, date: Optional[str] = None) -> list:
        """Write the annotation; the duplicates it replaces that could not be deleted
        are reported on the image's row (plan.left), the image is published."""
        assert plan.url is not None
        values = annotation_values(plan.url, self.options.write.ngff_version, date)
        with self._annotate_lock:      # the gateway's call context is shared
            try:
                _, foreign = annotations.write(
                    self.conn, plan.image_id, plan.record.group_id, self.options.namespace,
                    values, plan.copies)
            except annotations.DuplicatesLeft as err:
                self.reporter.warn(f"Image:{plan.image_id}: {one_line(err)}")
                self._left[plan.image_id] = err
                foreign = err.foreign
        return foreign


def _foreign_note(foreign: list) -> str:
    if not foreign:
        return ""
    ids = ", ".join(str(c.annotation_id) for c in foreign)
    return f"other annotations in the namespace you may not edit were left: {ids}"


class _Bytes:
    """Bytes written across the images converted at once, for one progress bar."""

    def __init__(self, progress: Progress, task: Any):
        self.progress = progress
        self.task = task
        self.by_image: dict[int, int] = {}
        self.lock = threading.Lock()

    def set(self, image_id: int, value: int) -> None:
        with self.lock:
            self.by_image[image_id] = value
            self.progress.update(self.task, completed=sum(self.by_image.values()))
