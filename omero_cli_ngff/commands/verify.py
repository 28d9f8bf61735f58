"""`omero ngff verify`: is every published copy sound?

Plan -> check -> report (-> fix). The OMERO side is a few batched queries (targets,
annotations); the checks of each image (HTTP reads, validation, tiles compared with
OMERO's) run in a small thread pool. Nothing is changed unless --fix is given, and then
only annotations whose data is definitely gone or corrupt are removed; data never is.
"""

from __future__ import annotations

import logging
import posixpath
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import unquote, urlsplit

from ..omero_io import annotations, queries
from ..checks import core as checks
from .. import exit_codes
from ..model.defaults import DEFAULT_NAMESPACE
from ..errors import UsageError
from ..model.objects import parse_objects
from ..omero_io.query import QueryRunner
from ..cli.output import Output
from ..model.records import ImageRecord

log = logging.getLogger(__name__)

# Images checked at once: HTTP reads and OMERO tiles overlap; small, for 2-core hosts
# and for the object store's and OMERO's sake.
WORKERS = 4
SEED = 0

SOUND, WARNINGS, UNSOUND, UNPUBLISHED = "sound", "warnings", "unsound", "not published"


@dataclass
class ImageReport:
    record: ImageRecord
    copies: list = field(default_factory=list)          # PublishedCopy
    problems: list = field(default_factory=list)        # checks.Problem
    urls: list = field(default_factory=list)
    versions: list = field(default_factory=list)

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
class Options:
    namespace: str = DEFAULT_NAMESPACE
    sample: int = 2
    ngff_version: Optional[str] = None
    seed: int = SEED
    policy: object = None        # storage.HttpPolicy (None: the storage default)


def verify_image(conn, record: ImageRecord, copies: list, options: Options) -> ImageReport:
    """Every check of one image; never raises for a problem of the data."""
    report = ImageReport(record, copies)
    parsed, report.problems = checks.check_annotations(copies, options.namespace)
    checked: dict[str, list] = {}
    for pc in parsed:
        if pc.url:
            report.urls.append(pc.url)
        if pc.version:
            report.versions.append(pc.version)
        report.problems += checks.check_outdated(pc.version, options.ngff_version)
        if not pc.usable:
            continue
        if pc.url not in checked:
            checked[pc.url] = _check_remote(conn, record, pc, options)
        for problem in checked[pc.url]:
            report.problems.append(_for_annotation(problem, pc.annotation_id))
    return report


def _for_annotation(problem: checks.Problem, annotation_id: int) -> checks.Problem:
    if problem.annotation_id == annotation_id:
        return problem
    copy = checks.Problem(**{**problem.__dict__})
    copy.annotation_id = annotation_id
    return copy


def _check_remote(conn, record: ImageRecord, pc: checks.ParsedCopy,
                  options: Options) -> list:
    remote = checks.RemoteCopy(pc.url, pc.version, policy=options.policy)
    try:
        problems = checks.check_data(remote, pc.annotation_id)
        if not remote.levels or not record.has_pixels:
            return problems
        problems += checks.check_agreement(record, remote)
        if options.sample > 0 and not any(p.code == "shape-mismatch" for p in problems):
            problems += _check_pixels(conn, record, remote, options)
        return problems
    except Exception as err:  # a check that broke: report it, keep going
        log.debug("check of %s failed", pc.url, exc_info=True)
        return [checks.Problem("check-failed", f"the check stopped: {type(err).__name__}: "
                               f"{' '.join(str(err).split())[:300]}", url=pc.url,
                               annotation_id=pc.annotation_id)]


def _check_pixels(conn, record, remote, options) -> list:
    from ..omero_io.tile_source import OmeroTileSource, PixelSourceError
    try:
        source = OmeroTileSource(conn, record)
    except PixelSourceError as err:
        return [checks.Problem("pixels-not-compared", f"pixels not compared: {err}",
                               checks.WARNING, url=remote.url)]
    with source:
        return checks.check_pixels(record, remote, source, options.sample, options.seed)


# --------------------------------------------------------------------------- orphans

@dataclass
class Orphan:
    url: str
    relpath: str
    ngff_version: str
    size: Optional[int]
    objects: Optional[int]

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _url_parts(url: str) -> list:
    return [p for p in unquote(urlsplit(url).path).split("/") if p]


