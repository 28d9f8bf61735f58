"""`publish`: make every image under the objects available as OME-Zarr at a public URL,
and record that URL on the image (one MapAnnotation in the namespace).

Per image: claim it, make its root ours (the ownership record before any data), write
the data (or resume), check it over plain HTTP (metadata, shapes and pixel type, one
tile against OMERO's), then annotate, then remove a replaced copy if it is ours. An
annotation never points at incomplete data: reconversions write to the other slot
(see model.paths) and switch the annotation only when the new copy checks out. The
decisions are `plan`'s; claims, the journal and ownership records are `storage`'s.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from .. import exit_codes
from ..errors import one_line
from ..model.annotation import PublishedCopy, annotation_values
from ..model.objects import ObjectRef
from ..model.records import ImageRecord, RenderingInfo
from ..model.reporting import Progress, Reporter
from ..ngff.spec import WriteResult
from ..omero_io import annotations, identity, targets
from ..omero_io.image_metadata import MetadataReader
from ..omero_io.query import QueryRunner
from ..omero_io.refusals import require_writable
from ..storage import failpoints, ownership
from ..storage import journal as journal_store
from ..storage.claims import CLAIMS_DIR, Claims
from ..storage.local_runs import LocalRun
from ..storage.locate import Locations
from ..storage.probe import Prober
from . import publish_plates as plates
from .convert import convert_image, extras_of, metadata_reader, rendering_reader
from .failures import describe, exit_code_of, is_connection_lost
from .index import index_after_publish, index_image
from .old_copies import OldCopies, foreign_copy_evidence
from .plan import (
    FAIL,
    PUBLISH,
    REFUSE,
    RESTORE,
    SKIP,
    UPDATE,
    WORK,
    PlanSettings,
    PublishPlan,
    check_namespace,
    make_plan,
)
from .publish_check import check_copy
from .publish_records import CLAIMED, Bytes, PublishOptions, PublishResult, PublishRow
from .publish_records import message as _message
from .publish_steps import ImageSteps
from .spool import finish_local_run, start_local_run

log = logging.getLogger(__name__)


class Publish(ImageSteps):
    """One publish run over one destination."""

    def __init__(self, session: Any, options: PublishOptions, dest: Any,
                 reporter: Reporter):
        check_namespace(options.namespace)
        self.session = session
        self.options = options
        self.reporter = reporter
        self.dest = dest
        self.locations = Locations(dest, dest.policy)
        self.local: LocalRun | None = None
        self.plan_settings = PlanSettings(options.template, options.write.ngff_version,
                                          force=options.force,
                                          allow_private=options.allow_private,
                                          adopt=options.adopt,
                                          namespace=options.namespace)
        self._annotate_lock = threading.Lock()
        self._left: dict[int, annotations.DuplicatesLeft] = {}   # duplicates not deleted
        self._above: ownership.Above = {}     # the records above roots, while planning
        self.claims: Claims | None = None
        self.metadata: MetadataReader | None = None      # ROIs, annotations (run)
        self.rendering: dict[int, RenderingInfo] = {}    # rendering settings (run)
        self.plates: list[plates.PlatePlan] = []         # plate fields are published whole

    @property
    def conn(self) -> Any:
        return self.session.conn

    @property
    def scope(self) -> str:
        return self.plan_settings.server

    def prober(self, threads: int | None = None) -> Prober:
        kwargs = {"threads": threads} if threads else {}
        return Prober(policy=self.dest.policy, **kwargs)

    def old_copies(self) -> OldCopies:
        return OldCopies(self.conn, self.locations, self.options.namespace,
                         self.options.write.ngff_version)

    # -- planning --------------------------------------------------------------------------

    def _identify(self) -> None:
        settings = self.plan_settings
        if not settings.server:
            settings.server = identity.database_uuid(self.conn)
            settings.caller_id = identity.user_id(self.conn)

    def inspect(self, root: str) -> ownership.RootState:
        return ownership.inspect(self.dest, root, self._above)

    def evidence(self, copy: PublishedCopy, record: ImageRecord) -> str | None:
        """Another user's annotation is ours when its copy's record names the image."""
        return foreign_copy_evidence(self.locations, self.plan_settings.owner(record),
                                     copy, self.options.adopt)

    def _make_plans(self, records: list[ImageRecord], copies: dict, journal: dict,
                    prober: Prober) -> list[PublishPlan]:
        return make_plan(records, copies, self.dest, self.plan_settings, prober, journal,
                         inspect=self.inspect, evidence=self.evidence)

    def plan(self) -> tuple[list[ObjectRef], list[PublishPlan]]:
        """(the objects not found, one plan per image: plate fields' plans come from
        their plate's, ``self.plates``)."""
        resolution = targets.resolve(self.conn, self.options.refs)   # missing: the command's
        self._identify()
        records, layouts, fields = plates.find_plates(self.conn, resolution.images)
        ids = [r.id for r in records] + list(fields)
        copies = annotations.read(self.conn, ids, self.options.namespace,
                                  runner=QueryRunner(self.conn)) if ids else {}
        with self.dest.translate_errors("reading the journal", write=False):
            journal = journal_store.read_journal(self.dest, self.scope)
            claimed = journal_store.listed_ids(self.dest, CLAIMS_DIR, self.scope)
        plans = self._make_plans(records, copies, journal, self.prober())
        self.plates = plates.plan_plates(self, layouts, fields, copies)
        self._above = {}                      # read afresh for each image, under its claim
        for plan in plans:
            plan.claimed = plan.image_id in claimed and plan.action not in (REFUSE, FAIL)
        plans += [f for p in self.plates for f in p.fields + p.left_out]
        for plan in plans:
            for foreign in plan.foreign:
                self.reporter.warn(f"Image:{plan.image_id}: {foreign.describe()}")
        return resolution.missing, plans

    def run(self) -> PublishResult:
        # a read-only server cannot be annotated: stop before anything is converted,
        # uploaded or claimed (a dry run too: its plan could not be carried out)
        require_writable(self.conn, "published")
        missing, plans = self.plan()
        result = PublishResult(plans, missing=missing, dry_run=self.options.dry_run)
        if self.options.dry_run:
            return result
        if any(p.action in WORK for p in plans):     # plate fields' too
            report = self.dest.preflight(
                check_public=True, check_cors=True,
                check_ranges=self.options.write.ngff_version != "0.4")
            for warning in report.warnings:
                self.reporter.warn(warning)
        in_plates = {f.image_id for p in self.plates for f in p.fields}
        busy = [p for p in plans if p.busy and p.image_id not in in_plates]
        work = [p.record for p in busy if p.action in WORK]
        self.metadata = metadata_reader(self.conn, work, self.options.metadata)
        self.rendering = rendering_reader(self.conn, work)
        self.local = start_local_run(self.reporter)
        try:
            result.rows = self.execute(plans, busy)
        finally:
            finish_local_run(self.local)
        result.index = index_after_publish(self.conn, self.dest, self.options.namespace,
                                           self.options.index, result.rows, self.reporter)
        return result

    # -- execution -------------------------------------------------------------------------

    def execute(self, plans: list[PublishPlan], busy: list[PublishPlan]) -> list[PublishRow]:
        busy_ids = {p.image_id for p in busy}
        busy_plates = [p for p in self.plates if p.busy]
        rows: dict[int, PublishRow] = {}
        for plate in self.plates:
            if not plate.busy:
                rows.update({r.plan.image_id: r for r in plates.static_rows(self, plate)})
        busy_ids |= {f.image_id for p in busy_plates for f in p.fields}    # rows: run_plates
        for plan in plans:
            if plan.image_id not in busy_ids and plan.image_id not in rows:
                rows[plan.image_id] = self._static_row(plan)
        if busy or busy_plates:
            self.claims = Claims(self.dest, local=self.local, scope=self.scope)
            self.plan_settings.run = self.claims.me.run
            try:
                self._run_busy(busy, rows, busy_plates)
            finally:
                self.claims.release_all()
        return [rows[p.image_id] for p in plans]

    def _static_row(self, plan: PublishPlan, *notes: str) -> PublishRow:
        foreign = [f.describe() for f in plan.foreign]
        if plan.action == SKIP:
            return PublishRow(plan, "skipped", _message(plan.reason, *plan.notes, *notes,
                                                        *foreign))
        if plan.action == REFUSE:
            self.reporter.warn(f"Image:{plan.image_id}: refused: {plan.reason}")
            return PublishRow(plan, "refused", _message(plan.reason, *notes, *foreign),
                              code=plan.code)
        self.reporter.warn(f"Image:{plan.image_id}: {plan.reason}")
        return PublishRow(plan, "failed", _message(plan.reason, *notes, *foreign),
                          code=plan.code)

    def _run_busy(self, busy: list[PublishPlan], rows: dict[int, PublishRow],
                  busy_plates: list[plates.PlatePlan]) -> None:
        work = [p for p in busy if p.action in WORK]
        with self.reporter.progress() as progress:
            plates.run_plates(self, busy_plates, rows, progress)
            overall = progress.add_task("images", total=len(work))
            written = progress.add_task("bytes written", total=None, unit="bytes")
            tracker = Bytes(progress, written)

            def one(plan: PublishPlan) -> PublishRow:
                started = time.monotonic()
                try:
                    row = self.process(plan, progress, tracker)
                except Exception as err:
                    row = self._failed(plan, err)
                left = self._left.get(plan.image_id)
                if left is not None and row.code == exit_codes.OK:
                    row.code = left.exit_code
                    row.message = _message(row.message, one_line(left))
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
        if is_connection_lost(err):                  # OMERO is gone: stop the run
            raise err
        code = exit_code_of(err)
        if code is None:                             # a bug: keep the traceback in the log
            log.exception("Image:%s failed", plan.image_id)
            code = exit_codes.INTERNAL
        else:                                        # the log file keeps the whole trace
            log.debug("Image:%s failed", plan.image_id, exc_info=err)
        self.reporter.warn(f"Image:{plan.image_id}: {describe(err)}")
        status = "refused" if isinstance(err, ownership.NotOwned) else "failed"
        return PublishRow(plan, status, describe(err), code=code)

    def process(self, plan: PublishPlan, progress: Progress, tracker: Bytes) -> PublishRow:
        """One image, under its claim: re-plan (another run may have done it), then act."""
        assert self.claims is not None
        holder = self.claims.acquire(plan.image_id)
        if holder is not None:
            self.reporter.warn(f"Image:{plan.image_id}: skipped: another run is "
                               f"publishing it ({holder.describe()}); run again later")
            return PublishRow(plan, CLAIMED, f"skipped: another run is publishing it "
                              f"({holder.describe()}); run again later",
                              code=exit_codes.PARTIAL_FAILURE)
        failpoints.reach("after-claim")
        took = self.claims.taken_over.get(str(plan.image_id))
        note = ""
        if took is not None:
            note = f"took over the claim of a run that stopped ({took.describe()})"
            self.reporter.warn(f"Image:{plan.image_id}: {note}")
        try:
            plan = self.replan(plan)
            row = self.act(plan, progress, tracker)
            row.message = _message(note, row.message)
            return row
        finally:
            self.claims.release(plan.image_id)

    def replan(self, plan: PublishPlan) -> PublishPlan:
        copies = annotations.read(self.conn, [plan.image_id], self.options.namespace)
        entry = journal_store.read_entry(self.dest, plan.image_id, self.scope)
        journal = {plan.image_id: entry} if entry else {}
        return make_plan([plan.record], copies, self.dest, self.plan_settings,
                         self.prober(threads=1), journal, evidence=self.evidence,
                         inspect=lambda root: ownership.inspect(self.dest, root))[0]

    def act(self, plan: PublishPlan, progress: Progress, tracker: Bytes) -> PublishRow:
        outcome = self._clean_up(plan)
        notes = outcome.notes
        if plan.action in (SKIP, REFUSE, FAIL):
            if not outcome.retry:
                self._forget(plan)
            if plan.action == SKIP and plan.journal is not None:
                notes.insert(0, "finished an interrupted run")
            return self._static_row(plan, *notes)
        if plan.action == RESTORE:
            row = self._restore(plan)
            if row is not None:
                return row
        row = self._convert_and_switch(plan, progress, tracker)
        row.message = _message(*notes, row.message)
        return row

    def _convert_and_switch(self, plan: PublishPlan, progress: Progress,
                            tracker: Bytes) -> PublishRow:
        """Record, journal, write, check, annotate, then remove the old copy."""
        assert plan.root is not None
        taken = self._take(plan)                    # refused: nothing written at all
        self.dest.write_bytes(journal_store.journal_path(plan.image_id, self.scope),
                              journal_store.Pending(plan.image_id, plan.root, plan.old_root,
                                                    plan.old_url).to_bytes())
        if not plan.resume and taken != ownership.CREATED:
            ownership.clear(self.dest, plan.root, self.plan_settings.owner(plan.record))
        result = self.convert(plan, progress, tracker)
        self.check(plan)
        failpoints.reach("before-annotation")
        self.annotate(plan)
        notes = list(plan.notes)
        retry = False
        if plan.old_url and self.options.keep_old:
            notes.append(f"old copy kept at {plan.old_url}")
        elif plan.old_url:
            outcome = self.old_copies().retire(plan.old_url,
                                               self.plan_settings.owner(plan.record),
                                               plan.record)
            notes += outcome.notes
            retry = outcome.retry
        if not retry:
            self._forget(plan)
        status = "published" if plan.action == PUBLISH else "updated"
        return PublishRow(plan, status, _message(*notes, *(f.describe() for f in plan.foreign)),
                          bytes=result.total_bytes)

    def _forget(self, plan: PublishPlan) -> None:
        if plan.journal is not None or plan.action in (PUBLISH, UPDATE):
            self.dest.remove(journal_store.journal_path(plan.image_id, self.scope))

    def convert(self, plan: PublishPlan, progress: Progress, tracker: Bytes) -> WriteResult:
        task = progress.add_task(f"Image:{plan.image_id}", total=None)

        def update(p: Any) -> None:
            progress.update(task, completed=p.pixels_done, total=p.pixels_total)
            tracker.set(plan.image_id, p.bytes_written)

        try:
            extras = extras_of(self.metadata, plan.record, self.options.metadata)
            # storage errors the writer lets through (its root group) as one line
            with self.dest.translate_errors("writing " + self.dest.join(plan.root)):
                result = convert_image(self.conn, plan.record,
                                       self.dest.zarr_store(plan.root), self.options.write,
                                       progress=update, extras=extras,
                                       rendering=self.rendering.get(plan.image_id))
        finally:
            progress.remove_task(task)
        tracker.set(plan.image_id, result.total_bytes)
        return result

    def check(self, plan: PublishPlan) -> None:
        assert plan.url is not None
        check_copy(self.conn, plan.record, plan.url, self.options.write.ngff_version)

    @property
    def annotate_lock(self) -> threading.Lock:
        """Held around annotation writes (the gateway's call context is shared)."""
        return self._annotate_lock

    def annotate(self, plan: PublishPlan, date: str | None = None, index: bool = True) -> None:
        """Write the annotation (updating the tool's own, merging its duplicates); the
        duplicates that could not be deleted are reported on the image's row. ``index``
        False: the caller lists the image in the index (a plate, all fields at once)."""
        assert plan.url is not None
        values = annotation_values(plan.url, self.options.write.ngff_version, date)
        with self._annotate_lock:      # the gateway's call context is shared
            try:
                annotations.write(self.conn, plan.image_id, plan.record.group_id,
                                  self.options.namespace, values, plan.copies)
            except annotations.DuplicatesLeft as err:
                self.reporter.warn(f"Image:{plan.image_id}: {one_line(err)}")
                self._left[plan.image_id] = err
            # the public index lists it at once (a run killed later keeps its entry)
            if index:
                index_image(self.conn, self.dest, plan.record, self.options.namespace,
                            self.options.index, self.reporter)
