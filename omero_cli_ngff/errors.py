"""Errors a user can cause: each carries its exit code and one clear line."""

from . import exit_codes


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
    # omero exceptions carry their text in `message`; their str() dumps every field
    text = getattr(err, "message", None)
    if not isinstance(text, str) or not text.strip():
        text = str(err)
    text = " ".join(text.split())
    return text or type(err).__name__


class UsageError(NgffError):
    exit_code = exit_codes.USAGE


class ConnectionFailed(NgffError):
    exit_code = exit_codes.CONNECTION


class NotFound(NgffError):
    exit_code = exit_codes.NOT_FOUND


class PermissionRefused(NgffError):
    exit_code = exit_codes.PERMISSION
