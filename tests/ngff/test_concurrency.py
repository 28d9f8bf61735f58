"""The adaptive read controller against a simulated server with N decode slots."""

from __future__ import annotations

import heapq
from collections import deque

from omero_cli_ngff.ngff.concurrency import ConcurrencyController, Interval


def simulate(ctrl: ConcurrencyController, cores, cost, until: float,
             fails=lambda t: False):
    """Readers that always have work, a server of ``cores(t)`` slots where a read costs
    ``cost(t)`` seconds; returns the completion times and the limits seen (t, limit)."""
    now, queue, running, in_flight = 0.0, deque(), [], 0
    done, limits = [], []
    while now < until:
        while in_flight < ctrl.limit:
            queue.append(now)
            in_flight += 1
        ctrl.waited()
        while queue and len(running) < cores(now):
            start = queue.popleft()
            heapq.heappush(running, (now + cost(now), start))
        now, start = heapq.heappop(running)
        in_flight -= 1
        ctrl.observe(now, now - start, 65536, error=fails(now))
        done.append(now)
        limits.append((now, ctrl.limit))
    return done, limits


def rate(done, t0, t1):
    return sum(1 for t in done if t0 <= t < t1) / (t1 - t0)


def test_settles_at_the_servers_cores_with_a_short_queue():
    ctrl = ConcurrencyController(maximum=32)
    done, limits = simulate(ctrl, lambda t: 4, lambda t: 0.05, 20.0)
    assert rate(done, 5, 20) >= 0.95 * 4 / 0.05
    assert all(4 <= limit <= 10 for t, limit in limits if t > 5)


def test_follows_the_cores_up_and_down_within_seconds():
    ctrl = ConcurrencyController(maximum=32)
    cores = lambda t: 16 if 10 <= t < 30 else 4            # noqa: E731
    done, limits = simulate(ctrl, cores, lambda t: 0.047, 50.0)
    assert rate(done, 15, 30) >= 0.9 * 16 / 0.047
    assert rate(done, 35, 50) >= 0.9 * 4 / 0.047
    assert max(limit for t, limit in limits if t > 40) <= 10


def test_never_beyond_its_maximum():
    ctrl = ConcurrencyController(maximum=6)
    _, limits = simulate(ctrl, lambda t: 64, lambda t: 0.05, 10.0)
    assert max(limit for _, limit in limits) == 6


def test_a_slower_source_is_not_taken_for_a_queue():
    """The cost doubles for good at t = 10: the limit must stay near the cores."""
    ctrl = ConcurrencyController(maximum=32)
    cost = lambda t: 0.05 if t < 10 else 0.1               # noqa: E731
    done, limits = simulate(ctrl, lambda t: 8, cost, 30.0)
    assert rate(done, 15, 30) >= 0.9 * 8 / 0.1
    assert min(limit for t, limit in limits if t > 15) >= 8


def test_errors_halve_the_limit():
    ctrl = ConcurrencyController(maximum=32, start=16)
    assert ctrl.next_limit(Interval(reads=10, errors=1, inflation_sum=10.0, busy=True)) == 8
    ctrl.limit = 1
    assert ctrl.next_limit(Interval(reads=0, errors=3)) == 1


def test_grows_only_when_the_limit_held_reads_back():
    ctrl = ConcurrencyController(maximum=32, start=4)
    idle = Interval(reads=10, inflation_sum=10.0, busy=False)
    assert ctrl.next_limit(idle) == 4
    assert ctrl.next_limit(Interval(reads=10, inflation_sum=10.0, busy=True)) == 5


def test_a_server_that_fails_keeps_the_limit_low():
    ctrl = ConcurrencyController(maximum=32)
    _, limits = simulate(ctrl, lambda t: 16, lambda t: 0.05, 10.0,
                         fails=lambda t: 5 < t < 6)
    assert min(limit for t, limit in limits if 5.5 < t < 6) <= 2


def test_slow_start_reaches_a_big_servers_cores_within_a_few_round_trips():
    """Per read, not per interval: a short export must not spend its time ramping up."""
    ctrl = ConcurrencyController(maximum=32, start=8)
    done, limits = simulate(ctrl, lambda t: 16, lambda t: 0.047, 2.0)
    assert min(t for t, limit in limits if limit >= 16) < 0.15     # 0.25 s: one interval
    assert rate(done, 0.2, 2.0) >= 0.95 * 16 / 0.047


def test_slow_start_ends_at_the_first_queue():
    ctrl = ConcurrencyController(maximum=32, start=8)
    _, limits = simulate(ctrl, lambda t: 4, lambda t: 0.047, 0.3)
    assert max(limit for _, limit in limits) <= 16


def test_a_decrease_is_judged_by_the_reads_issued_after_it():
    """Slow start overshoots a 16-core server to 32; the reads still queued behind the
    old limit must not cut the limit again below the cores (it was 32 -> 19 -> 15)."""
    ctrl = ConcurrencyController(maximum=32, start=8)
    _, limits = simulate(ctrl, lambda t: 16, lambda t: 0.05, 3.0)
    peak = min(t for t, limit in limits if limit == 32)
    assert min(limit for t, limit in limits if t > peak) >= 16
