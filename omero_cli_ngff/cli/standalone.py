"""`omero-ngff`: the same commands without the `omero` launcher (which refuses root),
for containers and batch jobs. `omero-ngff export ...` is `omero ngff export ...`."""

from __future__ import annotations

import sys
from typing import Any

PROG = "omero-ngff"


def main(argv: list[str] | None = None) -> int:
    from omero.cli import CLI

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["ngff"]:        # `omero-ngff ngff export` works too
        argv = argv[1:]
    cli = CLI(prog=PROG)
    try:
        cli.loadplugins()
        if "ngff" not in cli.controls:  # the shim is not on sys.path: register directly
            from .control import HELP, NgffControl
            cli.register("ngff", NgffControl, HELP)
        _rename(cli.parser, f"{PROG} ngff", PROG)
        cli.invoke(["ngff", *argv])
    finally:
        cli.close()
    return int(cli.rv)


def _rename(parser: Any, old: str, new: str) -> None:
    """Usage lines read `omero-ngff export`, not `omero-ngff ngff export` (omero-py's
    parsers come from its own copy of argparse: its sub-parsers are found by their
    `choices`, not by class)."""
    if parser.prog.startswith(old):
        parser.prog = new + parser.prog[len(old):]
    for action in parser._actions:
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict):
            for child in {id(c): c for c in choices.values()}.values():
                _rename(child, old, new)


if __name__ == "__main__":
    sys.exit(main())
