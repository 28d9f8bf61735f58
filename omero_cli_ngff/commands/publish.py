"""`omero ngff publish`: arguments -> PublishOptions (or RemoteOptions) -> the workflow ->
the table of what was done (or, with --dry-run, of what would be)."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from ..errors import UsageError
from ..model import paths
from ..model.reporting import Renderer, missing_text, plural
from ..storage import parse_destination
from ..workflows.plan import WORK, PublishPlan, check_namespace
from ..workflows.publish import Publish, PublishOptions, PublishResult, PublishRow
from ..workflows.publish_records import CLAIMED
from ..workflows.publish_settings import resolve_settings
from .options import (
    failure_problem,
    index_choices,
    metadata_choices,
    objects,
    report_failures,
    write_options,
)

PLAN_COLUMNS = ["image_id", "name", "action", "destination", "url", "reason"]
COLUMNS = ["image_id", "name", "action", "status", "url", "bytes", "seconds", "message"]
FAILED = ("failed", "refused")
# Every status of a local run (workflows.publish), each counted in the JSON summary.
STATUSES = ("published", "updated", "restored", "skipped", CLAIMED, *FAILED)


def run(session: Any, args: Namespace, out: Renderer) -> int:
    refs = objects(args)                        # bad input fails before any login
    write = write_options(args)
    if args.parallel_images < 1:
        raise UsageError("--parallel-images must be at least 1")
    template = args.path_template or (paths.DEFAULT_REMOTE_TEMPLATE if args.remote
                                      else paths.DEFAULT_TEMPLATE)
    paths.check_template(template, per_image=not args.remote)
    if args.namespace is not None:     # one the tool must never write in: before login
        check_namespace(args.namespace)
    if args.remote:
        from .publish_remote import check_arguments
        check_arguments(args)
    if args.dest:              # a malformed destination is a usage error before any login
        parse_destination(args.dest, args.public_url)
    settings = resolve_settings(lambda: session.conn, args.dest, args.public_url,
                                args.namespace)
    dest = parse_destination(settings.dest, settings.public_url)
    dest.require_public_url()
    common = dict(refs=refs, write=write, template=template, namespace=settings.namespace,
                  force=args.force, keep_old=args.keep_old, dry_run=args.dry_run,
                  allow_private=args.allow_private, adopt=args.adopt,
                  metadata=metadata_choices(args, settings.namespace),
                  index=index_choices(args))
    if args.remote:
        from .publish_remote import run_remote
        return run_remote(session, args, out, dest, common)
    options = PublishOptions(**common, parallel_images=args.parallel_images)
    result = Publish(session, options, dest, out).run()
    if result.dry_run:
        render_plan(out, result.plans, dest, options.keep_old, result.missing)
    else:
        render(out, result)
    if result.missing:                  # as locate and verify say it
        out.error(missing_text(result.missing))
    return result.code


def render_plan(out: Renderer, plans: list[PublishPlan], dest: Any, keep_old: bool,
                missing: Any = ()) -> None:
    records = [{"image_id": p.image_id, "name": p.record.name, "action": p.action,
                "destination": dest.join(p.root) if p.root and p.action in WORK else None,
                "url": p.url or None, "reason": plan_reason(p, keep_old), "problems": []}
               for p in plans]
    found = counts(p.action for p in plans)
    summary = {"images": len(records), "dry_run": True, "actions": found,
               "missing_objects": [str(m) for m in missing]}
    out.results("Publish plan (dry run: nothing changed)", PLAN_COLUMNS, records, summary,
                footer=_footer(len(records), {f"to {k}": n for k, n in found.items()}))


def plan_reason(p: PublishPlan, keep_old: bool) -> str:
    """Why, what else it does (removals only of copies found to be the image's), and
    the annotations it leaves alone."""
    parts = [p.reason, *p.notes]
    if p.cleanup:
        parts.append(f"then remove {p.cleanup} if it is this image's")
    if p.old_url and not keep_old and p.action == "update":
        parts.append(f"then remove the copy at {p.old_url} if it is this image's")
    parts += [f.describe() for f in p.foreign]
    return "; ".join(x for x in parts if x)


def record(row: PublishRow) -> dict:
    problems = [failure_problem(row.message, row.status)] if row.status in FAILED else []
    return {"image_id": row.plan.image_id, "name": row.plan.record.name,
            "action": row.plan.action, "status": row.status, "url": row.plan.url or None,
            "bytes": row.bytes, "seconds": round(row.seconds, 2),
            "message": row.message, "problems": problems}


def render(out: Renderer, result: PublishResult) -> None:
    records = [record(r) for r in result.rows]
    found = counts(r.status for r in result.rows)
    summary = {"images": len(records), "dry_run": False,
               **{status: found.get(status, 0) for status in STATUSES},
               "missing_objects": [str(m) for m in result.missing]}
    out.results("Publish", COLUMNS, records, summary,
                footer=_footer(len(records), found))
    report_failures(out, [(f"Image:{r.plan.image_id}", r.message) for r in result.rows
                          if r.status in FAILED], len(result.rows))


def counts(values: Any) -> dict[str, int]:
    """{'published': 3, 'skipped': 1}: how many of each, in the order first met."""
    found: dict[str, int] = {}
    for v in values:
        found[v] = found.get(v, 0) + 1
    return found


def _footer(total: int, found: dict[str, int]) -> str:
    """'3 images: 2 published, 1 skipped' (the counts met, in their order)."""
    return f"{plural(total, 'image')}: " + ", ".join(f"{n} {k}" for k, n in found.items())
