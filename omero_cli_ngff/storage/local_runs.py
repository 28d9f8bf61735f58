"""What a host keeps about its own runs, locally: never in a destination.

Claims and other bookkeeping objects in a destination name a run by an opaque id
only (no host name, user name, pid or path: the public URL serves them to anyone).
A host recognises its own runs through a folder per run under
``<TMPDIR>/omero-ngff-runs/<run id>/``: ``process.json`` (host name, pid, the
process' start time) and ``spool/`` (the shards being spooled before upload).

Each run, on starting, looks at the folders of the runs of this host: a run whose
process is gone (kill -9, a crash) has its spool removed, and stays known as dead
(its ``process.json`` is kept a day, as a tombstone) so that its claims are taken
over at once instead of when they grow stale. ``OMERO_NGFF_HOST`` overrides the host
name (tests run "another host" on one machine).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import time
import uuid

__all__ = ["HOST_ENV", "host_name", "LocalRun", "runs_root", "process_alive"]

HOST_ENV = "OMERO_NGFF_HOST"
RUNS_DIR = "omero-ngff-runs"
PROCESS_FILE = "process.json"
SPOOL_DIR = "spool"
TOMBSTONE_DAYS = 1.0


def host_name() -> str:
    """This host's name as runs record it locally (``OMERO_NGFF_HOST`` overrides)."""
    return os.environ.get(HOST_ENV) or socket.gethostname()


def runs_root() -> str:
    """The folder holding the local folders of runs (under TMPDIR)."""
    return os.path.join(tempfile.gettempdir(), RUNS_DIR)


def _start_ticks(pid: int) -> str | None:
    """When a process started (Linux: field 22 of /proc/PID/stat), to tell a pid that
    was reused by another process; None where that is not known."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode(errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int, started: str | None = None) -> bool:
    """Is the process (of this host) still running, and the same process?"""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if started is None:
        return True
    now = _start_ticks(pid)
    return now is None or now == started


class LocalRun:
    """This process' run: its id, its local folder, and what it found of dead runs."""

    def __init__(self, run_id: str | None = None, root: str | None = None) -> None:
        self.run_id = run_id or uuid.uuid4().hex
        self.root = root or runs_root()
        self.host = host_name()
        self.pid = os.getpid()
        self.folder = os.path.join(self.root, self.run_id)
        self.dead: set[str] = set()            # run ids of this host found dead
        self.cleaned_bytes = 0                 # spool bytes of dead runs removed

    @property
    def spool_dir(self) -> str:
        return os.path.join(self.folder, SPOOL_DIR)

    def start(self) -> LocalRun:
        """Record this process, then clean up after the dead runs of this host."""
        os.makedirs(self.spool_dir, exist_ok=True)
        info = {"host": self.host, "pid": self.pid, "started": _start_ticks(self.pid),
                "time": time.time()}
        with open(os.path.join(self.folder, PROCESS_FILE), "w") as fh:
            json.dump(info, fh)
        self.clean_dead()
        return self

    def finish(self) -> None:
        """Remove this run's folder (its spool is empty by now)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def is_dead(self, run_id: str) -> bool:
        """A run of this host whose process is gone (False when it is not known here:
        another host's, or gone from TMPDIR)."""
        if run_id in self.dead:
            return True
        info = _read_process(os.path.join(self.root, run_id))
        return info is not None and self._is_dead(info)

    def clean_dead(self) -> None:
        """Remove the spool of every dead run of this host; forget old tombstones."""
        try:
            names = os.listdir(self.root)
        except OSError:
            return
        for name in names:
            folder = os.path.join(self.root, name)
            if name == self.run_id:
                continue
            info = _read_process(folder)
            if info is None or not self._is_dead(info):
                continue
            self.dead.add(name)
            self.cleaned_bytes += _remove_spool(folder)
            when = info.get("time")
            age = time.time() - (when if isinstance(when, (int, float)) else 0.0)
            if age > TOMBSTONE_DAYS * 86400:
                shutil.rmtree(folder, ignore_errors=True)

    def _is_dead(self, info: dict[str, object]) -> bool:
        if info.get("host") != self.host:
            return False                       # another host's: its pid means nothing here
        pid = info.get("pid")
        started = info.get("started")
        return isinstance(pid, int) and not process_alive(
            pid, started if isinstance(started, str) else None)


def _read_process(folder: str) -> dict[str, object] | None:
    try:
        with open(os.path.join(folder, PROCESS_FILE)) as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _remove_spool(folder: str) -> int:
    spool = os.path.join(folder, SPOOL_DIR)
    size = 0
    for dirpath, _, files in os.walk(spool):
        for name in files:
            with contextlib.suppress(OSError):
                size += os.path.getsize(os.path.join(dirpath, name))
    shutil.rmtree(spool, ignore_errors=True)
    return size
