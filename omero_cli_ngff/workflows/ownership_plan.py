"""The ownership side of a publish plan: may this image have the roots its plan would
write? Both slots of the target are looked at (a pair shared with another object's
copy is refused whichever slot it holds), and the folders above them (a root inside
another object's root is refused). Data without a record at the target is refused
unless --adopt, or unless the image's own annotation points exactly at it (adopted
on the evidence, checked when the plan is carried out)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..errors import one_line
from ..model import paths
from ..storage import DestinationError, ownership
from .plan import FAIL, Inspect, PlanSettings, PublishPlan

HOW = "use another --path-template (e.g. with {image_id})"
THREADS = 16


def apply_ownership(plans: list[PublishPlan], dest: Any, settings: PlanSettings,
                    inspect: Inspect) -> None:
    """Refuse the plans whose roots are not the image's to write (concurrently: a few
    storage reads per plan)."""
    if len(plans) <= 1:
        for plan in plans:
            own(plan, dest, settings, inspect)
        return
    with ThreadPoolExecutor(min(THREADS, len(plans))) as pool:
        list(pool.map(lambda p: own(p, dest, settings, inspect), plans))


def own(plan: PublishPlan, dest: Any, settings: PlanSettings, inspect: Inspect) -> None:
    """Refuse ``plan`` unless its target is the image's (or free); a storage failure
    fails this image only."""
    assert plan.root is not None
    try:
        states = {slot: inspect(slot) for slot in dict.fromkeys(
            (plan.root, *paths.slots(plan.root)))}
    except DestinationError as err:
        plan.action, plan.code = FAIL, err.exit_code
        plan.reason = f"its target's ownership cannot be read: {one_line(err)}"
        return
    owner = settings.owner(plan.record)
    for state in states.values():
        if state.container is not None or (state.record is not None
                                           and not owner.same_object(state.record)):
            plan.refuse(ownership.refusal(dest, state, owner, HOW))
            return
    target = plan.target_state = states[plan.root]
    if not target.unrecorded:
        return
    exact = plan.current is not None and plan.current.zarr_path == dest.public_url(
        paths.group_path(plan.root, plan.series))
    if settings.adopt or exact:
        plan.adopt_target = True
        plan.notes.append(f"adopting {dest.join(plan.root)}, which has no ownership "
                          "record" + (" (--adopt)" if settings.adopt else ""))
    else:
        plan.refuse(ownership.refusal(dest, target, owner, HOW))
