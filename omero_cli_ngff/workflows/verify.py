"""`verify`: is every published copy sound?

Plan -> check -> (fix). The OMERO side is a few batched queries (targets, annotations,
ROIs); the checks of each image (HTTP reads, validation, tiles compared with OMERO's,
labels compared with OMERO's ROIs: verify_labels) run in a small thread pool. Nothing
is changed unless fixing is asked for, and then only on definite evidence that is not
transient (`judge`): the metadata answering 404 twice, a little apart, or data proven
wrong (Zarr metadata of something that is no image, shape or pixel type contradicting
OMERO, pixels that differ). An answer that does not parse (an HTML page: a proxy's or
CDN's), a 5xx, a time-out is "unknown": reported, never fixed. Data is never deleted.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .. import exit_codes
from ..checks.agreement import check_agreement
from ..checks.annotation import ParsedCopy, check_annotations, check_outdated
from ..checks.pixels import check_pixels
from ..checks.problems import WARNING, Problem
from ..errors import one_line, shorten
from ..model.annotation import DEFAULT_NAMESPACE, PublishedCopy
from ..model.objects import ObjectRef
from ..model.published import PublishedImage
from ..model.records import ImageRecord
from ..model.reporting import SILENT, Reporter
from ..omero_io import annotations, targets
from ..omero_io.query import QueryRunner
from ..omero_io.tile_source import OmeroTileSource, PixelSourceError
from ..storage import HttpPolicy, probe_metadata
from ..storage.http import DEFAULT_POLICY
from . import published_copy
from .failures import is_connection_lost
from .origin import Home
from .orphans import Orphan, find_orphans
from .plan import check_namespace
from .verify_labels import check_labels, roi_reader
from .verify_plates import check_plates

log = logging.getLogger(__name__)

# Images checked at once: HTTP reads and OMERO tiles overlap; small, for 2-core hosts
# and for the object store's and OMERO's sake.
WORKERS = 4
SEED = 0

SOUND, WARNINGS, UNSOUND, UNPUBLISHED = "sound", "warnings", "unsound", "not published"
# Problems that prove the data wrong for the image (its annotation may go with --fix);
# "data-not-found" too, once a second look a little later finds it gone still.
PROVEN_WRONG = frozenset({"corrupt-metadata", "shape-mismatch", "pixel-type-mismatch",
                          "pixels-differ"})
GONE = "data-not-found"
RECHECK_AFTER = 1.0


@dataclass
class ImageReport:
    record: ImageRecord
    copies: list[PublishedCopy] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.copies:
            return UNPUBLISHED
        if any(p.is_error for p in self.problems):
            return UNSOUND
        return WARNINGS if self.problems else SOUND

    def to_dict(self) -> dict:
        return {"image_id": self.record.id, "name": self.record.name,
                "status": self.status, "urls": self.urls,
                "ngff_versions": self.versions,
                "annotation_ids": [c.annotation_id for c in self.copies],
                "problems": [p.to_dict() for p in self.problems]}


@dataclass
class VerifyOptions:
    namespace: str = DEFAULT_NAMESPACE
    sample: int = 2
    ngff_version: str | None = None
    seed: int = SEED
    policy: HttpPolicy | None = None        # None: the storage default
    fix: bool = False
    dry_run: bool = False                      # with fix: only say what would be fixed
    recheck_after: float = RECHECK_AFTER       # seconds before a 404 is looked at again
    home: Home = field(default_factory=Home)   # copies outside it are foreign
    index_dest: Any = None        # a Destination (--dest) whose public index is checked


@dataclass
class VerifyResult:
    reports: list[ImageReport]
    fixes: list[Fix]
    orphans: list[Orphan]
    missing: list[ObjectRef]

    @property
    def code(self) -> int:
        if self.missing:
            return exit_codes.NOT_FOUND
        if any(r.status == UNSOUND for r in self.reports):
            return exit_codes.UNSOUND
        return exit_codes.OK


def verify(session: Any, refs: list[ObjectRef], options: VerifyOptions,
           orphans_under: Any = None, reporter: Reporter = SILENT) -> VerifyResult:
    """Check every image under `refs`; fix what options say; list the orphans under the
    destination `orphans_under` (None: not asked)."""
    if options.fix:
        check_namespace(options.namespace)     # never delete in OMERO's own namespaces
    conn = session.conn
    resolution = targets.resolve(conn, refs)      # the missing: said by the command
    runner = QueryRunner(conn)
    published = annotations.read(conn, [r.id for r in resolution.images],
                                 options.namespace, runner)
    reports = run_checks(conn, resolution.images, published, options, reporter)
    check_plates(conn, reports, options.policy)
    judge(reports, options)
    fixes = fix(conn, reports, dry_run=options.dry_run) if options.fix else []
    if options.index_dest is not None:        # after fix: its removals count
        fixes += check_index_of(conn, resolution.images, reports, options, reporter)
    orphans = []
    if orphans_under is not None:
        orphans = find_orphans(orphans_under,
                               annotations.annotated_urls(runner, options.namespace))
    return VerifyResult(reports, fixes, orphans, resolution.missing)


def verify_image(conn: Any, record: ImageRecord, copies: list[PublishedCopy],
                 options: VerifyOptions, rois: Any = None) -> ImageReport:
    """Every check of one image; never raises for a problem of the data. `rois`: the
    reader of the images' ROIs (verify_labels), None: labels not checked."""
    report = ImageReport(record, copies)
    roi_list = rois.get(record.id).rois if rois is not None else None
    parsed, report.problems = check_annotations(copies, options.namespace)
    checked: dict[str, list[Problem]] = {}
    for pc in parsed:
        if pc.url:
            report.urls.append(pc.url)
            foreign = options.home.problem(pc.url, pc.annotation_id)
            report.problems += [foreign] if foreign else []
        if pc.version:
            report.versions.append(pc.version)
        report.problems += check_outdated(pc.version, options.ngff_version)
        if not pc.usable:
            continue
        assert pc.url is not None
        if pc.url not in checked:
            checked[pc.url] = _check_remote(conn, record, pc, options, roi_list)
        for problem in checked[pc.url]:
            report.problems.append(_for_annotation(problem, pc.annotation_id))
    return report


