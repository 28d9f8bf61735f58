"""Copies a publish replaces or finds: removed only when they are the image's, adopted
only on evidence.

A replaced copy (the URL the annotation pointed at before the switch) is looked up in
storage (`storage.locate`: today's destination, or a GCS bucket) and removed when its
root's ownership record names the image. A root without a record - a copy made before
records existed, or by bioformats2raw - is adopted first when the evidence holds:
the image's own annotation pointed exactly at its image group, its metadata agrees
with OMERO (shape, pixel type), and no other image's annotation points into it.
Anything else is left where it is and said so: an annotation is never by itself a
reason to delete.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..checks.agreement import check_agreement
from ..errors import one_line
from ..model import paths
from ..model.records import ImageRecord
from ..omero_io import annotations
from ..omero_io.query import QueryRunner
from ..storage import DestinationError, FetchError, ownership
from ..storage.base import Destination
from ..storage.locate import Locations
from ..storage.ownership import Owner
from . import published_copy

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What became of a copy: removed or not, and a note for the image's row."""

    removed: bool = False
    retry: bool = False                # failed for a reason a rerun may not meet
    notes: list[str] = field(default_factory=list)


class OldCopies:
    """Finds, judges and removes the copies a publish run replaces."""

    def __init__(self, conn: Any, locations: Locations, namespace: str,
                 version: str) -> None:
        self.conn = conn
        self.locations = locations
        self.namespace = namespace
        self.version = version

    def evidence(self, dest: Destination, root: str, url: str, record: ImageRecord,
                 images: list[ImageRecord] | None = None) -> str | None:
        """None when a root without a record is provably the copy of ``record`` (or of
        ``images``, the fileset's images, for a bioformats2raw root), else why not."""
        mine = images or [record]
        group, series = paths.root_of_group(dest.relpath_of_public_url(url) or "")
        if series is None or group != root:
            return f"the annotation points at {url}, not exactly at an image group in it"
        prefix = dest.public_url(root)
        others = set(annotations.images_under_url(QueryRunner(self.conn), prefix,
                                                  self.namespace))
        others -= {r.id for r in mine}
        if others:
            return ("the annotations of other images point into it too (Image:"
                    + ", Image:".join(str(i) for i in sorted(others)[:3]) + ")")
        try:
            remote = published_copy.read(url, self.version)
        except (FetchError, Exception) as err:      # noqa: BLE001 - not evidence either way
            return f"its metadata cannot be read ({one_line(err)})"
        errors = [p for p in check_agreement(record, remote) if p.is_error]
        if errors:
            return "it does not agree with OMERO: " + errors[0].message
        return None

    def retire(self, url: str, owner: Owner, record: ImageRecord) -> Outcome:
        """Remove the copy at ``url`` when it is the image's (adopting it on evidence)."""
        found = self.locations.find(url)
        if found is None:
            return Outcome(notes=[f"previous copy {url} left: not in a storage this run "
                                  "can reach (remove it yourself if it is not wanted)"])
        dest, rel = found
        root, series = paths.root_of_group(rel)
        if series is None:
            return Outcome(notes=[f"previous copy {url} left: not an image group"])
        return self.remove_root(dest, root, owner, record, url)

    def remove_root(self, dest: Destination, root: str, owner: Owner,
                    record: ImageRecord | None, url: str | None,
                    images: list[ImageRecord] | None = None) -> Outcome:
        """Remove ``root`` if ours; adopt it first on evidence when it has no record and
        ``url`` (the annotation of ``record``, one of ``images``) pointed into it."""
        where = dest.join(root)
        try:
            state = ownership.inspect(dest, root)
            if state.empty:
                return Outcome()
            if state.unrecorded and url is not None and record is not None:
                why = self.evidence(dest, root, url, record, images)
                if why is not None:
                    return Outcome(notes=[f"old copy {where} left: it has no ownership "
                                          f"record and {why}"])
                ownership.take(dest, root, owner, adopt=True)
                log.info("adopted %s for %s", where, owner.object)
                notes = [f"adopted the old copy {where} (no ownership record) to remove it"]
            else:
                notes = []
            count = ownership.remove(dest, root, owner)
            if count and url is not None:
                notes.append(f"removed the previous copy {url}")
        except ownership.NotOwned as err:
            return Outcome(notes=[f"old copy left: {one_line(err)}"])
        except DestinationError as err:
            return Outcome(retry=True, notes=[f"old copy {where} not removed: "
                                              f"{one_line(err)}"])
        return Outcome(removed=count > 0, notes=notes)


def foreign_copy_evidence(locations: Locations, owner: Owner, copy: Any,
                          adopt: bool) -> str | None:
    """Why another user's annotation cannot be taken as this image's (None: it can,
    because its copy's ownership record names the image, or `adopt` takes an
    unrecorded one)."""
    found = locations.find(copy.zarr_path)
    root, series = paths.root_of_group(found[1]) if found else ("", None)
    if found is None or series is None:
        return "written by another user, and not a copy this run can check"
    try:
        state = ownership.inspect(found[0], root)
    except DestinationError as err:
        return f"written by another user, and its copy cannot be checked: {one_line(err)}"
    if state.owned_by(owner) or (state.unrecorded and adopt):
        return None
    return "written by another user, and its copy is not recorded as this image's"
