"""`omero-ngff`: the same commands without the `omero` launcher (which refuses root),
for containers and batch jobs."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from omero.cli import CLI

    argv = sys.argv[1:] if argv is None else argv
    cli = CLI()
    cli.loadplugins()
    if "ngff" not in cli.controls:  # the shim is not on sys.path: register directly
        from .control import HELP, NgffControl
        cli.register("ngff", NgffControl, HELP)
    cli.invoke(["ngff"] + list(argv))
    return cli.rv


if __name__ == "__main__":
    sys.exit(main())
