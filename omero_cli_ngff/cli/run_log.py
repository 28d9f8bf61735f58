"""Logging during a command: `--log-file` keeps a full log of a long run (the console
keeps to one line per problem), `OMERO_NGFF_DEBUG=1` shows it on stderr, and otherwise
nothing a library logs reaches the terminal (no traceback on stderr).

Every record is one line of text: values in messages have their control characters
shown as escapes, and the secrets of the run are scrubbed from messages and
tracebacks (UUIDs too, from tracebacks: Ice exceptions name sessions by them).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from .sanitise import clean, scrub

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DEBUG_ENV = "OMERO_NGFF_DEBUG"
OURS = "omero_cli_ngff"


def debug_wanted() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


class SafeFormatter(logging.Formatter):
    """One line per message (control characters escaped), tracebacks kept on their
    lines; secrets scrubbed from both."""

    def format(self, record: logging.LogRecord) -> str:
        cached = record.exc_text        # another handler's text of the traceback: ours
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return clean(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:  # noqa: N802
        return _lines(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _lines(super().formatStack(stack_info))


def _lines(text: str) -> str:
    return "\n".join(clean(line) for line in scrub(text, uuids=True).split("\n"))


@dataclass
class RunLog:
    """The handlers installed for one command (removed by `stop`)."""

    handlers: list[logging.Handler] = field(default_factory=list)
    level: int = logging.WARNING


def start(path: str | None) -> RunLog:
    """Install the run's handlers on the root logger: the log file (everything of ours
    from DEBUG, others' warnings), stderr when debugging, and always one handler, so
    that Python's last-resort handler never prints a library's traceback."""
    run = RunLog()
    ours = logging.getLogger(OURS)
    run.level = ours.level
    if path:
        run.handlers.append(_handler(logging.FileHandler(path, encoding="utf-8")))
    if debug_wanted():
        run.handlers.append(_handler(logging.StreamHandler(sys.stderr)))
    if not run.handlers:
        run.handlers.append(logging.NullHandler())
    else:
        ours.setLevel(logging.DEBUG)
    root = logging.getLogger()
    for handler in run.handlers:
        root.addHandler(handler)
    return run


def _handler(handler: logging.Handler) -> logging.Handler:
    handler.setFormatter(SafeFormatter(FORMAT))
    handler.setLevel(logging.DEBUG)
    return handler


def stop(run: RunLog | None) -> None:
    if run is None:
        return
    root = logging.getLogger()
    for handler in run.handlers:
        root.removeHandler(handler)
        handler.close()
    logging.getLogger(OURS).setLevel(run.level)
