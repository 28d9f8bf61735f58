"""`omero ngff publish --remote google-batch`: the batch arguments -> RemoteOptions ->
workflows.publish_remote -> the table of filesets (or, with --dry-run, the job specs)."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from ..errors import UsageError
from ..model.reporting import Renderer
from ..remote import BatchSettings
from ..workflows.publish_remote import COLUMNS, RemoteOptions, RemoteResult, publish_remote


def run_remote(session: Any, args: Namespace, out: Renderer, dest: Any,
               common: dict[str, Any]) -> int:
    """`common`: the options shared with local publishing (see commands.publish)."""
    if not (args.batch_project and args.repository_bucket):
        raise UsageError("--remote google-batch needs --batch-project and "
                         "--repository-bucket")
    batch = BatchSettings(project=args.batch_project, region=args.batch_region,
                          repository=args.repository_bucket,
                          machine_type=args.batch_machine_type,
                          api_endpoint=args.batch_endpoint,
                          **({"image": args.batch_image} if args.batch_image else {}))
    options = RemoteOptions(**common, batch=batch, wait=args.wait)
    result = publish_remote(session, options, dest, out)
    render(out, result)
    return result.code


def render(out: Renderer, result: RemoteResult) -> None:
    if not result.dry_run:
        out.table("Publish (remote)", COLUMNS, result.rows)
    elif out.style == "json":
        out.document({"plan": [dict(zip(COLUMNS, r)) for r in result.rows],
                      "jobs": result.jobs})
    else:
        out.table("Publish plan (remote, dry run: nothing changed)", COLUMNS, result.rows)
        for item in result.jobs:
            cmd = item["spec"]["taskGroups"][0]["taskSpec"]["runnables"][0]["container"]
            out.line(f"{item['job_id']}: {' '.join(cmd.get('commands', []))}")
