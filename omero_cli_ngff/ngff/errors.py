"""Exceptions of the NGFF writer: one class per cause, each with a one-line message.

The CLI maps them to exit codes (see ``omero_cli_ngff.exit_codes``): every class carries
the code it belongs to in ``exit_code`` so that the mapping lives in one place.
"""

from __future__ import annotations

from .. import exit_codes


class NgffError(Exception):
    """Base class of every error the writer raises on purpose."""

    exit_code = exit_codes.DESTINATION

    def __str__(self) -> str:  # one line, whatever the arguments
        return " ".join(str(a) for a in self.args).replace("\n", " ")


class UnsupportedPixelTypeError(NgffError):
    """The pixel type cannot be stored in OME-Zarr (e.g. complex numbers)."""

    exit_code = exit_codes.USAGE


class InvalidSpecError(NgffError):
    """The image description or the options are inconsistent (sizes, chunk size...)."""

    exit_code = exit_codes.USAGE


class DestinationError(NgffError):
    """The destination cannot be opened or written (missing, read-only, no credentials)."""


class NoSpaceError(DestinationError):
    """The destination ran out of space (ENOSPC, quota)."""


class TargetExistsError(DestinationError):
    """Something different already exists at the target and overwrite was not asked."""


class SourceError(NgffError):
    """The tile source failed or returned data of the wrong shape or type."""

    exit_code = exit_codes.PARTIAL_FAILURE
