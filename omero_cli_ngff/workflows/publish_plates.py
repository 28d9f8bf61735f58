"""`publish` of plates: every image that is a plate field, whichever object named it,
is published with its whole plate as one NGFF plate (`plate_plan`), one unit of work.

Per plate, under its claim (``plate-<id>``): remove what an interrupted run left (if
ours), make the root the plate's (ownership record ``Plate:<id>`` before any data), the
journal entry, write the whole plate (or resume: each field resumes where it stopped,
the plate's attributes come last), check it (plate and wells against OMERO's layout,
then every field against OMERO), and only then annotate every field with the URL of
its own field group; then remove the replaced plate if it is ours. A field's
annotation never points into a half-written plate.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from .. import exit_codes
from ..model import paths
from ..model.annotation import annotation_values
from ..model.plate_layout import PlateLayout
from ..model.records import ImageRecord
from ..omero_io import annotations, targets
from ..omero_io.plates import load_layouts, plates_of_images
from ..omero_io.query import QueryRunner
from ..storage import DestinationError, failpoints, ownership
from ..storage import journal as journal_store
from .convert import convert_plate
from .failures import describe, exit_code_of, is_connection_lost
from .index import index_images
from .plan import FAIL, PUBLISH, REFUSE, RESTORE, SKIP, UPDATE, PublishPlan
from .plate_check import is_complete, plate_problems
from .plate_plan import PlatePlan, field_rows_needed, make_plate_plan
from .publish_check import CheckFailed, check_copy
from .publish_records import CLAIMED, PublishRow
from .publish_records import message as _message

if TYPE_CHECKING:
    from .publish import Publish

log = logging.getLogger(__name__)
HOW = "use another --path-template (e.g. with {plate_id})"
CHECK_WORKERS = 4          # fields checked at once (I/O bound: HTTP and OMERO reads)


def find_plates(conn: Any, records: list[ImageRecord]
                ) -> tuple[list[ImageRecord], list[PlateLayout], dict[int, ImageRecord]]:
    """(the images in no plate, the plates of the others, the records of every field of
    those plates): a few queries per 1,000 images, whatever the number of plates."""
    runner = QueryRunner(conn)
    plate_of = plates_of_images(runner, [r.id for r in records]) if records else {}
    if not plate_of:
        return records, [], {}
    layouts = load_layouts(runner, list(dict.fromkeys(plate_of.values())))
    in_plates = {i for layout in layouts for i in layout.image_ids}
    by_id = {r.id: r for r in records}
    others = [i for layout in layouts for i in layout.image_ids if i not in by_id]
    by_id.update({r.id: r for r in targets.load_records(runner, others)})
    singles = [r for r in records if r.id not in in_plates]
    return singles, layouts, {i: by_id[i] for i in in_plates if i in by_id}


def plan_plates(pub: Publish, layouts: list[PlateLayout], fields: dict[int, ImageRecord],
                copies: dict) -> list[PlatePlan]:
    version = pub.options.write.ngff_version

    def complete(root: str) -> bool:
        return is_complete(pub.dest.public_url(root), version, pub.dest.policy)

    plans = []
    for layout in layouts:
        with pub.dest.translate_errors("reading the journal", write=False):
            entry = journal_store.read_plate_entry(pub.dest, layout.id, pub.scope)
        plan = make_plate_plan(layout, fields, copies, pub.dest, pub.plan_settings, entry,
                               complete, pub.evidence)
        if plan.action in (PUBLISH, UPDATE, RESTORE):
            _check_ownership(pub, plan)
        plans.append(plan)
    return plans


def _check_ownership(pub: Publish, plan: PlatePlan) -> None:
    """Refuse the plate now (a dry run says so too) when its root, or the other slot,
    is another object's copy or inside one; data without a record is refused unless
    --adopt when it is to be written into (a restore adopts it on the evidence, then).
    The run checks again under the plate's claim (`ownership.take`)."""
    assert plan.root is not None
    owner = _owner(pub, plan)
    try:
        states = [pub.inspect(root) for root in dict.fromkeys(
            (plan.root, *paths.slots(plan.root)))]
    except DestinationError as err:
        plan.set_action(FAIL, f"its root's ownership cannot be read: {describe(err)}",
                        err.exit_code)
        return
    for state in states:
        other = state.record is not None and not owner.same_object(state.record)
        unrecorded = state.root == plan.root and state.unrecorded and plan.action != RESTORE
        if state.container is not None or other or (unrecorded and not pub.options.adopt):
            plan.set_action(REFUSE, ownership.refusal(pub.dest, state, owner, HOW),
                            exit_codes.DESTINATION)
            return


def static_rows(pub: Publish, plan: PlatePlan, *notes: str) -> list[PublishRow]:
    """Rows of a plate nothing is done to (skipped, refused, failed)."""
    status = {SKIP: "skipped", REFUSE: "refused"}.get(plan.action, "failed")
    if plan.action != SKIP:
        pub.reporter.warn(f"Plate:{plan.plate_id}: {plan.reason}")
    return [PublishRow(f, status, _message(plan.reason, *notes,
                                           *(x.describe() for x in f.foreign)),
                       code=plan.code) for f in plan.fields]


