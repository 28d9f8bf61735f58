"""The read gate (ngff/read_gate.py): places in the order of the schedule, each read
reported to the controller."""

from __future__ import annotations

import threading
import time

from omero_cli_ngff.ngff.concurrency import ConcurrencyController
from omero_cli_ngff.ngff.read_gate import ReadGate


def _wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def _reader(gate: ReadGate, order: int, served: list[int], hold: threading.Event):
    def run() -> None:
        with gate.read(1, order=order):
            served.append(order)
            hold.wait(5)
    return threading.Thread(target=run)


def test_waiting_reads_are_served_least_order_first_whoever_came_first():
    gate = ReadGate(ConcurrencyController(maximum=1, start=1))
    served: list[int] = []
    hold = threading.Event()
    first = _reader(gate, 0, served, hold)
    first.start()
    _wait_for(lambda: served == [0])
    late = [_reader(gate, order, served, hold) for order in (7, 3, 9, 1)]
    for arrived, t in enumerate(late, 1):     # they arrive 7, 3, 9, 1
        t.start()
        _wait_for(lambda n=arrived: len(gate._waiting) == n)
    hold.set()
    for t in [first, *late]:
        t.join(5)
    assert served == [0, 1, 3, 7, 9]
    assert gate.in_flight == 0 and not gate._waiting


def test_a_limit_that_grows_lets_the_next_waiting_reads_in_at_once():
    controller = ConcurrencyController(maximum=8, start=1)
    gate = ReadGate(controller)
    served: list[int] = []
    hold = threading.Event()
    first = _reader(gate, 0, served, hold)
    first.start()
    _wait_for(lambda: served == [0])
    late = [_reader(gate, order, served, hold) for order in (1, 2, 3)]
    for t in late:
        t.start()
    _wait_for(lambda: len(gate._waiting) == 3)
    with gate._lock:
        controller.limit = 4
        gate._wake_next()                # each read let in wakes the next one
    _wait_for(lambda: len(served) == 4, seconds=0.2)   # well before the 0.25-s re-check
    hold.set()
    for t in [first, *late]:
        t.join(5)
    assert sorted(served) == [0, 1, 2, 3]
