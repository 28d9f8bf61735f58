"""What `publish` does with each image: a plan made from plain records, the image's
annotations in the namespace, the destination's journal and HTTP probes (no OMERO).

Actions:

- ``publish``  no usable copy: convert into the template's slot, check, annotate.
- ``update``   the recorded copy is older (or --force, or its data is gone): convert into
  the *other* slot, check, switch the annotation, then remove the old copy.
- ``restore``  complete data at the target but no (or duplicated) annotation: check and
  annotate, no conversion.
- ``skip``     published at the requested version and its metadata answers over HTTP.
- ``refuse``   not allowed (private group, cannot annotate) or nothing to publish (no
  pixels); ``fail``: the plan itself failed for this image (e.g. unreadable copy).

The journal (``storage.journal``) is written before any conversion and removed when the
image is done: a rerun after a kill resumes into the same slot and finishes the removal
of a replaced copy (``cleanup``), so nothing is orphaned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .. import exit_codes
from ..model import paths
from ..model.annotation import PublishedCopy
from ..model.records import ImageRecord
from ..storage.journal import Pending
from ..storage.probe import Prober

PUBLISH, UPDATE, RESTORE, SKIP, REFUSE, FAIL = (
    "publish", "update", "restore", "skip", "refuse", "fail")
WORK = (PUBLISH, UPDATE, RESTORE)


@dataclass
class PublishPlan:
    record: ImageRecord
    action: str
    reason: str = ""
    root: Optional[str] = None         # bioformats2raw root to write / check
    series: int = 0
    url: Optional[str] = None          # the zarr_path to record
    copies: list = field(default_factory=list)   # PublishedCopy of the namespace
    current: Optional[PublishedCopy] = None
    old_root: Optional[str] = None     # our copy to remove after the switch
    cleanup: Optional[str] = None      # left by an interrupted run: remove it
    journal: Optional[Pending] = None  # the journal entry found (removed when done)
    resume: bool = False               # the journal says we were writing the target
    fresh: bool = False                # remove the target before writing (--force)
    code: int = exit_codes.OK
    claimed: bool = False              # a claim exists (maybe left by a killed run)

    @property
    def busy(self) -> bool:
        """Must be handled under the image's claim."""
        return self.action in WORK or bool(self.cleanup) or self.journal is not None \
            or self.claimed

    @property
    def image_id(self) -> int:
        return self.record.id

    @property
    def group(self) -> str:
        return paths.group_path(self.root, self.series) if self.root else ""


@dataclass
class PlanSettings:
    template: str
    ngff_version: str
    force: bool = False
    allow_private: bool = False
    per_fileset: bool = False          # remote: one root per fileset, series N inside


def current_copy(copies: list[PublishedCopy]) -> Optional[PublishedCopy]:
    """The copy that counts: the first editable one with a URL, else any with a URL."""
    with_url = [c for c in copies if c.zarr_path]
    editable = [c for c in with_url if c.can_edit]
    return (editable or with_url or [None])[0]


def root_in_dest(dest, copy: Optional[PublishedCopy]) -> Optional[str]:
    """The image root (`X.ome.zarr`) under `dest` that a copy's URL points into."""
    if copy is None or not copy.zarr_path:
        return None
    rel = dest.relpath_of_public_url(copy.zarr_path)
    if not rel:
        return None
    root, series = paths.root_of_group(rel)
    return root if series is not None else None


def refusal(record: ImageRecord, settings: PlanSettings) -> Optional[PublishPlan]:
    if not record.has_pixels:
        return PublishPlan(record, REFUSE, "no pixels", code=exit_codes.NOT_FOUND)
    if record.is_private_group and not settings.allow_private:
        return PublishPlan(record, REFUSE,
                         f"group {record.group or record.group_id} is private "
                         "(--allow-private publishes it anyway)", code=exit_codes.PERMISSION)
    if not record.can_annotate:
        return PublishPlan(record, REFUSE, "you may not annotate this image",
                         code=exit_codes.PERMISSION)
    return None