def run_plates(pub: Publish, plans: list[PlatePlan], rows: dict[int, PublishRow],
               progress: Any) -> None:
    """Every busy plate, one after the other (its fields are written in parallel)."""
    assert pub.claims is not None
    for plan in plans:
        started = time.monotonic()
        try:
            done = _claimed(pub, plan, progress)
        except Exception as err:
            done = _failed(pub, plan, err)
        seconds = (time.monotonic() - started) / max(1, len(done))
        for row in done:
            row.seconds = seconds
            rows[row.plan.image_id] = row


def _failed(pub: Publish, plan: PlatePlan, err: Exception) -> list[PublishRow]:
    if is_connection_lost(err):
        raise err
    code = exit_code_of(err)
    if code is None:
        log.exception("Plate:%s failed", plan.plate_id)
        code = exit_codes.INTERNAL
    else:
        log.debug("Plate:%s failed", plan.plate_id, exc_info=err)
    pub.reporter.warn(f"Plate:{plan.plate_id}: {describe(err)}")
    status = "refused" if isinstance(err, ownership.NotOwned) else "failed"
    return [PublishRow(f, status, describe(err), code=code) for f in plan.fields]


def _claimed(pub: Publish, plan: PlatePlan, progress: Any) -> list[PublishRow]:
    assert pub.claims is not None
    holder = pub.claims.acquire(plan.key)
    if holder is not None:
        why = (f"skipped: another run is publishing Plate:{plan.plate_id} "
               f"({holder.describe()}); run again later")
        pub.reporter.warn(f"Plate:{plan.plate_id}: {why}")
        return [PublishRow(f, CLAIMED, why, code=exit_codes.PARTIAL_FAILURE)
                for f in plan.fields]
    failpoints.reach("after-claim")
    took = pub.claims.taken_over.get(plan.key)
    note = f"took over the claim of a run that stopped ({took.describe()})" if took else ""
    if note:
        pub.reporter.warn(f"Plate:{plan.plate_id}: {note}")
    try:
        rows = _act(pub, plan, progress)
    finally:
        pub.claims.release(plan.key)
    for row in rows:
        row.message = _message(note, row.message)
    return rows


def _owner(pub: Publish, plan: PlatePlan) -> ownership.Owner:
    settings = pub.plan_settings
    return ownership.Owner(settings.server, f"Plate:{plan.plate_id}", settings.namespace,
                           settings.run)


def _act(pub: Publish, plan: PlatePlan, progress: Any) -> list[PublishRow]:
    notes = _clean_up(pub, plan)
    if plan.action in (SKIP, REFUSE, FAIL):
        _forget(pub, plan)
        return static_rows(pub, plan, *notes)
    if plan.action == RESTORE:
        check_plate(pub, plan)
        _take_checked(pub, plan)
        needed = field_rows_needed(plan)
        for f in needed:
            pub.annotate(f, _kept_date(f), index=False)
        _index_fields(pub, needed)
        _forget(pub, plan)
        return [PublishRow(f, "restored" if f.action == RESTORE else "skipped",
                           _message(*notes)) for f in plan.fields]
    return _convert_and_switch(pub, plan, progress, notes)


def _take_checked(pub: Publish, plan: PlatePlan) -> str:
    """Make a complete, checked plate root ours before annotating its fields (as an
    image's restore does): data without a record is adopted on --adopt or on the
    evidence (it agrees with OMERO, and no image outside the plate points into it)."""
    assert plan.root is not None
    owner, adopt = _owner(pub, plan), pub.options.adopt
    state = ownership.inspect(pub.dest, plan.root)
    if state.unrecorded and not adopt:
        others = set(annotations.images_under_url(
            QueryRunner(pub.conn), pub.dest.public_url(plan.root), pub.options.namespace))
        others -= set(plan.layout.image_ids)
        if others:
            raise ownership.NotOwned(ownership.refusal(
                pub.dest, state, owner, "the annotations of other images point into it "
                f"(Image:{min(others)}); {HOW}"))
        adopt = True
    return ownership.take(pub.dest, plan.root, owner, adopt=adopt, how=HOW)


def _index_fields(pub: Publish, fields: list[PublishPlan]) -> None:
    """One index update for the fields annotated (one per field cost ~0.09 s each)."""
    index_images(pub.conn, pub.dest, [f.record for f in fields], pub.options.namespace,
                 pub.options.index, pub.reporter, fresh={f.record.id for f in fields})


def _kept_date(f: PublishPlan) -> str | None:
    current = f.current
    return current.conversion_date if current is not None and current.zarr_path == f.url \
        else None


def _clean_up(pub: Publish, plan: PlatePlan) -> list[str]:
    """Remove the root an interrupted run was writing or replacing, if it is ours."""
    if not plan.cleanup or pub.options.keep_old:
        return []
    try:
        ownership.remove(pub.dest, plan.cleanup, _owner(pub, plan))
    except ownership.NotOwned as err:
        return [f"left {pub.dest.join(plan.cleanup)}: {err}"]
    return [f"removed {pub.dest.join(plan.cleanup)} (left by an interrupted run)"]


