"""Errors a user can cause: each carries its exit code and one clear line."""

from . import exit_codes


class NgffError(Exception):
    """Base class: the CLI prints the message as one line and exits with `code`."""

    code = 1

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class UsageError(NgffError):
    code = exit_codes.USAGE


class ConnectionFailed(NgffError):
    code = exit_codes.CONNECTION


class NotFound(NgffError):
    code = exit_codes.NOT_FOUND


class PermissionRefused(NgffError):
    code = exit_codes.PERMISSION


class PartialFailure(NgffError):
    code = exit_codes.PARTIAL_FAILURE


class Unsound(NgffError):
    code = exit_codes.UNSOUND
