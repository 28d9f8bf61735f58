"""What `publish` does with each image: a plan made from plain records, the image's
annotations in the namespace, the destination's journal, ownership records and HTTP
probes (no OMERO).

Actions:

- ``publish``  no usable copy: convert into the template's slot, check, annotate.
- ``update``   the recorded copy is older (or --force, or its data is gone, or it is
  published somewhere other than --dest): convert into the *other* slot, check,
  switch the annotation, then remove the old copy if it is ours.
- ``restore``  complete data of ours at the target but no (or duplicated) annotation:
  check and annotate, no conversion.
- ``skip``     published at the requested version under --dest, its metadata answers.
- ``refuse``   not allowed (private group, cannot annotate), nothing to publish (no
  pixels), or the target is not ours (another object's copy, data without a record);
  ``fail``: the plan itself failed for this image (e.g. unreadable copy).

Only the tool's own annotations are used (`copies.sort_copies`); the others are
reported per image and left alone. An annotation is never by itself a reason to
delete: a replaced copy is removed only when its root's ownership record names the
image (`storage.ownership`). One image's bad values fail that image, never the run.

The journal (``storage.journal``) is written before any conversion and removed when the
image is done: a rerun after a kill resumes into the same slot and finishes the removal
of a replaced copy (``cleanup``), so nothing is orphaned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import exit_codes
from ..errors import NgffError, UsageError, one_line
from ..model import paths
from ..model.annotation import PublishedCopy
from ..model.records import ImageRecord
from ..storage import DestinationError
from ..storage.journal import Pending
from ..storage.ownership import Owner, RootState
from ..storage.probe import Prober
from .copies import Evidence, Foreign, sort_copies

PUBLISH, UPDATE, RESTORE, SKIP, REFUSE, FAIL = (
    "publish", "update", "restore", "skip", "refuse", "fail")
WORK = (PUBLISH, UPDATE, RESTORE)
# Namespaces of OMERO itself: its clients keep users' own Key-Value pairs in the first
USER_NAMESPACE = "openmicroscopy.org/omero/client/mapAnnotation"
OMERO_NAMESPACES = ("openmicroscopy.org/omero/",)
Inspect = Callable[[str], RootState]


def check_namespace(namespace: str) -> None:
    """UsageError for a namespace the tool must never write or delete in."""
    ns = (namespace or "").strip()
    if not ns or ns.startswith(OMERO_NAMESPACES):
        raise UsageError(f"--namespace {namespace!r}: "
                         + ("that is where OMERO clients keep users' own Key-Value pairs"
                            if ns == USER_NAMESPACE else "a namespace of OMERO itself"
                            if ns else "empty")
                         + "; give the namespace of the published copies (default "
                         "jax.org/public/zarr)")


@dataclass
class PublishPlan:
    record: ImageRecord
    action: str
    reason: str = ""
    root: str | None = None         # bioformats2raw root to write / check
    series: int = 0
    url: str | None = None          # the zarr_path to record
    copies: list = field(default_factory=list)   # the tool's annotations (PublishedCopy)
    foreign: list[Foreign] = field(default_factory=list)   # the others: left alone
    current: PublishedCopy | None = None
    old_root: str | None = None     # the replaced copy's root under --dest
    old_url: str | None = None      # the replaced copy's URL (any destination)
    cleanup: str | None = None      # left by an interrupted run: remove it (if ours)
    retire_url: str | None = None   # a replaced copy elsewhere, left by an interrupted run
    journal: Pending | None = None  # the journal entry found (removed when done)
    resume: bool = False               # the journal says we were writing the target
    fresh: bool = False                # remove the target's data before writing (--force)
    adopt_target: bool = False         # --adopt: the target's data has no record
    target_state: RootState | None = None
    code: int = exit_codes.OK
    claimed: bool = False              # a claim exists (maybe left by a killed run)
    notes: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        """Must be handled under the image's claim."""
        return self.action in WORK or bool(self.cleanup or self.retire_url) \
            or self.journal is not None or self.claimed

    @property
    def image_id(self) -> int:
        return self.record.id

    @property
    def group(self) -> str:
        return paths.group_path(self.root, self.series) if self.root else ""

    def refuse(self, reason: str, code: int = exit_codes.DESTINATION) -> None:
        self.action, self.reason, self.code = REFUSE, reason, code


