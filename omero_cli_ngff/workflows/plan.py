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

The journal (``.omero-ngff/pending/<image id>.json``) is written before any conversion
and removed when the image is done: a rerun after a kill resumes into the same slot
and finishes the removal of a replaced copy (``cleanup``), so nothing is orphaned.
"""

from __future__ import annotations

import json
import posixpath
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Optional

from .. import exit_codes
from ..model import paths
from ..omero_io.annotations import PublishedCopy
from ..model.records import ImageRecord

PUBLISH, UPDATE, RESTORE, SKIP, REFUSE, FAIL = (
    "publish", "update", "restore", "skip", "refuse", "fail")
WORK = (PUBLISH, UPDATE, RESTORE)
PENDING_DIR = ".omero-ngff/pending"
PROBE_THREADS = 32


@dataclass
class Pending:
    """A journal entry: an image being written to `root`, replacing `old` (or None)."""

    image_id: int
    root: str
    old: Optional[str] = None
    old_url: Optional[str] = None

    def to_bytes(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode()

    @classmethod
    def parse(cls, data: Optional[bytes]) -> Optional["Pending"]:
        try:
            doc = json.loads(data or b"")
            return cls(int(doc["image_id"]), str(doc["root"]), doc.get("old"),
                       doc.get("old_url"))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass
class ImagePlan:
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


class Prober:
    """Metadata probes over plain HTTP, concurrent and memoised: url -> MetadataProbe.

    Each probing thread keeps one HTTP session (keep-alive connections): a new
    connection and session per probe cost ~2 ms of CPU each, the bulk of a no-op
    rerun's planning over 10,000 images."""

    def __init__(self, probe: Optional[Callable] = None, threads: int = PROBE_THREADS):
        self._local = threading.local()
        self._sessions: list = []
        if probe is None:
            from ..storage import probe_metadata

            def probe(url, version):
                return probe_metadata(url, version, session=self._session())
        self._probe = probe
        self.threads = threads
        self.results: dict = {}
        self.calls = 0

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            import requests
            session = self._local.session = requests.Session()
            self._sessions.append(session)
        return session

    def close(self) -> None:
        for session in self._sessions:
            session.close()
        self._sessions.clear()

    def prefetch(self, wanted: list[tuple[str, str]]) -> None:
        todo = [w for w in dict.fromkeys(wanted) if w not in self.results]
        if not todo:
            return
        self.calls += len(todo)
        if len(todo) == 1 or self.threads <= 1:
            for w in todo:
                self.results[w] = self._probe(*w)
            return
        try:
            with ThreadPoolExecutor(min(self.threads, len(todo))) as pool:
                for w, result in zip(todo, pool.map(lambda w: self._probe(*w), todo)):
                    self.results[w] = result
        finally:
            self.close()        # the pool's threads are gone: so are their sessions

    def get(self, url: str, version: str):
        key = (url, version)
        if key not in self.results:
            self.prefetch([key])
        return self.results[key]


def read_journal(dest) -> dict[int, Pending]:
    """Image id -> its journal entry (one listing of the destination)."""
    out: dict[int, Pending] = {}
    try:
        fs = dest._fresh() if hasattr(dest, "_fresh") else dest.fs
        names = fs.ls(dest.fs_path(PENDING_DIR), detail=False)
    except (FileNotFoundError, NotADirectoryError):
        return out
    for name in names:
        base = posixpath.basename(str(name).rstrip("/"))
        if not base.endswith(".json"):
            continue
        entry = Pending.parse(dest.read_bytes(f"{PENDING_DIR}/{base}"))
        if entry is not None:
            out[entry.image_id] = entry
    return out


def listed_ids(dest, folder: str) -> set[int]:
    """Image ids named by the objects of a plugin folder (journal, claims): one listing."""
    try:
        fs = dest._fresh() if hasattr(dest, "_fresh") else dest.fs
        names = fs.ls(dest.fs_path(folder), detail=False)
    except (FileNotFoundError, NotADirectoryError):
        return set()
    out = set()
    for name in names:
        base = posixpath.basename(str(name).rstrip("/")).split(".")[0]
        if base.isdigit():
            out.add(int(base))
    return out


def journal_path(image_id: int) -> str:
    return f"{PENDING_DIR}/{image_id}.json"


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


def refusal(record: ImageRecord, settings: PlanSettings) -> Optional[ImagePlan]:
    if not record.has_pixels:
        return ImagePlan(record, REFUSE, "no pixels", code=exit_codes.NOT_FOUND)
    if record.is_private_group and not settings.allow_private:
        return ImagePlan(record, REFUSE,
                         f"group {record.group or record.group_id} is private "
                         "(--allow-private publishes it anyway)", code=exit_codes.PERMISSION)
    if not record.can_annotate:
        return ImagePlan(record, REFUSE, "you may not annotate this image",
                         code=exit_codes.PERMISSION)
    return None


def make_plan(records: list[ImageRecord], copies: dict[int, list[PublishedCopy]],
              dest, settings: PlanSettings, prober: Optional[Prober] = None,
              journal: Optional[dict[int, Pending]] = None) -> list[ImagePlan]:
    """One ImagePlan per record, in order. Probes run concurrently, in two rounds."""
    prober = prober or Prober()
    journal = journal if journal is not None else {}
    version = settings.ngff_version
    plans: list[Optional[ImagePlan]] = []
    roots: dict[int, str] = {}
    seen_roots: dict[tuple, int] = {}
    for record in records:
        plan = refusal(record, settings)
        if plan is None:
            try:
                root = paths.render(settings.template, record, version)
            except paths.MissingValue as err:
                plan = ImagePlan(record, FAIL, str(err), code=exit_codes.NOT_FOUND)
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
    decided: dict[int, ImagePlan] = {}
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


def _decide(record, copies, root, dest, settings, prober, journal) -> ImagePlan:
    version = settings.ngff_version
    series = record.series if settings.per_fileset else 0
    cur = current_copy(copies)
    cur_root = root_in_dest(dest, cur)
    editable = [c for c in copies if c.can_edit]
    plan = ImagePlan(record, PUBLISH, copies=list(copies), current=cur, series=series,
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
