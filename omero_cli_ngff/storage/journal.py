"""The publish journal and the listings of the plugin's own folders in a destination.

A journal entry (``.omero-ngff/pending/[<scope>/]<image id>.json``, the scope being the
OMERO server's database UUID) is written before an image is converted and removed when
it is done: a rerun after a kill resumes into the same slot and finishes the removal
of a replaced copy, so nothing is orphaned. Entries hold relative paths and public
URLs only (no host, user or local path: they are as public as the data).
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass

from .base import Destination

PENDING_DIR = ".omero-ngff/pending"
# plates' entries (``image_id`` holds the plate id): a folder of their own, as plate and
# image ids are counted apart
PLATES_PENDING_DIR = ".omero-ngff/pending-plates"


@dataclass
class Pending:
    """A journal entry: an image being written to `root`, replacing `old` (or None)."""

    image_id: int
    root: str
    old: str | None = None
    old_url: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode()

    @classmethod
    def parse(cls, data: bytes | None) -> Pending | None:
        try:
            doc = json.loads(data or b"")
            return cls(int(doc["image_id"]), str(doc["root"]), doc.get("old"),
                       doc.get("old_url"))
        except (ValueError, KeyError, TypeError):
            return None


def _folder(folder: str, scope: str) -> str:
    return f"{folder}/{scope}" if scope else folder


def journal_path(image_id: int, scope: str = "") -> str:
    """The journal entry of an image, relative to the destination."""
    return f"{_folder(PENDING_DIR, scope)}/{image_id}.json"


def plate_journal_path(plate_id: int, scope: str = "") -> str:
    """The journal entry of a plate, relative to the destination."""
    return f"{_folder(PLATES_PENDING_DIR, scope)}/{plate_id}.json"


def read_plate_entry(dest: Destination, plate_id: int, scope: str = "") -> Pending | None:
    return Pending.parse(dest.read_bytes(plate_journal_path(plate_id, scope)))


def read_journal(dest: Destination, scope: str = "") -> dict[int, Pending]:
    """Image id -> its journal entry (one listing of the destination)."""
    out: dict[int, Pending] = {}
    folder = _folder(PENDING_DIR, scope)
    for name in dest.list_names(folder):
        if not name.endswith(".json"):
            continue
        entry = Pending.parse(dest.read_bytes(f"{folder}/{name}"))
        if entry is not None:
            out[entry.image_id] = entry
    return out


def read_entry(dest: Destination, image_id: int, scope: str = "") -> Pending | None:
    return Pending.parse(dest.read_bytes(journal_path(image_id, scope)))


def listed_ids(dest: Destination, folder: str, scope: str = "") -> set[int]:
    """Image ids named by the objects of a plugin folder (journal, claims): one listing."""
    out: set[int] = set()
    for name in dest.list_names(_folder(folder, scope)):
        base = posixpath.basename(name).split(".")[0]
        if base.isdigit():
            out.add(int(base))
    return out
