"""Errors of remote conversion: one line each, with the documented exit code."""

from __future__ import annotations

from .. import exit_codes
from ..errors import NgffError

__all__ = ["RemoteError", "RemoteConfigError", "RemoteCredentialsError", "RemoteUnavailable",
           "JobRefused", "JobFailed", "ConverterRefused", "OutputUnreadable", "WaitTimeout"]


class RemoteError(NgffError):
    """The remote batch engine refused or failed; one line, exit code REMOTE."""

    exit_code = exit_codes.REMOTE
    code = exit_codes.REMOTE

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class RemoteConfigError(RemoteError):
    """The remote settings cannot work (no image, not a gs:// destination, bad names...)."""

    exit_code = exit_codes.USAGE
    code = exit_codes.USAGE


class RemoteCredentialsError(RemoteError):
    pass


class RemoteUnavailable(RemoteError):
    pass


class JobRefused(RemoteError):
    """The Batch API rejected a job (invalid spec, permission, quota)."""


class JobFailed(RemoteError):
    pass


class ConverterRefused(RemoteError):
    """The job's image runs a bioformats2raw that cannot write what was asked, or does
    not say which version it is: its output is not published."""


class OutputUnreadable(RemoteError):
    """A finished job's output does not have the layout bioformats2raw writes."""

    exit_code = exit_codes.UNSOUND
    code = exit_codes.UNSOUND


class WaitTimeout(RemoteError):
    def __init__(self, message: str, statuses: dict | None = None):
        super().__init__(message)
        self.statuses = statuses or {}
