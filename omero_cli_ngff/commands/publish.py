"""`omero ngff publish`: arguments -> PublishOptions (or RemoteOptions) -> the workflow ->
the table of what was done (or, with --dry-run, of what would be)."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from ..errors import UsageError
from ..model import paths
from ..model.reporting import Renderer
from ..storage import parse_destination
from ..workflows.plan import WORK, PublishPlan
from ..workflows.publish import Publish, PublishOptions, PublishResult, PublishRow
from ..workflows.publish_settings import resolve_settings
from .options import index_choices, metadata_choices, objects, report_failures, write_options

PLAN_COLUMNS = ["image", "name", "action", "destination", "url", "reason"]
COLUMNS = ["image", "name", "action", "status", "url", "bytes", "seconds", "message"]


def run(session: Any, args: Namespace, out: Renderer) -> int:
    refs = objects(args)                        # bad input fails before any login
    write = write_options(args)
    if args.parallel_images < 1:
        raise UsageError("--parallel-images must be at least 1")
    template = args.path_template or (paths.DEFAULT_REMOTE_TEMPLATE if args.remote
                                      else paths.DEFAULT_TEMPLATE)
    paths.check_template(template, per_image=not args.remote)
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
        render_plan(out, result.plans, dest, options.keep_old)
    else:
        render(out, result)
    return result.code


def render_plan(out: Renderer, plans: list[PublishPlan], dest: Any, keep_old: bool) -> None:
    rows = [[p.image_id, p.record.name, p.action,
             dest.join(p.root) if p.root and p.action in WORK else "",
             p.url or "", plan_reason(p, keep_old)] for p in plans]
    out.table("Publish plan (dry run: nothing changed)", PLAN_COLUMNS, rows,
              footer=counts(p.action for p in plans))


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


def cells(row: PublishRow) -> list[Any]:
    return [row.plan.image_id, row.plan.record.name, row.plan.action, row.status,
            row.plan.url or "", "" if row.bytes is None else row.bytes,
            round(row.seconds, 2), row.message]


def render(out: Renderer, result: PublishResult) -> None:
    out.table("Publish", COLUMNS, [cells(r) for r in result.rows],
              footer=counts(r.status for r in result.rows))
    report_failures(out, [(f"Image:{r.plan.image_id}", r.message) for r in result.rows
                          if r.status in ("failed", "refused")], len(result.rows))


def counts(values: Any) -> str:
    """'3 published, 1 skipped': how many of each, in the order first met."""
    found: dict[str, int] = {}
    for v in values:
        found[v] = found.get(v, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in found.items())
