"""`omero ngff verify`: arguments -> VerifyOptions -> workflows.verify -> the report
(a table and one line per problem, or one JSON document, or CSV rows)."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from ..errors import NotFound, UsageError
from ..model.annotation import DEFAULT_NAMESPACE
from ..model.reporting import Renderer, missing_text, plural
from ..storage import parse_destination
from ..workflows.origin import find_home, given_destination
from ..workflows.orphans import Orphan
from ..workflows.plan import check_namespace
from ..workflows.verify import (
    SOUND,
    UNPUBLISHED,
    UNSOUND,
    WARNINGS,
    Fix,
    VerifyOptions,
    VerifyResult,
    verify,
)
from .options import objects


def run(session: Any, args: Namespace, out: Renderer) -> int:
    refs = objects(args)                          # before connecting: usage errors first
    if args.sample < 0:
        raise UsageError("--sample must be 0 (skip) or a positive number of tiles")
    if args.dry_run and not args.fix:
        raise UsageError("--dry-run goes with --fix (verify itself changes nothing)")
    if args.fix:                 # never delete in OMERO's own namespaces: before login
        check_namespace(args.namespace or DEFAULT_NAMESPACE)
    orphans_under = parse_destination(args.orphans) if args.orphans else None
    given = given_destination(args.dest, args.public_url)
    options = VerifyOptions(namespace=args.namespace or DEFAULT_NAMESPACE,
                            sample=args.sample, ngff_version=args.ngff_version,
                            fix=args.fix, dry_run=args.dry_run,
                            home=find_home(lambda: session.conn, given),
                            index_dest=given)
    result = verify(session, refs, options, orphans_under, out)
    if result.missing and not result.reports:
        raise NotFound(missing_text(result.missing))     # as locate says it
    show(out, result, args)
    if result.missing:
        out.error(missing_text(result.missing))
    return result.code


def _summary(reports, orphans, fixes) -> dict:
    counts = {s: 0 for s in (SOUND, WARNINGS, UNSOUND, UNPUBLISHED)}
    for r in reports:
        counts[r.status] += 1
    return {"images": len(reports), "sound": counts[SOUND], "warnings": counts[WARNINGS],
            "unsound": counts[UNSOUND], "not_published": counts[UNPUBLISHED],
            "problems": sum(1 for r in reports for p in r.problems if p.is_error),
            "orphans": len(orphans), "fixed": sum(1 for f in fixes if f.done),
            # all_sound: every image has a copy without any problem; ok: none is
            # unsound (warnings alone exit 0) and every object named was found
            "all_sound": counts[SOUND] == len(reports) > 0,
            "ok": counts[UNSOUND] == 0}


def show(out: Renderer, result: VerifyResult, args: Namespace) -> None:
    if out.style == "json":
        _document(out, result, args.dry_run)
    elif out.for_people:
        _for_people(out, result, args)
    else:
        _problem_rows(out, result)


def _document(out: Renderer, result: VerifyResult, dry_run: bool) -> None:
    reports = result.reports
    summary = _summary(reports, result.orphans, result.fixes)
    summary.update(missing_objects=[str(m) for m in result.missing], dry_run=bool(dry_run),
                   ok=summary["ok"] and not result.missing)   # ok: exit code 0
    out.document({
        "summary": summary, "images": [r.to_dict() for r in reports],
        "fixes": [f.to_dict() for f in result.fixes],
        "orphans": [o.to_dict() for o in result.orphans],
    })


def _problem_rows(out: Renderer, result: VerifyResult) -> None:
    """One row per problem (or per sound image), then one per orphan."""
    columns = ["image_id", "name", "status", "url", "ngff_version", "severity", "code",
               "message", "fixable"]
    rows: list[list[Any]] = []
    for r in result.reports:
        if not r.copies:
            continue
        base = [r.record.id, r.record.name, r.status, " ".join(r.urls), " ".join(r.versions)]
        if not r.problems:
            rows.append(base + ["", "", "", ""])
        for p in r.problems:
            rows.append(base + [p.severity, p.code, p.message, p.fixable])
    for o in result.orphans:
        rows.append(["", "", "orphan", o.url, o.ngff_version, "warning", "orphan",
                     f"no image points here ({_size(o.size)})", False])
    out.table("Verify", columns, rows)


def _for_people(out: Renderer, result: VerifyResult, args: Namespace) -> None:
    summary = _summary(result.reports, result.orphans, result.fixes)
    published = [r for r in result.reports if r.copies]
    rows = [[r.record.id, r.record.name, " ".join(r.versions), r.status,
             sum(1 for p in r.problems if p.is_error),
             sum(1 for p in r.problems if not p.is_error), " ".join(r.urls)]
            for r in published]
    footer = (f"{plural(summary['images'], 'image')}: {summary['sound']} sound, "
              f"{summary['warnings']} with warnings, {summary['unsound']} unsound, "
              f"{summary['not_published']} not published")
    if published:
        out.table("Verified copies", ["image_id", "name", "ngff_version", "status",
                                      "errors", "warnings", "url"], rows, footer)
    else:
        out.text(footer)
    for r in published:
        for p in sorted(r.problems, key=lambda p: not p.is_error):   # errors first
            out.problem(r.record.id, p.severity, p.code, p.message)
    _fixes(out, result.fixes, args.dry_run)
    _orphans(out, result.orphans, args.orphans)


def _fixes(out: Renderer, fixes: list[Fix], dry_run: bool) -> None:
    for f in fixes:
        if dry_run and not f.error:
            out.text(f"would remove annotation {f.annotation_id} of Image:{f.image_id} "
                     f"({f.reason})")
        elif f.done:
            out.text(f"removed annotation {f.annotation_id} of Image:{f.image_id} "
                     f"({f.reason}): publish it again to repair")
        else:
            out.text(f"annotation {f.annotation_id} of Image:{f.image_id} kept: {f.error}")


def _orphans(out: Renderer, orphans: list[Orphan], where: str | None) -> None:
    if orphans:
        out.table(f"Zarr groups under {where} no image points at",
                  ["url", "ngff_version", "size", "objects"],
                  [[o.url, o.ngff_version, _size(o.size), o.objects] for o in orphans],
                  f"{plural(len(orphans), 'orphan')}, "
                  f"{_size(sum(o.size or 0 for o in orphans))}; nothing was deleted")
    elif where:
        out.text(f"No orphans under {where}")


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(n)
