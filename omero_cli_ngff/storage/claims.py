"""Per-image claims in the destination, so that overlapping publishes never write the
same image at once.

A claim is a small JSON object at ``<prefix>/.omero-ngff/claims/<key>``, made with the
destination's exclusive create (of racing runs exactly one creates it). Taking over a
stale claim is a conditional replace of exactly the version judged stale, so of two
runs taking over the same stale claim only one wins; heartbeats are conditional
replaces of our own version, and the release a conditional delete of it. How each
backend makes these atomic is its own affair (GCS generations, renames in folders, a
lock in memory): see `Destination.create_exclusive`.

A claim records its run (a random token), host, pid and times. It is *stale* when its
heartbeat is older than ``stale_after`` seconds (holders refresh it every
``heartbeat`` seconds while they work), or when it was made on this host by a process
that no longer exists (kill -9). Claims are released at the end; a claim we cannot
read or parse is treated as held, except when older than ``stale_after``.
No credentials or session keys are written into claims.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass, fields
from typing import Optional

from .base import Destination
from .errors import DestinationError

__all__ = ["Claims", "Holder", "CLAIMS_DIR", "STALE_AFTER", "HEARTBEAT"]

CLAIMS_DIR = ".omero-ngff/claims"
STALE_AFTER = 3 * 3600.0
HEARTBEAT = 600.0
_TRIES = 3


@dataclass
class Holder:
    """What a claim says about the run holding it."""

    run: str = ""
    host: str = ""
    pid: int = 0
    started: float = 0.0
    heartbeat: float = 0.0
    command: str = "publish"

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started or 0))
        return f"run {self.run[:8]} (pid {self.pid} on {self.host}, since {when})"

    @classmethod
    def parse(cls, data: Optional[bytes]) -> Optional[Holder]:
        try:
            doc = json.loads(data or b"")
            return cls(**{f.name: doc[f.name] for f in fields(cls) if f.name in doc})
        except (ValueError, TypeError):
            return None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Claims:
    """The claims of one run on one destination."""

    def __init__(self, dest: Destination, stale_after: float = STALE_AFTER,
                 heartbeat: float = HEARTBEAT, command: str = "publish") -> None:
        self.dest = dest
        self.stale_after = stale_after
        self.heartbeat_every = heartbeat
        self.me = Holder(run=uuid.uuid4().hex, host=socket.gethostname(), pid=os.getpid(),
                         started=time.time(), heartbeat=time.time(), command=command)
        self._held: dict[str, str] = {}           # key -> version of our claim
        self._lock = threading.Lock()             # _held, and our claims' writes
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # -- public ---------------------------------------------------------------------------

    def relpath(self, key: object) -> str:
        return f"{CLAIMS_DIR}/{key}"

    def acquire(self, key: object) -> Optional[Holder]:
        """Claim `key`: None when we hold it now, else the live holder (skip the image)."""
        name = str(key)
        rel = self.relpath(name)
        for _ in range(_TRIES):
            if name in self._held:                # taken over just now
                self._start_heartbeat()
                return None
            version = self.dest.create_exclusive(rel, self._payload())
            if version is not None:
                self._hold(name, version)
                return None
            current = self.dest.read_versioned(rel)
            if current is None:                   # released meanwhile: try again
                continue
            holder = Holder.parse(current.data)
            if holder is not None and holder.run == self.me.run:
                self._hold(name, current.version)   # our own create, retried by the client
                return None
            if not self.is_stale(holder, current.version):
                return holder or Holder(run="unknown")
            self._take_over(name, current.version)
        current = self.dest.read_versioned(rel)
        return (Holder.parse(current.data) if current else None) or Holder(run="unknown")

    def release(self, key: object) -> None:
        name = str(key)
        with self._lock:
            version = self._held.pop(name, None)
            if version is None:
                return
            try:
                self.dest.delete_if(self.relpath(name), version)
            except (DestinationError, OSError):
                pass                              # stale after a while: taken over

    def release_all(self) -> None:
        self._stop.set()
        for key in list(self._held):
            self.release(key)

    def held(self) -> list[str]:
        return list(self._held)

    def is_stale(self, holder: Optional[Holder], version: Optional[str] = None) -> bool:
        if holder is None:                        # unreadable: judge by the object's age
            age = self._age(version)
            return age is not None and age > self.stale_after
        if time.time() - max(holder.heartbeat, holder.started) > self.stale_after:
            return True
        return holder.host == self.me.host and not _pid_alive(holder.pid)

    # -- heartbeat --------------------------------------------------------------------------

    def _start_heartbeat(self) -> None:
        if self._thread is None and self.heartbeat_every > 0:
            self._thread = threading.Thread(target=self._beat, daemon=True,
                                            name="omero-ngff-claims")
            self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_every):
            self.me.heartbeat = time.time()
            for key in list(self._held):
                try:
                    self._refresh(key)
                except Exception:                 # a refresh failing is not fatal
                    pass

    # -- storage --------------------------------------------------------------------------

    def _payload(self) -> bytes:
        return json.dumps(asdict(self.me), sort_keys=True).encode()

    def _hold(self, key: str, version: str) -> None:
        with self._lock:
            self._held.setdefault(key, version)
        self._start_heartbeat()

    def _age(self, version: Optional[str]) -> Optional[float]:
        return None   # unparseable claims: only a manual cleanup (rare: we write JSON)

    def _take_over(self, key: str, version: str) -> None:
        """Replace exactly the claim judged stale (``version``) by ours."""
        new = self.dest.replace_if(self.relpath(key), self._payload(), version)
        if new is not None:
            with self._lock:
                self._held[key] = new

    def _refresh(self, key: str) -> None:
        """Rewrite our claim with the current heartbeat, if it is still ours."""
        with self._lock:
            version = self._held.get(key)
            if version is None:
                return
            new = self.dest.replace_if(self.relpath(key), self._payload(), version)
            if new is not None:
                self._held[key] = new
