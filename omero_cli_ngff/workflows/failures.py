"""Exit codes of failures, for per-image results and for the whole command.

The plugin's own errors carry their code (``errors.NgffError``); the writer's errors
know none, and are given theirs here, in the one table that maps them.
"""

from __future__ import annotations

from typing import Iterable, Optional

from .. import exit_codes
from .. import errors
from ..ngff import errors as writer

# The writer's errors, most specific first.
WRITER_CODES: tuple[tuple[type, int], ...] = (
    (writer.UnsupportedPixelTypeError, exit_codes.USAGE),
    (writer.InvalidSpecError, exit_codes.USAGE),
    (writer.StoreError, exit_codes.DESTINATION),
    (writer.SourceError, exit_codes.PARTIAL_FAILURE),
    (writer.WriterError, exit_codes.DESTINATION),
)


def exit_code_of(err: BaseException) -> Optional[int]:
    """The documented exit code of an error a user can act on; None for a bug."""
    code = errors.exit_code_of(err)
    if code is not None:
        return code
    for cls, code in WRITER_CODES:
        if isinstance(err, cls):
            return code
    return None


def summary_code(codes: Iterable[int]) -> int:
    """One failure kind keeps its own code; several kinds are a partial failure."""
    failed = set(codes) - {exit_codes.OK}
    if not failed:
        return exit_codes.OK
    return failed.pop() if len(failed) == 1 else exit_codes.PARTIAL_FAILURE