def _convert_and_switch(pub: Publish, plan: PlatePlan, progress: Any,
                        notes: list[str]) -> list[PublishRow]:
    assert plan.root is not None
    owner = _owner(pub, plan)
    taken = ownership.take(pub.dest, plan.root, owner, adopt=pub.options.adopt, how=HOW)
    pub.dest.write_bytes(
        journal_store.plate_journal_path(plan.plate_id, pub.scope),
        journal_store.Pending(plan.plate_id, plan.root, plan.old_root).to_bytes())
    if not plan.resume and taken != ownership.CREATED:
        ownership.clear(pub.dest, plan.root, owner)
    written = _convert(pub, plan, progress)
    check_plate(pub, plan)
    failpoints.reach("before-annotation")
    _annotate_fields(pub, plan)
    _index_fields(pub, plan.fields)
    retired = _retire_image_copies(pub, plan)
    if plan.old_root and pub.options.keep_old:
        notes.append(f"old plate kept at {pub.dest.public_url(plan.old_root)}")
    elif plan.old_root:
        try:
            ownership.remove(pub.dest, plan.old_root, owner)
        except ownership.NotOwned as err:
            notes.append(f"old plate left: {err}")
    _forget(pub, plan)
    status = "published" if plan.action == PUBLISH else "updated"
    return [PublishRow(f, status, _message(*notes, *retired.get(f.record.id, []),
                                           *(x.describe() for x in f.foreign)),
                       bytes=written.get(f.record.id)) for f in plan.fields]


def _annotate_fields(pub: Publish, plan: PlatePlan) -> None:
    """Every field's annotation: the fields without one in one OMERO call (about 10 ms
    a field one at a time), the others one by one (their own are updated)."""
    version = pub.options.write.ngff_version
    new = [f for f in plan.fields if not f.copies]
    with pub.annotate_lock:
        done = annotations.write_new(
            pub.conn, pub.options.namespace,
            {f.image_id: annotation_values(f.url or "", version) for f in new},
            {f.image_id: f.record.group_id for f in new}, f"the fields of Plate:{plan.plate_id}")
    for f in plan.fields:
        if f.image_id not in done:
            pub.annotate(f, index=False)


def _retire_image_copies(pub: Publish, plan: PlatePlan) -> dict[int, list[str]]:
    """Fields published before as images of their own (``<id>.ome.zarr/0/``): remove
    those copies once the plate is annotated, when they are the image's (as a replaced
    image copy is); notes per field."""
    notes: dict[int, list[str]] = {}
    if pub.options.keep_old:
        return notes
    for f in plan.fields:
        old = f.old_url
        if not old or paths.plate_root_of_field(urllib.parse.urlsplit(old).path):
            continue                          # none, or a field of a plate (old_root)
        outcome = pub.old_copies().retire(old, pub.plan_settings.owner(f.record), f.record)
        notes[f.record.id] = outcome.notes
    return notes


def _convert(pub: Publish, plan: PlatePlan, progress: Any) -> dict[int, int]:
    """Write the plate; bytes written per field image."""
    assert plan.root is not None
    task = progress.add_task(f"Plate:{plan.plate_id}", total=None)

    def update(p: Any) -> None:
        progress.update(task, completed=p.pixels_done, total=p.pixels_total)

    records = {f.record.id: f.record for f in plan.fields}
    try:
        with pub.dest.translate_errors("writing " + pub.dest.join(plan.root)):
            written = convert_plate(pub.conn, plan.layout, records,
                                    pub.dest.held_zarr_store(plan.root), pub.options.write,
                                    progress=update)
    finally:
        progress.remove_task(task)
    return {image_id: result.total_bytes for image_id, result in written.values()}


def check_plate(pub: Publish, plan: PlatePlan) -> None:
    """The plate and its wells against OMERO's layout, then every field; CheckFailed (or
    CopyUnreadable) stops the plate before any annotation."""
    assert plan.root is not None
    version = pub.options.write.ngff_version
    usable = {f.record.id for f in plan.fields}
    problems = [p for p in plate_problems(pub.dest.public_url(plan.root), plan.layout,
                                          usable, version, pub.dest.policy) if p.is_error]
    if problems:
        raise CheckFailed("the written plate does not agree with OMERO: "
                          + "; ".join(p.message for p in problems[:3]))

    def one(f: PublishPlan) -> None:
        assert f.url is not None
        check_copy(pub.conn, f.record, f.url, version)

    # fields are checked as images are (HTTP reads, a tile from OMERO), a few at once
    with ThreadPoolExecutor(CHECK_WORKERS) as pool:
        list(pool.map(one, plan.fields))           # the first failure stops the plate


def _forget(pub: Publish, plan: PlatePlan) -> None:
    if plan.journal is not None or plan.action in (PUBLISH, UPDATE):
        pub.dest.remove(journal_store.plate_journal_path(plan.plate_id, pub.scope))