@dataclass
class PlanSettings:
    template: str
    ngff_version: str
    force: bool = False
    allow_private: bool = False
    per_fileset: bool = False          # remote: one root per fileset, series N inside
    caller_id: int = -1                # the user publishing (their annotations are ours)
    adopt: bool = False                # --adopt: data without a record may be taken
    server: str = ""                   # the OMERO server's database UUID
    namespace: str = ""
    run: str = ""

    def owner(self, record: ImageRecord) -> Owner:
        """What the ownership record of this image's copy says."""
        return Owner(self.server, f"Image:{record.id}", self.namespace, self.run)


def current_copy(copies: list[PublishedCopy]) -> PublishedCopy | None:
    """The copy that counts: the first editable one with a URL, else any with a URL."""
    with_url = [c for c in copies if c.zarr_path]
    editable = [c for c in with_url if c.can_edit]
    return (editable or with_url or [None])[0]


def relpath_in_dest(dest: Any, copy: PublishedCopy | None) -> str | None:
    """Where under `dest` a copy's URL points (None: nowhere there)."""
    if copy is None or not copy.zarr_path:
        return None
    try:
        return dest.relpath_of_public_url(copy.zarr_path) or None
    except DestinationError:
        return None


def root_in_dest(dest: Any, copy: PublishedCopy | None) -> str | None:
    """The image root (`X.ome.zarr`) under `dest` that a copy's URL points into (None:
    not under `dest`, not an image group, or a URL leaving it)."""
    rel = relpath_in_dest(dest, copy)
    if not rel:
        return None
    root, series = paths.root_of_group(rel)
    return root if series is not None else None


def refusal(record: ImageRecord, settings: PlanSettings) -> PublishPlan | None:
    if not record.has_pixels:
        return PublishPlan(record, REFUSE, "no pixels", code=exit_codes.NOT_FOUND)
    if record.is_private_group and not settings.allow_private:
        return PublishPlan(record, REFUSE,
                           f"group {record.group or record.group_id} is private "
                           "(--allow-private publishes it anyway)",
                           code=exit_codes.PERMISSION)
    if not record.can_annotate:
        return PublishPlan(record, REFUSE, "you may not annotate this image",
                           code=exit_codes.PERMISSION)
    return None


def _roots(records: list[ImageRecord], settings: PlanSettings,
           plans: dict[int, PublishPlan]) -> dict[int, str]:
    """Image id -> its root; refusals and missing values become plans of their own.
    Two images of this run in one place: a usage error (the template is wrong)."""
    roots: dict[int, str] = {}
    seen: dict[tuple[str, int], int] = {}
    for record in records:
        plan = refusal(record, settings)
        if plan is None:
            try:
                root = paths.render(settings.template, record, settings.ngff_version)
            except paths.MissingValue as err:
                plan = PublishPlan(record, FAIL, str(err), code=exit_codes.NOT_FOUND)
            else:
                roots[record.id] = root
                key = (paths.primary_slot(root), record.series if settings.per_fileset else 0)
                other = seen.setdefault(key, record.id)
                if other != record.id:
                    raise paths.TemplateError(
                        f"--path-template {settings.template!r} puts Image:{other} and "
                        f"Image:{record.id} in the same place ({root}): add {{image_id}}"
                        + (" or {series}" if "repo_path" in settings.template else ""))
        if plan is not None:
            plans[record.id] = plan
    return roots


