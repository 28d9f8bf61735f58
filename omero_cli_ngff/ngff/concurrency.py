"""How many reads to keep in flight: a controller that finds the source's capacity.

Pure (no threads, no clock of its own): the caller reports each finished read with
``observe(now, latency, pixels, error)`` and reads ``limit``. Every ``interval`` seconds
the controller looks at the reads of that interval:

- a read failed (even one the source retried): multiplicative decrease (``limit / 2``);
- else the reads' *inflation* (latency over the least latency seen for reads of the
  same size) says how many of them queued at the source (TCP Vegas' estimate):
  ``queued = in_flight * (1 - 1 / inflation)``. Above ``beta`` the source is saturated:
  the limit drops to what the source served without queueing (``in_flight /
  inflation``) plus ``alpha``. Below ``alpha``, and only if the limit was reached during
  the interval (reads were waiting for it: more would have been issued), the limit grows
  by one (additive increase). In between it holds.

Slow start (until the first sign of a queue or an error): each read that finishes
without queueing (latency under ``SLOW_START_INFLATION`` x the least) while reads wait
for the limit raises it by one at once, so the limit doubles every round trip (TCP's
slow start, per acknowledgement) instead of once per interval: a short export reaches
a big server's cores within a few round trips. A read slower than ``QUEUE_INFLATION``
x the least ends the slow start; the intervals' Vegas estimate then takes over.

A server with N decode slots therefore settles at about N + alpha..beta reads in
flight: all its cores busy, a short queue. When it gains cores the queue empties and the
limit climbs one step per interval; when it loses them latency jumps and the limit falls
at once. A decrease is judged by the reads issued after it (those in flight before it
queued behind the old limit). If it leaves the reads as slow as before, or much slower
than the new limit's queue would make them, the source became slower (it was no
queue): the controller takes the new latency as the least and restores the limit.
The least latency per size also forgets slowly (``drift`` per interval).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SLOW_START_INFLATION = 1.5      # a read this close to the least latency did not queue
QUEUE_INFLATION = 2.0           # a read this much slower queued: slow start is over
SLOWER_INFLATION = 1.25         # after a decrease, reads this much slower than a queue of
                                # the new limit would make them: the source became slower


@dataclass
class Interval:
    """What the reads finished in one interval looked like."""

    reads: int = 0
    pixels: int = 0
    errors: int = 0
    inflation_sum: float = 0.0
    busy: bool = False              # the limit was reached (reads waited for a slot)


@dataclass
class ConcurrencyController:
    maximum: int
    start: int = 4
    minimum: int = 1
    interval: float = 0.25
    drift: float = 0.01
    limit: int = 0
    history: list[tuple[float, int, float]] = field(default_factory=list)  # t, limit, px/s

    def __post_init__(self) -> None:
        self.maximum = max(self.minimum, self.maximum)
        self.limit = min(self.maximum, max(self.minimum, self.start))
        self._base: dict[int, float] = {}       # least latency per read size (pixels)
        self._count: dict[int, int] = {}        # reads seen per size
        self._now = Interval()
        self._since: float | None = None
        self._decreased_from: tuple[int, float, float] | None = None
        # (limit, inflation before, inflation expected after if it was a queue)
        self._slow_start = True
        self._decided_at = float("-inf")   # reads started before it belong to the old limit

    # -- what callers report ---------------------------------------------------------
    def waited(self) -> None:
        """A read had to wait because ``limit`` reads were in flight."""
        self._now.busy = True

    def observe(self, now: float, latency: float, pixels: int, error: bool = False) -> None:
        """A read finished at ``now`` after ``latency`` seconds."""
        if self._since is None:
            self._since = now - latency
        cur = self._now
        if error:
            cur.errors += 1
        else:
            self._count[pixels] = self._count.get(pixels, 0) + 1
            base = self._base.get(pixels)
            if base is None or latency < base:
                self._base[pixels] = base = max(latency, 1e-6)
            if self._slow_start:
                self._slow_start_step(latency / base)
            if now - latency >= self._decided_at:
                cur.reads += 1
                cur.pixels += pixels
                cur.inflation_sum += latency / base
        if now - self._since >= self.interval and (cur.reads >= 2 or cur.errors):
            self._adjust(now)

    def _slow_start_step(self, inflation: float) -> None:
        if inflation >= QUEUE_INFLATION:
            self._slow_start = False
        elif inflation < SLOW_START_INFLATION and self._now.busy:
            self.limit = min(self.maximum, self.limit + 1)

    def least_latency(self, pixels: int) -> float | None:
        """The least latency seen for reads of ``pixels`` (None: none yet)."""
        return self._base.get(pixels)

    def samples(self, pixels: int) -> int:
        return self._count.get(pixels, 0)

    # -- the decision ----------------------------------------------------------------
    def _adjust(self, now: float) -> None:
        cur, seconds = self._now, now - (self._since or now)
        limit, self.limit = self.limit, self.next_limit(cur)
        if self.limit < limit:
            # the reads in flight were issued under the old limit and queued behind it:
            # judging the next interval by them would cut again (a server of 16 cores
            # left at 15 after 32 -> 19 -> 15) or take the draining queue for a slower
            # source and go back up; the next interval counts only reads issued after
            self._decided_at = now
        self.history.append((now, self.limit, cur.pixels / seconds if seconds > 0 else 0.0))
        del self.history[:-400]
        for size in self._base:             # forget slowly: the source may have changed
            self._base[size] *= 1.0 + self.drift
        self._now = Interval()
        self._since = now

    def next_limit(self, cur: Interval) -> int:
        """The limit after an interval like ``cur`` (see the module docstring)."""
        limit, before = self.limit, self._decreased_from
        self._decreased_from = None
        if cur.errors:
            self._slow_start = False
            return max(self.minimum, limit // 2)
        if not cur.reads:
            return limit
        inflation = max(1.0, cur.inflation_sum / cur.reads)
        if before is not None and (inflation >= 0.9 * before[1]
                                   or inflation >= SLOWER_INFLATION * before[2]):
            # fewer reads in flight did not make them faster: the source became slower,
            # it is not a queue; learn its new speed and go back
            for size in self._base:
                self._base[size] *= inflation
            return before[0]
        queued = limit * (1.0 - 1.0 / inflation)
        alpha, beta = 1.0 + 0.05 * limit, 3.0 + 0.15 * limit
        if queued > beta:
            served = limit / inflation
            new = max(self.minimum, min(limit - 1, round(served + alpha)))
            self._decreased_from = (limit, inflation, max(1.0, new / served))
            self._slow_start = False
            return new
        if queued < alpha and cur.busy:
            return min(self.maximum, limit + 1)     # (slow start grew it read by read)
        self._slow_start = False
        return limit