def _for_annotation(problem: Problem, annotation_id: int) -> Problem:
    if problem.annotation_id == annotation_id:
        return problem
    copy = Problem(**{**problem.__dict__})
    copy.annotation_id = annotation_id
    return copy


def _check_remote(conn: Any, record: ImageRecord, pc: ParsedCopy,
                  options: VerifyOptions, rois: list | None = None) -> list[Problem]:
    assert pc.url is not None and pc.version is not None
    try:
        remote, problems = published_copy.check_data(pc.url, pc.version, pc.annotation_id,
                                                     options.policy)
        if remote is None or not remote.levels or not record.has_pixels:
            return problems
        problems += check_agreement(record, remote)
        if options.sample > 0 and not any(p.code == "shape-mismatch" for p in problems):
            problems += _check_pixels(conn, record, remote, options)
        if rois is not None:
            problems += check_labels(rois, pc.url, pc.version, options.policy, options.seed)
        return problems
    except Exception as err:  # a check that broke: report it, keep going
        if is_connection_lost(err):    # OMERO is gone: nothing more can be checked
            raise
        log.debug("check of %s failed", pc.url, exc_info=True)
        return [Problem("check-failed", f"the check stopped: {type(err).__name__}: "
                        f"{shorten(one_line(err))}", url=pc.url,
                        annotation_id=pc.annotation_id)]


def _check_pixels(conn: Any, record: ImageRecord, remote: PublishedImage,
                  options: VerifyOptions) -> list[Problem]:
    try:
        source = OmeroTileSource(conn, record)
    except PixelSourceError as err:
        return [Problem("pixels-not-compared", f"pixels not compared: {err}", WARNING,
                        url=remote.url)]
    with source:
        return check_pixels(record, remote, source, options.sample, options.seed)


def run_checks(conn: Any, images: list[ImageRecord], published: dict[int, list[PublishedCopy]],
               options: VerifyOptions, reporter: Reporter = SILENT) -> list[ImageReport]:
    """One report per image (unpublished ones included), in the order given."""
    reports: dict[int, ImageReport] = {}
    todo = []
    for record in images:
        copies = published.get(record.id, [])
        if copies:
            todo.append((record, copies))
        else:
            reports[record.id] = ImageReport(record)
    if not todo:
        return [reports[r.id] for r in images]
    rois = roi_reader(conn, [record for record, _ in todo])
    with reporter.progress() as progress:
        task = progress.add_task("Verifying", total=len(todo))
        with ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(todo)))) as pool:
            futures = [pool.submit(verify_image, conn, record, copies, options, rois)
                       for record, copies in todo]
            for future in futures:
                report = future.result()
                reports[report.record.id] = report
                progress.advance(task)
    return [reports[r.id] for r in images]


