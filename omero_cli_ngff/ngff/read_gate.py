"""The gate every source read of an adaptive write passes: at most ``controller.limit``
reads at once, each one timed and reported to the controller (``concurrency``).

Places go in the order of the reads' ``order`` (the schedule's: shard by shard, Z-order
inside a plane), not to whichever waiting thread the OS runs first: the pyramid's partial
chunks stay few, and an image's last reads go biggest first (a plane's first chunk is
its biggest; served last, it kept every other decode slot idle while it was read).

A source that retries failed reads itself may count them in an integer attribute
``retries`` (``OmeroTileSource`` does): a read during which it grew is reported as an
error, so the controller backs off when the server fails, not only when it slows.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .concurrency import ConcurrencyController


class ReadGate:
    def __init__(self, controller: ConcurrencyController,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.controller = controller
        self.clock = clock
        self.in_flight = 0
        self._lock = threading.Lock()
        # (order, arrival, the waiter's own condition): the least is served first
        self._waiting: list[tuple[int, int, threading.Condition]] = []
        self._arrivals = itertools.count()

    def _acquire(self, order: int) -> None:
        with self._lock:
            if self.in_flight >= self.controller.limit:
                self.controller.waited()
            elif not self._waiting:
                self.in_flight += 1
                return
            entry = (order, next(self._arrivals), threading.Condition(self._lock))
            heapq.heappush(self._waiting, entry)
            while self._waiting[0] is not entry or self.in_flight >= self.controller.limit:
                entry[2].wait(0.25)             # (woken when it is its turn)
            heapq.heappop(self._waiting)
            self.in_flight += 1
            self._wake_next()

    def _wake_next(self) -> None:
        """Wake the first waiting read if a place is free (one waiter only: with 32
        readers waiting on a 4-core server, waking every one at each read cost more CPU
        than the reads, measured 5.3 vs 3.5 CPU s). Called with the lock held."""
        if self._waiting and self.in_flight < self.controller.limit:
            self._waiting[0][2].notify()

    @contextmanager
    def read(self, pixels: int, source: Any = None, order: int = 0) -> Iterator[None]:
        """Hold one of the limit's places for a read of ``pixels`` from ``source``; waiting
        reads are served least ``order`` first (then first come)."""
        self._acquire(order)
        retries = getattr(source, "retries", 0)
        t0 = self.clock()
        failed = True
        try:
            yield
            failed = False
        finally:
            now = self.clock()
            error = failed or getattr(source, "retries", 0) != retries
            with self._lock:
                self.in_flight -= 1
                self.controller.observe(now, now - t0, pixels, error)
                self._wake_next()           # (each woken read wakes the next in turn)
