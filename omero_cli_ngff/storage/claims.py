"""Per-image claims in the destination, so that overlapping publishes never write the
same image at once.

A claim is a small JSON object at ``<prefix>/.omero-ngff/claims/[<scope>/]<key>``
(the scope: the OMERO server's database UUID), made with the destination's exclusive
create (of racing runs exactly one creates it). Taking over a stale claim is a
conditional replace of exactly the version judged stale, so of two runs taking over
the same stale claim only one wins; heartbeats are conditional replaces of our own
version, and the release a conditional delete of it. How each backend makes these
atomic is its own affair (GCS generations, renames in folders, a lock in memory): see
`Destination.create_exclusive`.

A claim records only an opaque run id and times: it is public like the data, so no
host name, user name, pid or path is written (a host recognises its own runs through
what it keeps locally: `local_runs`). A claim is *stale* when its heartbeat is older
than ``stale_after`` seconds (default 5 minutes; holders refresh it every
``heartbeat`` seconds, default 60), or at once when it is a run of this host whose
process is gone (kill -9). A stale claim may be taken over by any host, and the
takeover is remembered (`taken_over`) for the caller to report. Both times can be
overridden with OMERO_NGFF_CLAIM_STALE_AFTER and OMERO_NGFF_CLAIM_HEARTBEAT (seconds).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass, fields

from .base import Destination
from .errors import DestinationError
from .local_runs import LocalRun

__all__ = ["Claims", "Holder", "CLAIMS_DIR", "STALE_AFTER", "HEARTBEAT", "STALE_ENV",
           "HEARTBEAT_ENV", "claim_times"]

CLAIMS_DIR = ".omero-ngff/claims"
STALE_AFTER = 300.0
HEARTBEAT = 60.0
STALE_ENV = "OMERO_NGFF_CLAIM_STALE_AFTER"
HEARTBEAT_ENV = "OMERO_NGFF_CLAIM_HEARTBEAT"
_TRIES = 3


def _seconds(name: str) -> float | None:
    text = os.environ.get(name, "").strip()
    try:
        return float(text) if text else None
    except ValueError:
        return None


def claim_times(stale_after: float | None = None,
                heartbeat: float | None = None) -> tuple[float, float]:
    """(stale_after, heartbeat): the arguments, else the environment, else 300 and 60
    s; a heartbeat never slower than a fifth of stale_after."""
    stale = stale_after if stale_after is not None else _seconds(STALE_ENV)
    stale = STALE_AFTER if stale is None else stale
    beat = heartbeat if heartbeat is not None else _seconds(HEARTBEAT_ENV)
    if beat is None:
        beat = min(HEARTBEAT, stale / 5) if stale > 0 else HEARTBEAT
    return stale, beat


@dataclass
class Holder:
    """What a claim says about the run holding it: an opaque run id and times."""

    run: str = ""
    started: float = 0.0
    heartbeat: float = 0.0
    command: str = "publish"

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started or 0))
        beat = max(0.0, time.time() - max(self.heartbeat, self.started))
        return f"run {self.run[:8]} (started {when}, last heartbeat {beat:.0f} s ago)"

    @classmethod
    def parse(cls, data: bytes | None) -> Holder | None:
        try:
            doc = json.loads(data or b"")
            return cls(**{f.name: doc[f.name] for f in fields(cls) if f.name in doc})
        except (ValueError, TypeError):
            return None


class Claims:
    """The claims of one run on one destination."""

    def __init__(self, dest: Destination, stale_after: float | None = None,
                 heartbeat: float | None = None, command: str = "publish",
                 local: LocalRun | None = None, scope: str = "") -> None:
        self.dest = dest
        self.stale_after, self.heartbeat_every = claim_times(stale_after, heartbeat)
        self.local = local
        self.scope = scope
        run = local.run_id if local is not None else uuid.uuid4().hex
        self.me = Holder(run=run, started=time.time(), heartbeat=time.time(),
                         command=command)
        self.taken_over: dict[str, Holder] = {}   # key -> the stale holder replaced
        self._held: dict[str, str] = {}           # key -> version of our claim
        self._lock = threading.Lock()             # _held, and our claims' writes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- public ---------------------------------------------------------------------------

    def relpath(self, key: object) -> str:
        return f"{CLAIMS_DIR}/{self.scope}/{key}" if self.scope else f"{CLAIMS_DIR}/{key}"

    def acquire(self, key: object) -> Holder | None:
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
            self._take_over(name, current.version, holder or Holder(run="unknown"))
        current = self.dest.read_versioned(rel)
        return (Holder.parse(current.data) if current else None) or Holder(run="unknown")

    def release(self, key: object) -> None:
        name = str(key)
        with self._lock:
            version = self._held.pop(name, None)
            if version is None:
                return
            # failing here is no harm: stale after a while, then taken over
            with contextlib.suppress(DestinationError, OSError):
                self.dest.delete_if(self.relpath(name), version)

    def release_all(self) -> None:
        self._stop.set()
        for key in list(self._held):
            self.release(key)

    def held(self) -> list[str]:
        return list(self._held)

    def is_stale(self, holder: Holder | None, version: str | None = None) -> bool:
        if holder is None:           # not a claim any run writes (always whole JSON)
            return True
        if time.time() - max(holder.heartbeat, holder.started) > self.stale_after:
            return True
        return self.local is not None and self.local.is_dead(holder.run)

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
                with contextlib.suppress(Exception):   # a refresh failing is not fatal
                    self._refresh(key)

    # -- storage --------------------------------------------------------------------------

    def _payload(self) -> bytes:
        return json.dumps(asdict(self.me), sort_keys=True).encode()

    def _hold(self, key: str, version: str) -> None:
        with self._lock:
            self._held.setdefault(key, version)
        self._start_heartbeat()

    def _take_over(self, key: str, version: str, stale: Holder) -> None:
        """Replace exactly the claim judged stale (``version``) by ours."""
        new = self.dest.replace_if(self.relpath(key), self._payload(), version)
        if new is not None:
            with self._lock:
                self._held[key] = new
                self.taken_over[key] = stale

    def _refresh(self, key: str) -> None:
        """Rewrite our claim with the current heartbeat, if it is still ours."""
        with self._lock:
            version = self._held.get(key)
            if version is None:
                return
            new = self.dest.replace_if(self.relpath(key), self._payload(), version)
            if new is not None:
                self._held[key] = new