def judge(reports: list[ImageReport], options: VerifyOptions) -> None:
    """Mark as fixable exactly the problems that are definite and not transient: the
    404s still 404 after ``recheck_after`` seconds, and data proven wrong."""
    gone = {p.url: _version_of(r, p) for r in reports for p in r.problems
            if p.code == GONE and p.url}
    still = _still_gone(gone, options) if gone else set()
    for report in reports:
        for p in report.problems:
            if p.code == GONE:
                p.fixable = p.url in still
                if not p.fixable:
                    p.message += " (answered otherwise when looked at again: not fixed)"
            else:
                p.fixable = p.code in PROVEN_WRONG and p.annotation_id is not None


def _version_of(report: ImageReport, problem: Problem) -> str:
    """The NGFF version the annotation of ``problem`` declares."""
    for copy in report.copies:
        if copy.annotation_id == problem.annotation_id and copy.ngff_version:
            return copy.ngff_version.strip()
    return report.versions[0] if report.versions else "0.5"


def _still_gone(urls: dict, options: VerifyOptions) -> set:
    """The URLs (-> their version) whose metadata answers 404 again, a little later."""
    time.sleep(max(0.0, options.recheck_after))
    policy = options.policy or DEFAULT_POLICY
    with ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(urls)))) as pool:
        probes = dict(zip(urls, pool.map(
            lambda u: probe_metadata(u, urls[u], policy=policy), urls)))
    return {u for u, probe in probes.items() if probe.kind == "not_found"}


@dataclass
class Fix:
    image_id: int
    annotation_id: int
    reason: str
    done: bool = False
    error: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def check_index_of(conn: Any, records: list[ImageRecord], reports: list[ImageReport],
                   options: VerifyOptions, reporter: Reporter) -> list[Fix]:
    """The public index's entries of these images: a warning on each image's report
    per finding; with --fix, repaired (one Fix per finding, annotation id 0)."""
    from .index_verify import check_index, repair_index

    dest = options.index_dest
    findings = check_index(conn, dest, records, options.namespace)
    by_id = {r.record.id: r for r in reports}
    for finding in findings:
        report = by_id[finding.image_id]
        report.problems.append(finding.problem())
        if not report.copies:                 # not shown with the published images
            reporter.warn(f"Image:{finding.image_id}: {finding.code}: {finding.message}")
    if not options.fix or not findings:
        return []
    errors = [] if options.dry_run else repair_index(conn, dest, records, options.namespace,
                                                    findings, reporter)
    return [Fix(f.image_id, 0, f"{f.code}: {f.message}", done=not options.dry_run
                and not errors, error="; ".join(errors)) for f in findings]


def fix(conn: Any, reports: list[ImageReport], dry_run: bool) -> list[Fix]:
    """Remove the annotations whose data is definitely gone or corrupt."""
    fixes, copies = [], []
    for report in reports:
        reasons: dict[int, str] = {}
        for p in report.problems:
            if p.fixable and p.annotation_id is not None:
                reasons.setdefault(p.annotation_id, p.code)
        for copy in report.copies:
            if copy.annotation_id in reasons:
                fixes.append(Fix(report.record.id, copy.annotation_id,
                                 reasons[copy.annotation_id]))
                copies.append(copy)
    for f, copy in zip(fixes, copies):
        if not copy.can_edit:
            f.error = "not allowed to delete this annotation"
    if dry_run or not copies:
        return fixes
    removable = [c for f, c in zip(fixes, copies) if not f.error]
    try:
        annotations.remove(conn, removable)
        for f in fixes:
            f.done = not f.error
    except Exception as err:
        if is_connection_lost(err):              # OMERO is gone: the run stops
            raise
        text = shorten(one_line(err), 200)
        for f in fixes:
            f.error = f.error or f"not removed: {type(err).__name__}: {text}"
    return fixes
