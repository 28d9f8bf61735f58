"""Claims on every backend (mixed into the backends' conformance classes, whose
``make`` fixture gives destinations at one place, one object per run)."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from omero_cli_ngff.storage import Destination, Versioned
from omero_cli_ngff.storage.claims import CLAIMS_DIR, Claims, Holder
from omero_cli_ngff.storage.local_runs import LocalRun

from .conformance import race

Make = Callable[..., Destination]


def slow_reads(dest: Destination) -> Destination:
    """``dest`` pausing after each versioned read: racing runs then both judge the
    stale claim before either acts, and only the conditional write can decide."""
    read = dest.read_versioned

    def read_then_pause(relpath: str) -> Versioned | None:
        got = read(relpath)
        time.sleep(0.05)
        return got

    dest.read_versioned = read_then_pause          # type: ignore[method-assign]
    return dest


def holder_of(dest: Destination, key: int) -> Holder | None:
    return Holder.parse(dest.read_bytes(f"{CLAIMS_DIR}/{key}"))


def dead_run(root: str, dead_pid: int, host: str | None = None) -> LocalRun:
    """A run of this host (or of ``host``) whose process is gone, as its folder says."""
    run = LocalRun(root=root).start()
    with open(f"{run.folder}/process.json") as fh:
        info = json.load(fh)
    info.update(pid=dead_pid, started=None, host=host or info["host"])
    with open(f"{run.folder}/process.json", "w") as fh:
        json.dump(info, fh)
    return run


class ClaimsTests:

    def test_claims_are_exclusive_between_runs(self, make: Make) -> None:
        a, b = Claims(make()), Claims(make())
        assert a.acquire(1) is None and a.held() == ["1"]
        holder = b.acquire(1)
        assert holder is not None and holder.run == a.me.run
        assert "started" in holder.describe() and b.held() == []
        a.release(1)
        assert b.acquire(1) is None
        b.release_all()
        assert make().list_names(CLAIMS_DIR) == []

    def test_a_claim_of_a_dead_local_process_is_taken_over(self, make: Make, dead_pid: int,
                                                          tmp_path: Any) -> None:
        dead = Claims(make(), heartbeat=0, local=dead_run(str(tmp_path), dead_pid))
        assert dead.acquire(2) is None
        alive = Claims(make(), local=LocalRun(root=str(tmp_path)).start())
        assert alive.acquire(2) is None
        assert alive.taken_over["2"].run == dead.me.run        # reported by the caller
        current = holder_of(make(), 2)
        assert current is not None and current.run == alive.me.run
        data = (make().read_bytes(f"{CLAIMS_DIR}/2") or b"").decode()
        assert set(json.loads(data)) == {"run", "started", "heartbeat", "command"}
        assert str(os.getpid()) not in data and socket.gethostname() not in data
        dead.release_all()                   # its claim is gone: it removes nothing
        current = holder_of(make(), 2)
        assert current is not None and current.run == alive.me.run
        alive.release_all()
        assert make().list_names(CLAIMS_DIR) == []

    def test_claims_older_than_stale_after_are_taken_over(self, make: Make) -> None:
        old = Claims(make(), stale_after=0.0, heartbeat=0)
        assert old.acquire(3) is None
        assert Claims(make(), stale_after=3600.0).acquire(3).run == old.me.run
        new = Claims(make(), stale_after=0.0)
        assert new.acquire(3) is None
        assert new.taken_over["3"].run == old.me.run
        current = holder_of(make(), 3)
        assert current is not None and current.run == new.me.run
        new.release_all()

    def test_a_claim_of_another_host_is_not_judged_by_its_pid(self, make: Make,
                                                              dead_pid: int,
                                                              tmp_path: Any) -> None:
        other = Claims(make(), heartbeat=0,
                       local=dead_run(str(tmp_path), dead_pid, host="elsewhere"))
        assert other.acquire(4) is None
        holder = Claims(make(), local=LocalRun(root=str(tmp_path)).start()).acquire(4)
        assert holder is not None and holder.run == other.me.run
        other.release_all()

    def test_exactly_one_of_two_racing_runs_takes_over(self, make: Make) -> None:
        for key in range(10, 16):
            stale = Claims(make(), heartbeat=0, stale_after=0.5)
            assert stale.acquire(key) is None
            stale.me.heartbeat = stale.me.started = time.time() - 60
            stale._refresh(str(key))                # a run that stopped a minute ago
            runs = [Claims(slow_reads(make()), heartbeat=0, stale_after=0.5)
                    for _ in range(2)]
            got = race(2, lambda i, runs=runs, key=key: runs[i].acquire(key))
            assert got.count(None) == 1, got
            winner, loser = (0, 1) if got[0] is None else (1, 0)
            assert got[loser].run == runs[winner].me.run
            current = holder_of(make(), key)
            assert current is not None and current.run == runs[winner].me.run
            runs[winner].release_all()
            runs[loser].release_all()
        assert make().list_names(CLAIMS_DIR) == []

    def test_the_heartbeat_refreshes_the_claim(self, make: Make) -> None:
        a = Claims(make(), heartbeat=0.05)
        assert a.acquire(6) is None
        first = holder_of(make(), 6)
        assert first is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            now = holder_of(make(), 6)
            if now is not None and now.heartbeat > first.heartbeat:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the claim was never refreshed")
        a.release_all()                      # with the version of the last refresh
        assert make().list_names(CLAIMS_DIR) == []
