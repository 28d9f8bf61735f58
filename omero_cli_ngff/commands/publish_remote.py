"""`omero ngff publish --remote google-batch`: the batch arguments -> RemoteOptions ->
workflows.publish_remote -> the table of filesets (or, with --dry-run, the job specs)."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from ..errors import UsageError
from ..model.reporting import Renderer
from ..remote import IMAGE_ENV, BatchSettings, resolve_image
from ..workflows.publish_remote import COLUMNS, RemoteOptions, RemoteResult, publish_remote
from ..workflows.publish_settings import configured_value


def run_remote(session: Any, args: Namespace, out: Renderer, dest: Any,
               common: dict[str, Any]) -> int:
    """`common`: the options shared with local publishing (see commands.publish, which
    has called check_arguments before any login)."""
    image = resolve_image(args.batch_image, _configured_image(session, args.batch_image))
    batch = BatchSettings(project=args.batch_project, region=args.batch_region,
                          repository=args.repository_bucket, image=image,
                          machine_type=args.batch_machine_type,
                          api_endpoint=args.batch_endpoint)
    options = RemoteOptions(**common, batch=batch, wait=args.wait)
    result = publish_remote(session, options, dest, out)
    render(out, result)
    return result.code


def check_arguments(args: Namespace) -> None:
    """The batch arguments needed, checked before any login."""
    if not (args.batch_project and args.repository_bucket):
        raise UsageError("--remote google-batch needs --batch-project and "
                         "--repository-bucket")


def _configured_image(session: Any, option: str | None) -> str | None:
    """The image kept in the defaults (publish_settings: the local file, the group's,
    the server's `omero.client.ngff.batch_image`), read only when neither the option
    nor the environment gives one (reading it logs in)."""
    import os
    if option or os.environ.get(IMAGE_ENV):
        return None
    return configured_value(lambda: session.conn, "batch_image")


def render(out: Renderer, result: RemoteResult) -> None:
    """One record per fileset (its images listed in it); with --dry-run, the job specs
    too (`jobs` in the JSON document, one command line each for people)."""
    records = [dict(zip(COLUMNS, r)) for r in result.rows]
    summary = {"filesets": len(records), "dry_run": bool(result.dry_run)}
    if not result.dry_run:
        out.results("Publish (remote)", COLUMNS, records, summary)
        return
    out.results("Publish plan (remote, dry run: nothing changed)", COLUMNS, records,
                summary, extra={"jobs": result.jobs})
    if out.style != "json":
        for item in result.jobs:
            cmd = item["spec"]["taskGroups"][0]["taskSpec"]["runnables"][0]["container"]
            out.line(f"{item['job_id']}: {' '.join(cmd.get('commands', []))}")