def _points_at(url_parts: list, rel_parts: list, folder: str) -> bool:
    """The URL's path ends with the group's path under the listed prefix, and what
    comes before it is nothing (a folder served at its root) or the prefix's own
    last folder (so that `data/0.4/1.ome.zarr` is not taken for `data/0.5/1.ome.zarr`)."""
    n = len(rel_parts)
    if n == 0 or url_parts[-n:] != rel_parts:
        return False
    head = url_parts[:-n]
    return not head or head[-1] == folder


def find_orphans(dest, annotated_urls) -> list:
    """Zarr image groups under `dest` that no annotated URL points at.

    A group is pointed at when an annotation's URL is its public URL (gs://: known),
    or, for local folders and custom domains, when the URL's path ends with the
    group's path under the listed prefix as `_points_at` says. Nothing is deleted.
    """
    exact = {checks.normalise_url(u) for u in annotated_urls}
    parts = [_url_parts(u) for u in annotated_urls]
    folder = posixpath.basename(dest.prefix.rstrip("/")) if dest.prefix else ""
    if dest.scheme == "gs" and not dest.prefix.strip("/"):
        folder = dest.bucket
    orphans = []
    for group in dest.list_groups(sizes=True):
        public = None
        if dest.public_base:
            try:
                public = dest.public_url(group.relpath)
            except Exception:
                public = None
        if public and public in exact:
            continue
        rel_parts = [p for p in group.relpath.split("/") if p]
        if any(_points_at(u, rel_parts, folder) for u in parts):
            continue
        orphans.append(Orphan(public or group.url, group.relpath, group.ngff_version,
                              group.size, group.objects))
    return orphans


def annotated_urls(runner: QueryRunner, namespace: str) -> list:
    """Every zarr_path of the namespace the user can read, in any group."""
    return [row[0] for row in runner.rows(queries.ANNOTATED_URLS, None, ns=namespace,
                                          key=annotations.ZARR_PATH) if row and row[0]]


# --------------------------------------------------------------------------- the command

def run(session, args) -> int:
    refs = parse_objects(args.objects)            # before connecting: usage errors first
    if args.sample < 0:
        raise UsageError("--sample must be 0 (skip) or a positive number of tiles")
    if args.dry_run and not args.fix:
        raise UsageError("--dry-run goes with --fix (verify itself changes nothing)")
    dest = None
    if args.orphans:
        from ..storage import parse_destination
        dest = parse_destination(args.orphans)
    options = Options(namespace=args.namespace or DEFAULT_NAMESPACE, sample=args.sample,
                      ngff_version=args.ngff_version)
    out = Output(args.style)

    from ..omero_io.targets import resolve
    conn = session.conn
    resolution = resolve(conn, refs)
    for ref in resolution.missing:
        out.warn(f"{ref} does not exist or is not readable")
    runner = QueryRunner(conn)
    published = annotations.read(conn, [r.id for r in resolution.images],
                                 options.namespace, runner)

    reports = run_checks(conn, resolution.images, published, options, out)
    fixes = fix(conn, reports, dry_run=args.dry_run, out=out) if args.fix else []
    orphans = []
    if dest is not None:
        orphans = find_orphans(dest, annotated_urls(runner, options.namespace))
    show(out, reports, fixes, orphans, resolution.missing, args)

    if resolution.missing:
        return exit_codes.NOT_FOUND
    if any(r.status == UNSOUND for r in reports):
        return exit_codes.UNSOUND
    return exit_codes.OK


def run_checks(conn, images: list, published: dict, options: Options,
               out: Output | None = None) -> list:
    """One report per image (unpublished ones included), in the order given."""
    reports: dict[int, ImageReport] = {}
    todo = []
    for record in images:
        copies = published.get(record.id, [])
        if copies:
            todo.append((record, copies))
        else:
            reports[record.id] = ImageReport(record)
    out = out or Output("json")
    if not todo:
        return [reports[r.id] for r in images]
    with out.progress() as progress:
        task = progress.add_task("Verifying", total=len(todo))
        with ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(todo)))) as pool:
            futures = [pool.submit(verify_image, conn, record, copies, options)
                       for record, copies in todo]
            for future in futures:
                report = future.result()
                reports[report.record.id] = report
                progress.advance(task)
    return [reports[r.id] for r in images]


@dataclass
class Fix:
    image_id: int
    annotation_id: int
    reason: str
    done: bool = False
    error: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def fix(conn, reports: list, dry_run: bool, out: Output) -> list:
    """Remove the annotations whose data is definitely gone or corrupt."""
    fixes, copies = [], []
    for report in reports:
        reasons = {}
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
        text = " ".join(str(getattr(err, "message", None) or err).split())[:200]
        for f in fixes:
            f.error = f.error or f"not removed: {type(err).__name__}: {text}"
    return fixes


