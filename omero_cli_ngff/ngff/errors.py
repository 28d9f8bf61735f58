"""Exceptions of the NGFF writer: one class per cause, each with a one-line message.

The writer knows nothing of exit codes: the commands map these classes to theirs
(``workflows.failures``).
"""

from __future__ import annotations


class WriterError(Exception):
    """Base class of every error the writer raises on purpose."""

    def __str__(self) -> str:  # one line, whatever the arguments
        return " ".join(str(a) for a in self.args).replace("\n", " ")


class UnsupportedPixelTypeError(WriterError):
    """The pixel type cannot be stored in OME-Zarr (e.g. complex numbers)."""


class InvalidSpecError(WriterError):
    """The image description or the options are inconsistent (sizes, chunk size...)."""


class StoreError(WriterError):
    """The target store cannot be opened or written (missing, read-only, no credentials)."""


class NoSpaceError(StoreError):
    """The target ran out of space (ENOSPC, quota)."""


class TargetExistsError(StoreError):
    """Something different already exists at the target and overwrite was not asked."""


class SourceError(WriterError):
    """The tile source failed or returned data of the wrong shape or type."""