def make_plan(records: list[ImageRecord], copies: dict[int, list[PublishedCopy]],
              dest: Any, settings: PlanSettings, prober: Prober | None = None,
              journal: dict[int, Pending] | None = None,
              inspect: Inspect | None = None,
              evidence: Evidence | None = None) -> list[PublishPlan]:
    """One PublishPlan per record, in order. Probes run concurrently, in two rounds;
    then the ownership of the roots the plans would touch (``inspect``: a root's
    state; None: not looked at, as when planning without storage)."""
    from .ownership_plan import apply_ownership

    prober = prober or Prober()
    journal = journal if journal is not None else {}
    plans: dict[int, PublishPlan] = {}
    roots = _roots(records, settings, plans)
    todo = [r for r in records if r.id not in plans]
    sorted_copies = {r.id: sort_copies(copies.get(r.id, []), r, settings.caller_id,
                                       evidence) for r in todo}
    # Round 1: is each recorded copy there?
    prober.prefetch([(c.zarr_path, settings.ngff_version) for c in (
        current_copy(sorted_copies[r.id][0]) for r in todo) if c is not None
        and c.ngff_version == settings.ngff_version and not settings.force])
    for record in todo:
        ours, foreign = sorted_copies[record.id]
        plans[record.id] = _decided(record, ours, foreign, roots[record.id], dest,
                                    settings, prober, journal.get(record.id))
    # Round 2: is there complete data at the target (restore without converting)?
    restorable = [p for p in plans.values()
                  if p.action == PUBLISH and not p.fresh and not p.resume]
    prober.prefetch([(dest.public_url(p.group), settings.ngff_version) for p in restorable])
    for plan in restorable:
        if prober.get(dest.public_url(plan.group), settings.ngff_version).ok:
            plan.action, plan.reason = RESTORE, "complete data without annotation"
    if inspect is not None:
        apply_ownership([p for p in plans.values() if p.action in WORK], dest,
                        settings, inspect)
    return [plans[r.id] for r in records]


def _decided(record: ImageRecord, ours: list[PublishedCopy], foreign: list[Foreign],
             root: str, dest: Any, settings: PlanSettings, prober: Prober,
             journal: Pending | None) -> PublishPlan:
    """`_decide`, with a failure of this image's values failing this image only."""
    try:
        plan = _decide(record, ours, root, dest, settings, prober, journal)
    except (NgffError, ValueError) as err:
        plan = PublishPlan(record, FAIL, f"cannot plan: {one_line(err)}",
                           code=getattr(err, "exit_code", exit_codes.USAGE))
    plan.copies, plan.foreign = list(ours), list(foreign)
    return plan


def _interrupted(plan: PublishPlan, journal: Pending, cur: PublishedCopy | None,
                 cur_root: str | None) -> None:
    """What an interrupted run left to finish, from its journal entry."""
    if journal.root != cur_root:            # an interrupted write into journal.root
        plan.cleanup = journal.root
    elif journal.old and journal.old != cur_root:     # switched; the old copy may be left
        plan.cleanup = journal.old
    elif not journal.old and journal.old_url and cur is not None \
            and journal.old_url != cur.zarr_path:     # switched from another destination
        plan.retire_url = journal.old_url


def _decide(record: ImageRecord, ours: list[PublishedCopy], root: str, dest: Any,
            settings: PlanSettings, prober: Prober,
            journal: Pending | None) -> PublishPlan:
    version = settings.ngff_version
    series = record.series if settings.per_fileset else 0
    cur = current_copy(ours)
    cur_root = root_in_dest(dest, cur)
    plan = PublishPlan(record, PUBLISH, current=cur, series=series, journal=journal)
    if journal is not None:
        _interrupted(plan, journal, cur, cur_root)

    if cur is not None and cur_root is None:
        reason = (f"published at {cur.zarr_path}, not under --dest: publishing to "
                  f"{dest.url}")
    elif cur is not None and cur.ngff_version == version and not settings.force:
        probe = prober.get(cur.zarr_path, version)
        if probe.ok:
            plan.root, plan.url = cur_root, cur.zarr_path
            plan.action, plan.reason = (RESTORE, "duplicate annotations merged") \
                if len(ours) > 1 else (SKIP, "up to date")
            return plan
        if not probe.definite:
            plan.action, plan.code = FAIL, exit_codes.DESTINATION
            plan.reason = (f"the published copy could not be checked ({probe.kind}): "
                           f"{probe.message}")
            return plan
        reason = f"the published copy is gone ({probe.kind})"
    elif cur is not None:
        reason = ("--force" if cur.ngff_version == version else
                  f"published at NGFF {cur.ngff_version or '?'}, converting to {version}")
    else:
        reason = "not published"

    target = paths.other_slot(root, cur_root)
    plan.root = target
    plan.url = dest.public_url(paths.group_path(target, series))
    plan.reason = reason
    if cur is not None:
        plan.action, plan.old_url = UPDATE, cur.zarr_path
        if cur_root is not None and cur_root != target:
            plan.old_root = cur_root
    if plan.cleanup == target:
        plan.cleanup = None
        plan.resume = True                  # an interrupted write: resume it
    elif settings.force:
        plan.fresh = True
    return plan