# --------------------------------------------------------------------------- output

def _summary(reports, orphans, fixes) -> dict:
    counts = {s: 0 for s in (SOUND, WARNINGS, UNSOUND, UNPUBLISHED)}
    for r in reports:
        counts[r.status] += 1
    return {"images": len(reports), "sound": counts[SOUND], "warnings": counts[WARNINGS],
            "unsound": counts[UNSOUND], "not_published": counts[UNPUBLISHED],
            "problems": sum(1 for r in reports for p in r.problems if p.is_error),
            "orphans": len(orphans), "fixed": sum(1 for f in fixes if f.done),
            "all_sound": counts[UNSOUND] == 0}


def show(out: Output, reports, fixes, orphans, missing, args):
    summary = _summary(reports, orphans, fixes)
    published = [r for r in reports if r.copies]
    if out.style == "json":
        out.document({
            "summary": summary,
            "images": [r.to_dict() for r in published],
            "not_published": [r.record.id for r in reports if not r.copies],
            "missing_objects": [str(m) for m in missing],
            "fixes": [f.to_dict() for f in fixes], "dry_run": bool(args.dry_run),
            "orphans": [o.to_dict() for o in orphans],
        })
        return
    if out.style in ("csv", "plain"):
        columns = ["image_id", "name", "status", "url", "ngff_version", "severity", "code",
                   "message", "fixable"]
        rows = []
        for r in published:
            base = [r.record.id, r.record.name, r.status, " ".join(r.urls),
                    " ".join(r.versions)]
            if not r.problems:
                rows.append(base + ["", "", "", ""])
            for p in r.problems:
                rows.append(base + [p.severity, p.code, p.message, p.fixable])
        for o in orphans:
            rows.append(["", "", "orphan", o.url, o.ngff_version, "warning", "orphan",
                         f"no image points here ({_size(o.size)})", False])
        out.table("Verify", columns, rows)
        return

    rows = [[r.record.id, r.record.name, " ".join(r.versions), r.status,
             sum(1 for p in r.problems if p.is_error),
             sum(1 for p in r.problems if not p.is_error), " ".join(r.urls)]
            for r in published]
    footer = (f"{summary['images']} images: {summary['sound']} sound, "
              f"{summary['warnings']} with warnings, {summary['unsound']} unsound, "
              f"{summary['not_published']} not published")
    if published:
        _table(out, "Published copies", ["image", "name", "NGFF", "status", "errors",
                                         "warnings", "URL"], rows, footer)
    else:
        out.out.print(footer)
    for r in published:
        for p in sorted(r.problems, key=lambda p: not p.is_error):   # errors first
            colour = "red" if p.is_error else "yellow"
            out.out.print(f"Image:{r.record.id} [{colour}]{p.severity}[/{colour}] "
                          f"{p.code}: ", end="")
            out.out.print(p.message, markup=False)
    for f in fixes:
        if args.dry_run and not f.error:
            out.out.print(f"would remove annotation {f.annotation_id} of "
                          f"Image:{f.image_id} ({f.reason})", markup=False)
        elif f.done:
            out.out.print(f"removed annotation {f.annotation_id} of Image:{f.image_id} "
                          f"({f.reason}): publish it again to repair", markup=False)
        else:
            out.out.print(f"annotation {f.annotation_id} of Image:{f.image_id} kept: "
                          f"{f.error}", markup=False)
    if orphans:
        _table(out, f"Zarr groups under {args.orphans} no image points at",
               ["URL", "NGFF", "size", "objects"],
               [[o.url, o.ngff_version, _size(o.size), o.objects] for o in orphans],
               f"{len(orphans)} orphans, {_size(sum(o.size or 0 for o in orphans))}; "
               "nothing was deleted")
    elif args.orphans:
        out.out.print(f"No orphans under {args.orphans}", markup=False)


def _table(out: Output, title, columns, rows, footer=""):
    from rich.table import Table
    table = Table(title=title, caption=footer or None, caption_justify="left")
    width = out.out.width
    for i, column in enumerate(columns):
        if column == "URL":     # folded, never cut, and wide enough to read
            longest = max([len(str(r[i] or "")) for r in rows] + [3])
            table.add_column(column, overflow="fold",
                             min_width=min(longest, max(20, width // 2 - 10)))
        elif column in ("image", "NGFF", "errors", "warnings", "status", "size"):
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    out.out.print(table)


def _size(n: Optional[int]) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(n)