def make_plan(records: list[ImageRecord], copies: dict[int, list[PublishedCopy]],
              dest, settings: PlanSettings, prober: Optional[Prober] = None,
              journal: Optional[dict[int, Pending]] = None) -> list[PublishPlan]:
    """One PublishPlan per record, in order. Probes run concurrently, in two rounds."""
    prober = prober or Prober()
    journal = journal if journal is not None else {}
    version = settings.ngff_version
    plans: list[Optional[PublishPlan]] = []
    roots: dict[int, str] = {}
    seen_roots: dict[tuple, int] = {}
    for record in records:
        plan = refusal(record, settings)
        if plan is None:
            try:
                root = paths.render(settings.template, record, version)
            except paths.MissingValue as err:
                plan = PublishPlan(record, FAIL, str(err), code=exit_codes.NOT_FOUND)
            else:
                roots[record.id] = root
                key = (paths.primary_slot(root),
                       record.series if settings.per_fileset else 0)
                other = seen_roots.setdefault(key, record.id)
                if other != record.id:
                    raise paths.TemplateError(
                        f"--path-template {settings.template!r} puts Image:{other} and "
                        f"Image:{record.id} in the same place ({root}): add {{image_id}}"
                        + (" or {series}" if "repo_path" in settings.template else ""))
        plans.append(plan)

    # Round 1: is each recorded copy there?
    wanted = []
    for record in records:
        cur = current_copy(copies.get(record.id, []))
        if cur is not None and record.id in roots and cur.ngff_version == version \
                and not settings.force:
            wanted.append((cur.zarr_path, version))
    prober.prefetch(wanted)

    # Round 2: is there complete data at the target (restore without converting)?
    decided: dict[int, PublishPlan] = {}
    wanted = []
    for record, plan in zip(records, plans):
        if plan is not None:
            continue
        plan = _decide(record, copies.get(record.id, []), roots[record.id], dest,
                       settings, prober, journal.get(record.id))
        decided[record.id] = plan
        if plan.action == PUBLISH and not plan.fresh and not plan.resume:
            wanted.append((dest.public_url(plan.group), version))
    prober.prefetch(wanted)
    out = []
    for record, plan in zip(records, plans):
        if plan is None:
            plan = decided[record.id]
            if plan.action == PUBLISH and not plan.fresh and not plan.resume:
                if prober.get(dest.public_url(plan.group), version).ok:
                    plan.action, plan.reason = RESTORE, "complete data without annotation"
        out.append(plan)
    return out


def _decide(record, copies, root, dest, settings, prober, journal) -> PublishPlan:
    version = settings.ngff_version
    series = record.series if settings.per_fileset else 0
    cur = current_copy(copies)
    cur_root = root_in_dest(dest, cur)
    editable = [c for c in copies if c.can_edit]
    plan = PublishPlan(record, PUBLISH, copies=list(copies), current=cur, series=series,
                     journal=journal)
    if journal is not None:
        if journal.root == cur_root:        # switched; the old copy may still be there
            if journal.old and journal.old != cur_root:
                plan.cleanup = journal.old
        else:                               # an interrupted write into journal.root
            plan.cleanup = journal.root

    if cur is not None and cur.ngff_version == version and not settings.force:
        probe = prober.get(cur.zarr_path, version)
        if probe.ok:
            plan.root, plan.url = cur_root, cur.zarr_path
            if len(editable) > 1:
                plan.action, plan.reason = RESTORE, "duplicate annotations merged"
            else:
                plan.action, plan.reason = SKIP, "up to date"
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
        plan.action = UPDATE
        # the old data is ours to remove only when it is in this destination and no
        # annotation we cannot edit points at it
        foreign = {c.zarr_path for c in copies if not c.can_edit}
        if cur_root is not None and cur_root != target and cur.zarr_path not in foreign:
            plan.old_root = cur_root
    if plan.cleanup == target:
        plan.cleanup = None
        plan.resume = True                  # an interrupted write: resume it
    elif settings.force:
        plan.fresh = True
    return plan
