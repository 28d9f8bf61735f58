"""What `publish` does with a plate: one unit of work (converted, checked and switched
as one), planned from plain records like an image (`plan`), with no OMERO.

A plate's copy is one NGFF plate at a root from the template (``paths.render_plate``);
each field image's annotation points at its own field group ``<root>/<row>/<col>/<i>/``.
The plate's current root is the one its fields' annotations point into. Actions as
for images: ``skip`` when every field points into a complete plate at the requested
version; ``restore`` when the plate is complete but some fields lack (or disagree in)
their annotation; ``publish``/``update`` convert the whole plate into the slot no
annotation points at, and switch every field's annotation only once the plate is
complete and checked. A field refused (no pixels aside) refuses the plate: a plate is
published whole or not at all.

The journal entry of a plate (``storage.journal.plate_journal_path``) is written before
its conversion and removed when it is done, as for an image.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import exit_codes
from ..errors import one_line
from ..model import paths
from ..model.annotation import PublishedCopy
from ..model.plate_layout import PlateLayout
from ..model.records import ImageRecord
from ..storage.journal import Pending
from . import plan as act
from .copies import Evidence, sort_copies
from .plan import PlanSettings, PublishPlan, current_copy, refusal, relpath_in_dest

# root -> is a complete plate there (its plate attributes written: they come last);
# None: it could not be told (not a definite answer)
Complete = Callable[[str], "bool | None"]


@dataclass
class PlatePlan:
    layout: PlateLayout
    action: str
    reason: str = ""
    root: str | None = None
    fields: list[PublishPlan] = field(default_factory=list)   # one per field with pixels
    left_out: list[PublishPlan] = field(default_factory=list)  # fields without: refused
    paths: dict[int, str] = field(default_factory=dict)       # image id -> "A/1/0"
    old_root: str | None = None       # the replaced plate's root under --dest
    cleanup: str | None = None        # left by an interrupted run: remove (if ours)
    journal: Pending | None = None
    resume: bool = False
    fresh: bool = False
    code: int = exit_codes.OK
    claimed: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def plate_id(self) -> int:
        return self.layout.id

    @property
    def key(self) -> str:
        """Its name among claims (image claims are bare ids)."""
        return f"plate-{self.layout.id}"

    @property
    def busy(self) -> bool:
        return self.action in act.WORK or bool(self.cleanup) or self.journal is not None \
            or self.claimed

    def set_action(self, action: str, reason: str, code: int = exit_codes.OK) -> None:
        self.action, self.reason, self.code = action, reason, code
        for f in self.fields:
            f.action, f.reason, f.code = action, reason, code


def _field_plans(layout: PlateLayout, records: dict[int, ImageRecord],
                 settings: PlanSettings) -> tuple[list[PublishPlan], list[PublishPlan],
                                                  str | None, int]:
    """(a plan per field with pixels, the refusals of those without, why the plate is
    refused or None, its code)."""
    plans, left_out, why, code = [], [], None, exit_codes.OK
    for image_id in layout.image_ids:
        record = records.get(image_id)
        if record is None:
            continue
        refused = refusal(record, settings)
        if refused is not None and refused.reason == "no pixels":
            refused.reason = "no pixels (left out of its plate's copy)"
            left_out.append(refused)
            continue
        if refused is not None and why is None:
            why, code = f"Image:{image_id}: {refused.reason}", refused.code
        plans.append(PublishPlan(record, act.PUBLISH))
    if not plans and why is None:
        why, code = "no field has pixels", exit_codes.NOT_FOUND
    return plans, left_out, why, code


def _current_root(dest: Any, copy: PublishedCopy | None) -> tuple[str, str] | None:
    """(plate root, field path) a field's copy points at under dest, or None."""
    rel = relpath_in_dest(dest, copy)
    return paths.plate_root_of_field(rel) if rel else None


def make_plate_plan(layout: PlateLayout, records: dict[int, ImageRecord],
                    copies: dict[int, list[PublishedCopy]], dest: Any,
                    settings: PlanSettings, journal: Pending | None,
                    complete: Complete, evidence: Evidence | None = None) -> PlatePlan:
    """The plan of one plate (see the module docstring)."""
    fields, left_out, why, code = _field_plans(layout, records, settings)
    plan = PlatePlan(layout, act.PUBLISH, fields=fields, left_out=left_out, journal=journal)
    plan.paths = layout.field_paths({f.record.id for f in fields})
    for f in fields:
        f.copies, f.foreign = sort_copies(copies.get(f.record.id, []), f.record,
                                          settings.caller_id, evidence)
        f.current = current_copy(f.copies)
    if why is not None:
        plan.set_action(act.REFUSE, why, code)
        return plan
    try:
        template_root = paths.render_plate(settings.template, layout.id, layout.name,
                                           layout.screen_id, fields[0].record,
                                           settings.ngff_version)
    except paths.MissingValue as err:
        plan.set_action(act.FAIL, one_line(err), exit_codes.NOT_FOUND)
        return plan
    _decide(plan, template_root, dest, settings, complete)
    return plan


def _decide(plan: PlatePlan, template_root: str, dest: Any, settings: PlanSettings,
            complete: Complete) -> None:
    version = settings.ngff_version
    slots = paths.slots(template_root)
    pointed = {f.record.id: _current_root(dest, f.current) for f in plan.fields}
    in_slots = [p[0] for p in pointed.values() if p is not None and p[0] in slots]
    cur_root = Counter(in_slots).most_common(1)[0][0] if in_slots else None
    annotated = [f for f in plan.fields if f.current is not None]
    same = cur_root is not None and all(
        f.current is not None and f.current.ngff_version == version for f in annotated)
    state = complete(cur_root) if same and not settings.force else False
    if state is None:
        plan.set_action(act.FAIL, f"the published plate {cur_root} could not be checked: "
                        "run again later", exit_codes.DESTINATION)
        return
    if state:
        _set_root(plan, cur_root, dest)
        stale = [f for f in plan.fields if len(f.copies) > 1
                 or f.current is None or f.current.zarr_path != f.url]
        plan.set_action(act.RESTORE if stale else act.SKIP,
                        f"{len(stale)} field annotation(s) to write" if stale else "up to date")
        for f in plan.fields:
            if f not in stale:
                f.action, f.reason = act.SKIP, "up to date"
        return
    target = paths.other_slot(template_root, cur_root)
    _set_root(plan, target, dest)
    reason = ("--force" if settings.force and same else
              "not published" if not annotated else
              f"published elsewhere or incompletely, converting to {version}")
    plan.set_action(act.UPDATE if annotated else act.PUBLISH, reason)
    plan.old_root = cur_root if cur_root != target else None
    journal = plan.journal
    if journal is not None:
        if journal.root == target:
            plan.resume = True
        elif journal.root != cur_root:
            plan.cleanup = journal.root
        elif journal.old and journal.old not in (cur_root, target):
            plan.cleanup = journal.old
    if settings.force:
        plan.fresh = not plan.resume
    elif plan.action == act.PUBLISH and not plan.resume and complete(target):
        plan.set_action(act.RESTORE, "complete plate without annotations")
    for f in plan.fields:
        f.old_url = f.current.zarr_path if f.current is not None else None


def _set_root(plan: PlatePlan, root: str, dest: Any) -> None:
    plan.root = root
    for f in plan.fields:
        f.root = root
        f.url = dest.public_url(paths.field_group(root, plan.paths[f.record.id]))


def field_rows_needed(plan: PlatePlan) -> list[PublishPlan]:
    """The fields whose annotation a restore writes."""
    return [f for f in plan.fields if f.action != act.SKIP]
