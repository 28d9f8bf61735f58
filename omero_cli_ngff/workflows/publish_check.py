"""The check before an annotation is written: the copy read back at its public URL
agrees with OMERO (metadata, shapes and pixel type, one tile compared)."""

from __future__ import annotations

from typing import Any

from .. import exit_codes
from ..checks.agreement import check_agreement
from ..checks.pixels import check_pixels
from ..errors import NgffError, one_line
from ..model.records import ImageRecord
from ..omero_io.tile_source import OmeroTileSource
from ..storage import FetchError
from . import published_copy


class CheckFailed(NgffError):
    """The written copy does not agree with OMERO: never annotated."""

    exit_code = exit_codes.UNSOUND


class CopyUnreadable(NgffError):
    """The written copy cannot be read at its public URL: never annotated."""

    exit_code = exit_codes.DESTINATION


def check_copy(conn: Any, record: ImageRecord, url: str, version: str) -> None:
    """Raise CopyUnreadable or CheckFailed unless the copy at `url` is the image's."""
    try:
        remote = published_copy.read(url, version)
    except FetchError as err:
        raise CopyUnreadable(f"the written copy cannot be read at {url} "
                             f"({err.kind}): {one_line(err)}") from None
    except Exception as err:
        raise CheckFailed(f"the written copy at {url} cannot be opened: "
                          f"{one_line(err)}") from None
    problems = check_agreement(record, remote)
    if not problems:
        with OmeroTileSource(conn, record) as source:
            problems = check_pixels(record, remote, source, count=1)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise CheckFailed("the written copy does not agree with OMERO: "
                          + "; ".join(p.message for p in errors[:3]))
