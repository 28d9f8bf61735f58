"""Claims on every backend (mixed into the backends' conformance classes, whose
``make`` fixture gives destinations at one place, one object per run)."""

from __future__ import annotations

import json
import time
from typing import Callable, Optional

import pytest

from omero_cli_ngff.storage import Destination, Versioned
from omero_cli_ngff.storage.claims import CLAIMS_DIR, Claims, Holder

from .conformance import race

Make = Callable[..., Destination]


def slow_reads(dest: Destination) -> Destination:
    """``dest`` pausing after each versioned read: racing runs then both judge the
    stale claim before either acts, and only the conditional write can decide."""
    read = dest.read_versioned

    def read_then_pause(relpath: str) -> Optional[Versioned]:
        got = read(relpath)
        time.sleep(0.05)
        return got

    dest.read_versioned = read_then_pause          # type: ignore[method-assign]
    return dest


def holder_of(dest: Destination, key: int) -> Optional[Holder]:
    return Holder.parse(dest.read_bytes(f"{CLAIMS_DIR}/{key}"))


class ClaimsTests:

    def test_claims_are_exclusive_between_runs(self, make: Make) -> None:
        a, b = Claims(make()), Claims(make())
        assert a.acquire(1) is None and a.held() == ["1"]
        holder = b.acquire(1)
        assert holder is not None and holder.run == a.me.run
        assert "pid" in holder.describe() and b.held() == []
        a.release(1)
        assert b.acquire(1) is None
        b.release_all()
        assert make().list_names(CLAIMS_DIR) == []

    def test_a_claim_of_a_dead_local_process_is_taken_over(self, make: Make,
                                                          dead_pid: int) -> None:
        dead = Claims(make(), heartbeat=0)
        dead.me.pid = dead_pid
        assert dead.acquire(2) is None
        alive = Claims(make())
        assert alive.acquire(2) is None
        current = holder_of(make(), 2)
        assert current is not None and current.run == alive.me.run
        data = make().read_bytes(f"{CLAIMS_DIR}/2") or b""
        assert "password" not in data.decode() and json.loads(data)["pid"] == alive.me.pid
        dead.release_all()                   # its claim is gone: it removes nothing
        current = holder_of(make(), 2)
        assert current is not None and current.run == alive.me.run
        alive.release_all()
        assert make().list_names(CLAIMS_DIR) == []

    def test_claims_older_than_stale_after_are_taken_over(self, make: Make) -> None:
        old = Claims(make(), stale_after=0.0, heartbeat=0)
        old.me.host = "elsewhere"                   # its pid cannot be checked
        assert old.acquire(3) is None
        assert Claims(make(), stale_after=3600.0).acquire(3).run == old.me.run
        new = Claims(make(), stale_after=0.0)
        assert new.acquire(3) is None
        current = holder_of(make(), 3)
        assert current is not None and current.run == new.me.run
        new.release_all()

    def test_a_claim_of_another_host_is_not_judged_by_its_pid(self, make: Make,
                                                              dead_pid: int) -> None:
        other = Claims(make(), heartbeat=0)
        other.me.host, other.me.pid = "elsewhere", dead_pid
        assert other.acquire(4) is None
        holder = Claims(make()).acquire(4)
        assert holder is not None and holder.run == other.me.run
        other.release_all()

    def test_exactly_one_of_two_racing_runs_takes_over(self, make: Make,
                                                      dead_pid: int) -> None:
        for key in range(10, 16):
            stale = Claims(make(), heartbeat=0)
            stale.me.pid = dead_pid
            assert stale.acquire(key) is None
            runs = [Claims(slow_reads(make()), heartbeat=0) for _ in range(2)]
            got = race(2, lambda i: runs[i].acquire(key))
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
