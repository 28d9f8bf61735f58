"""`verify` of the public index: the entries of the images verified, compared with what
OMERO's annotations say (the truth), and repaired with ``--fix``.

- missing: the image has a copy at the destination but no entry;
- stale: the entry says something else than OMERO (URL, version, date, name, sizes);
- removed: the entry points at a copy no annotation of the image names any more (a
  copy removed or replaced, or an annotation --fix has just removed).

Only the entries of the images verified are judged: an entry of another image may be
another user's. The repair writes entries as publish does (the namespaces and owners
the last publish chose, from the manifest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..checks.problems import WARNING, Problem
from ..model.index_entry import PAGE, IndexEntry
from ..model.records import ImageRecord
from ..model.reporting import Reporter
from ..storage.base import Destination
from ..storage.errors import DestinationError
from ..storage.index_store import IndexStore
from .index import expected_entries, update_index

__all__ = ["IndexFinding", "check_index", "repair_index", "MISSING", "STALE", "REMOVED"]

MISSING, STALE, REMOVED = "index-missing", "index-stale", "index-removed"
#: what an entry must agree with OMERO on (pairs and thumbnails are the publisher's)
COMPARED = ("zarr_path", "ngff_version", "conversion_date", "name", "size_x", "size_y",
            "size_z", "size_c", "size_t", "pixel_type")


@dataclass(frozen=True)
class IndexFinding:
    image_id: int
    code: str
    message: str
    expected: IndexEntry | None = None      # the entry OMERO says it should have


    def problem(self) -> Problem:
        return Problem(self.code, self.message, severity=WARNING, fixable=True)


def _differs(stored: IndexEntry, expected: IndexEntry) -> list[str]:
    return [f for f in COMPARED if getattr(stored, f) != getattr(expected, f)]


def check_index(conn: Any, dest: Destination, records: list[ImageRecord],
                namespace: str) -> list[IndexFinding]:
    """What is wrong with the entries of these images at ``dest``."""
    store = IndexStore(dest)
    ids = [r.id for r in records]
    expected = expected_entries(conn, dest, records, namespace, store.choices())
    stored = store.read_entries(ids)
    page = dest.public_url(PAGE, group=False)
    findings = []
    for image_id in ids:
        want, have = expected.get(image_id), stored.get(image_id)
        if want is not None and have is None:
            findings.append(IndexFinding(image_id, MISSING,
                                         f"published here but not listed in {page}", want))
        elif want is None and have is not None:
            findings.append(IndexFinding(image_id, REMOVED, f"{page} lists a copy no "
                                         f"annotation names any more: {have.zarr_path}"))
        elif want is not None and have is not None and (changed := _differs(have, want)):
            findings.append(IndexFinding(image_id, STALE,
                                         f"{page} is out of date ({', '.join(changed)})",
                                         want))
    return findings


def repair_index(conn: Any, dest: Destination, records: list[ImageRecord],
                 namespace: str, findings: list[IndexFinding],
                 reporter: Reporter) -> list[str]:
    """Write the entries found missing or stale (as the check computed them), remove
    those pointing at removed copies; the problems met (the index is left as it was
    where they struck)."""
    store = IndexStore(dest)
    try:
        removed = [f.image_id for f in findings if f.code == REMOVED]
        if removed:
            store.remove(removed)
        expected = {f.image_id: f.expected for f in findings if f.expected is not None}
        wanted = [r for r in records if r.id in expected]
        if wanted:
            update = update_index(conn, dest, wanted, namespace, store.choices(), reporter,
                                  fresh=set(expected), expected=expected)
            return update.problems
    except DestinationError as err:
        return [f"the index at {dest.url} was not repaired: {err}"]
    return []
