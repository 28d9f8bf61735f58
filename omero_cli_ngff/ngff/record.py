"""The resume record: which shards of an image are completely written.

Kept in the store next to the image, under ``<image>/.ngff-progress/``:

- ``plan.json``: the ``ImagePlan`` (shapes, chunks, shards, dtype, codec) the data was
  started with; a rerun continues with exactly this layout.
- ``done-<session>-<seq>.txt``: lines ``level/t/c/z/row/col`` of shards written (shard
  grid positions: a shard spans channels and planes too), in completion order.
  Segments are immutable new objects (object stores limit rewrites of one object to
  about one per second and have no append), written at most every ``interval``
  seconds and at the end. One flush at a time, in order, so the record is always a
  prefix of the completion order: a shard is recorded only after its object is
  complete.

A shard finished after the last flush is written again by the rerun, with the same
chunks. ``interval=0`` flushes after every shard. On resume the segments are read and
compacted into one. The final step of a write deletes the whole folder, after the
NGFF metadata was written: a record present means "incomplete".
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from zarr.abc.store import Store

from . import store as st

RECORD_DIR = ".ngff-progress"
Key = tuple[int, int, int, int, int, int]        # level, t, c, z, row, col


def record_prefix(image_path: str) -> str:
    return st.join(image_path, RECORD_DIR) + "/"


class ResumeRecord:
    """The resume record of the image at ``image_path`` (see the module docstring)."""

    def __init__(self, store: Store, image_path: str, interval: float = 2.0) -> None:
        self.store = store
        self.prefix = record_prefix(image_path)
        self.interval = interval
        self.done: set[Key] = set()
        self._pending: list[Key] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._session = uuid.uuid4().hex[:8]
        self._seq = 0
        self._last_flush = time.monotonic()

    # -- reading --------------------------------------------------------------------
    def read_plan(self) -> dict[str, Any] | None:
        plan: dict[str, Any] | None = st.get_json(self.store, self.prefix + "plan.json")
        return plan

    def exists(self) -> bool:
        return st.any_key(self.store, self.prefix)

    def load(self) -> set[Key]:
        """Read every segment into ``done`` and compact them into one segment."""
        keys = sorted(k for k in st.list_prefix(self.store, self.prefix)
                      if k.rsplit("/", 1)[-1].startswith("done-"))
        for k in keys:
            data = st.get_bytes(self.store, k) or b""
            for line in data.decode().splitlines():
                parts = line.strip().split("/")
                if len(parts) == 6:
                    level, t, c, z, row, col = (int(p) for p in parts)
                    self.done.add((level, t, c, z, row, col))
        if len(keys) > 1:
            self._write_segment(sorted(self.done), name="done-0-compact-" + self._session)
            for k in keys:
                st.delete_key(self.store, k)
        return self.done

    # -- writing --------------------------------------------------------------------
    def start(self, plan_json: dict[str, Any]) -> None:
        st.set_json(self.store, self.prefix + "plan.json", plan_json)

    def add(self, key: Key) -> None:
        with self._lock:
            self.done.add(key)
            self._pending.append(key)
            due = self.interval <= 0 or time.monotonic() - self._last_flush >= self.interval
        if due:
            self.flush()

    def flush(self) -> None:
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, []
                self._last_flush = time.monotonic()
            if batch:
                self._seq += 1
                name = f"done-{time.time_ns():020d}-{self._session}-{self._seq:06d}"
                self._write_segment(batch, name=name)

    def _write_segment(self, keys: Iterable[Key], name: str) -> None:
        text = "".join("/".join(str(v) for v in k) + "\n" for k in keys)
        st.set_bytes(self.store, self.prefix + name + ".txt", text.encode())

    def remove(self) -> None:
        st.delete_prefix(self.store, self.prefix)
