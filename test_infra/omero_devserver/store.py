"""The writable part of the server: annotations and their links, kept in a JSON file.

Seeded from the catalogue's ``annotations:``; after the first write the state file
(``<state-dir>/state.json``) holds the whole set, so a restarted server has every
write. Writes go to a temporary file and are renamed into place.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .catalogue import Catalogue

STATE_FILE = "state.json"


@dataclass
class AnnotationRecord:
    id: int
    kind: str                     # annotation_specs.KINDS: "MapAnnotation", ...
    ns: Optional[str]
    values: List[Tuple[str, str]]
    owner: int
    group: int
    version: int = 0
    created: int = 0              # ms since epoch
    name: Optional[str] = None
    description: Optional[str] = None
    value: object = None          # textValue, boolValue, ... of the kinds but Map


@dataclass
class LinkRecord:
    id: int
    parent_type: str              # "Image", "Roi", "Dataset", ...
    parent_id: int
    child_id: int
    owner: int
    group: int
    created: int = 0


@dataclass
class Store:
    path: Optional[Path]
    annotations: Dict[int, AnnotationRecord] = field(default_factory=dict)
    links: Dict[int, LinkRecord] = field(default_factory=dict)
    next_id: int = 1000
    lock: threading.RLock = field(default_factory=threading.RLock)
    # pixels id -> the user who gave them rendering settings (resetDefaultSettings(True));
    # in memory only
    created_rendering_defs: Dict[int, int] = field(default_factory=dict)

    @classmethod
    def open(cls, state_dir: Optional[Path], catalogue: Catalogue) -> "Store":
        path = Path(state_dir) / STATE_FILE if state_dir else None
        store = cls(path=path)
        if path is not None and path.exists():
            data = json.loads(path.read_text())
            store.next_id = data["next_id"]
            for a in data["annotations"]:
                a["values"] = [tuple(v) for v in a["values"]]
                store.annotations[a["id"]] = AnnotationRecord(**a)
            for link in data["links"]:
                store.links[link["id"]] = LinkRecord(**link)
            return store
        now = int(time.time() * 1000)
        link_id = 1
        for ann in catalogue.annotations.values():
            store.annotations[ann.id] = AnnotationRecord(
                ann.id, ann.kind, ann.ns, list(ann.values), ann.owner, ann.group,
                created=now, name=ann.name, description=ann.description, value=ann.value)
            for parent_type, parent_id in ann.links:
                store.links[link_id] = LinkRecord(link_id, parent_type, parent_id, ann.id,
                                                  ann.owner, ann.group, now)
                link_id += 1
        return store

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def save(self):
        if self.path is None:
            return
        with self.lock:
            data = {"next_id": self.next_id,
                    "annotations": [asdict(a) for a in self.annotations.values()],
                    "links": [asdict(link) for link in self.links.values()]}
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1))
            os.replace(tmp, self.path)

    def links_of(self, parent_type: str, parent_ids) -> List[LinkRecord]:
        ids = set(parent_ids)
        return sorted((link for link in self.links.values()
                       if link.parent_type == parent_type and link.parent_id in ids),
                      key=lambda link: link.id)
