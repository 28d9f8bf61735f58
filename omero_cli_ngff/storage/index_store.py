"""The public index at a destination root, stored so that it is always whole and no
concurrent publish loses another's entries.

Layout (model.index_entry): ``index.json`` is a small manifest listing the shards
(name, entry count, version); ``index/shards/<range>.json`` hold the entries of one
image id range; ``index/thumbnails/<id>.png`` one small picture per image;
``index.html`` the page. Every object is replaced whole (object stores and the folder
backend's renames make a write atomic), so a reader sees the old or the new version,
never half of one. Changes are read-modify-write cycles made with the destination's
conditional writes (`create_exclusive` / `replace_if`): of two publishers changing the
same shard or the manifest, one wins and the other reads the winner's version and
merges again, so neither loses entries. The manifest is written after its shards: a
reader following a manifest a moment old still finds every shard it names.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..model.index_entry import (
    FORMAT,
    MANIFEST,
    SHARDS_DIR,
    IndexChoices,
    IndexEntry,
    shard_of,
    shard_path,
    thumbnail_path,
)
from .base import Destination
from .errors import DestinationError

__all__ = ["IndexStore", "IndexConflict", "ShardInfo"]

_TRIES = 30


class IndexConflict(DestinationError):
    """Other writers kept changing an index object for every one of our tries."""


@dataclass(frozen=True)
class ShardInfo:
    """A shard as the manifest lists it (the version: its generation or digest)."""

    name: str
    count: int = 0
    version: str = ""


def _dumps(doc: object) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _loads(data: bytes | None) -> dict[str, Any]:
    try:
        doc = json.loads(data or b"")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


class IndexStore:
    """The index of one destination."""

    def __init__(self, dest: Destination) -> None:
        self.dest = dest

    # -- reading --------------------------------------------------------------------------

    def shards(self) -> list[ShardInfo]:
        doc = _loads(self.dest.read_bytes(MANIFEST))
        out = []
        for item in doc.get("shards") or []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                out.append(ShardInfo(item["name"], int(item.get("count") or 0),
                                     str(item.get("version") or "")))
        return out

    def choices(self) -> IndexChoices:
        """What the last publish that changed the index chose to show (the manifest's
        settings): what a repair shows too."""
        settings = _loads(self.dest.read_bytes(MANIFEST)).get("settings") or {}
        names = settings.get("namespaces") if isinstance(settings, dict) else None
        return IndexChoices(
            namespaces=tuple(n for n in names or () if isinstance(n, str)),
            owners=bool(settings.get("owners")) if isinstance(settings, dict) else False)

    def read_shard(self, shard: str) -> dict[int, IndexEntry]:
        doc = _loads(self.dest.read_bytes(shard_path(shard)))
        return _entries_of(doc)

    def read_entries(self, image_ids: Iterable[int]) -> dict[int, IndexEntry]:
        """The stored entries of these images (each of their shards read once)."""
        wanted = set(image_ids)
        out: dict[int, IndexEntry] = {}
        for shard in sorted({shard_of(i) for i in wanted}):
            out.update((i, e) for i, e in self.read_shard(shard).items() if i in wanted)
        return out

    def read_all(self) -> dict[int, IndexEntry]:
        """Every entry, from the shards the manifest names and any it missed."""
        names = {s.name for s in self.shards()} | set(self._shard_files())
        out: dict[int, IndexEntry] = {}
        for name in sorted(names):
            out.update(self.read_shard(name))
        return out

    def _shard_files(self) -> list[str]:
        return [n[:-5] for n in self.dest.list_names(SHARDS_DIR) if n.endswith(".json")]

    # -- writing --------------------------------------------------------------------------

    def upsert(self, entries: Iterable[IndexEntry],
               choices: IndexChoices | None = None) -> int:
        """Add or replace entries (made with ``choices``, kept in the manifest); the
        number of shards changed."""
        return self._change({e.image_id: e for e in entries}, set(), choices)

    def remove(self, image_ids: Iterable[int]) -> int:
        """Remove the entries of these images (and their thumbnails)."""
        ids = set(image_ids)
        changed = self._change({}, ids)
        for image_id in ids:
            if self.dest.exists(thumbnail_path(image_id)):
                self.dest.delete_objects([thumbnail_path(image_id)])
        return changed

    def _change(self, put: dict[int, IndexEntry], drop: set[int],
                choices: IndexChoices | None = None) -> int:
        by_shard: dict[str, tuple[dict[int, IndexEntry], set[int]]] = {}
        for image_id, entry in put.items():
            by_shard.setdefault(shard_of(image_id), ({}, set()))[0][image_id] = entry
        for image_id in drop:
            by_shard.setdefault(shard_of(image_id), ({}, set()))[1].add(image_id)
        written: dict[str, ShardInfo] = {}
        for shard, (adds, removes) in sorted(by_shard.items()):
            info = self._change_shard(shard, adds, removes)
            if info is not None:
                written[shard] = info
        if written:
            self._update_manifest(written, choices)
        return len(written)

    def _change_shard(self, shard: str, adds: dict[int, IndexEntry],
                      removes: set[int]) -> ShardInfo | None:
        """One shard's read-merge-write cycle; None when nothing changed."""
        def merge(doc: dict[str, Any]) -> dict[str, Any] | None:
            entries = _entries_of(doc)
            before = dict(entries)
            entries.update(adds)
            for image_id in removes:
                entries.pop(image_id, None)
            if entries == before:
                return None
            return {"format": FORMAT, "shard": shard,
                    "entries": [entries[i].to_json() for i in sorted(entries)]}

        result = self.update(shard_path(shard), merge)
        if result is None:
            return None
        doc, version = result
        return ShardInfo(shard, len(doc["entries"]), version)

    def _update_manifest(self, written: dict[str, ShardInfo],
                         choices: IndexChoices | None) -> None:
        def merge(doc: dict[str, Any]) -> dict[str, Any] | None:
            settings = doc.get("settings") or {}
            if choices is not None:
                settings = {"namespaces": list(choices.namespaces),
                            "owners": choices.owners}
            shards = {s["name"]: s for s in doc.get("shards") or [] if isinstance(s, dict)}
            for info in written.values():
                shards[info.name] = {"name": info.name, "count": info.count,
                                     "version": info.version,
                                     "path": shard_path(info.name)}
            shards = {k: v for k, v in shards.items() if v.get("count")}
            return {"format": FORMAT, "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                               time.gmtime()),
                    "entries": sum(int(s.get("count") or 0) for s in shards.values()),
                    "settings": settings,
                    "shards": [shards[k] for k in sorted(shards)]}

        self.update(MANIFEST, merge)

    def update(self, relpath: str, merge: Callable[[dict[str, Any]], dict[str, Any] | None]
               ) -> tuple[dict[str, Any], str] | None:
        """Read, merge, write back only if nobody wrote meanwhile, else again: (the
        document written, its version), or None when ``merge`` changed nothing."""
        for attempt in range(_TRIES):
            current = self.dest.read_versioned(relpath)
            doc = merge(_loads(current.data) if current else {})
            if doc is None:
                return None
            data = _dumps(doc)
            if current is None:
                version = self.dest.create_exclusive(relpath, data)
            else:
                version = self.dest.replace_if(relpath, data, current.version)
            if version is not None:
                return doc, version
            time.sleep(random.uniform(0.005, 0.05) * (1 + attempt))   # let the winner go
        raise IndexConflict(f"{self.dest.join(relpath)} kept changing under us "
                            f"({_TRIES} tries): run publish again to update the index")

    def put(self, relpath: str, data: bytes) -> bool:
        """Write a whole object unless it already holds exactly ``data``; True when
        written (conditional writes: stores guess its content type from the name)."""
        for _ in range(_TRIES):
            current = self.dest.read_versioned(relpath)
            if current is not None and current.data == data:
                return False
            if current is None:
                if self.dest.create_exclusive(relpath, data) is not None:
                    return True
            elif self.dest.replace_if(relpath, data, current.version) is not None:
                return True
        raise IndexConflict(f"{self.dest.join(relpath)} kept changing under us")


def _entries_of(doc: dict[str, Any]) -> dict[int, IndexEntry]:
    out = {}
    for item in doc.get("entries") or []:
        entry = IndexEntry.from_json(item)
        if entry is not None:
            out[entry.image_id] = entry
    return out
