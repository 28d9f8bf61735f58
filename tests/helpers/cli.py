"""Run the real `omero` CLI in-process (the `omero` launcher refuses root)."""

from __future__ import annotations

import contextlib
import json


def invoke(argv, capsys=None):
    """`omero ARGV`: (exit code, stdout, stderr)."""
    from omero.cli import CLI, NonZeroReturnCode

    cli = CLI()
    cli.loadplugins()
    try:
        with contextlib.suppress(NonZeroReturnCode):
            cli.invoke(list(argv), strict=True)
    finally:
        cli.close()                 # as omero's own launcher does: frees the client
    out, err = capsys.readouterr() if capsys is not None else ("", "")
    return cli.rv, out, err


def json_rows(out: str) -> list:
    """The images of the last JSON document a `--style json` command printed
    (``{"summary": ..., "images": [...]}``; [] when none)."""
    lines = [line for line in out.splitlines() if line.startswith(("{", "["))]
    if not lines:
        return []
    doc = json.loads(lines[-1])
    return doc["images"] if isinstance(doc, dict) else doc
