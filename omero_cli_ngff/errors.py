"""Errors a user can cause: each carries its exit code and one clear line."""

import re

from . import exit_codes

# Ice and OMERO name sessions and clients by UUIDs, and put them in their exceptions'
# text: never shown (see cli/sanitise.py for the rest of the secrets).
UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}\b")


class NgffError(Exception):
    """Base class: the CLI prints the message as one line and exits with `exit_code`.

    Other layers (the NGFF writer, storage) define their own error classes with an
    `exit_code` attribute too; the CLI treats every such exception alike.
    """

    exit_code = exit_codes.INTERNAL

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


def exit_code_of(err: BaseException) -> int | None:
    """The documented exit code of an error a user can cause, None for a bug."""
    code = getattr(err, "exit_code", None)
    return code if isinstance(code, int) else None


def one_line(err: BaseException) -> str:
    """An exception's message on one line (omero exceptions carry it in `message`:
    their str() dumps every field), without the UUIDs of sessions in it."""
    text = getattr(err, "message", None)
    if not isinstance(text, str) or not text.strip():
        text = str(err)
    return UUID.sub("***", shorten(text, limit=0)) or type(err).__name__


def shorten(text: object, limit: int = 300) -> str:
    """Text on one line (whitespace runs become one space), at most `limit` characters
    (0: no limit)."""
    line = " ".join(str(text).split())
    return line if not limit or len(line) <= limit else line[:limit - 1] + "…"


class UsageError(NgffError):
    exit_code = exit_codes.USAGE


class ConnectionFailed(NgffError):
    exit_code = exit_codes.CONNECTION


class NotFound(NgffError):
    exit_code = exit_codes.NOT_FOUND


class PermissionRefused(NgffError):
    exit_code = exit_codes.PERMISSION
