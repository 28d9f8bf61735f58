"""What a tile read costs the server: a model of a real OMERO's finite decode capacity.

A real OMERO decodes each requested region on its own CPUs (Bio-Formats reading and
decompressing the file behind ``BfPixelBuffer``): a read costs a little per call plus an
amount that grows with the pixels decoded, and the server decodes only as many regions
at once as it has cores; the rest wait. The dev server models that with a sleep, so two
client cores can measure against a sixteen-core server:

- ``cores`` decode slots (``--server-cores``; 0 = unbounded, the old behaviour);
- a read holds one slot for ``call_ms + ms_per_mpx * pixels / 1e6``
  (``--tile-call-ms``, ``--tile-ms-per-mpx``).

The reference model of the benchmarks is 5 ms per call + 40 ms per megapixel (47 ms for a
1024 x 1024 tile) on 4 or 16 cores. Every knob can be changed while the server runs
(``set``): an admin's ``IConfig.setConfigValue`` of ``omero.devserver.server_cores``,
``omero.devserver.tile_call_ms`` or ``omero.devserver.tile_ms_per_mpx`` (a real
server's ``ConfigImpl.setConfigValue`` is ``@RolesAllowed("system")`` and changes the
running JVM's value, ome/omero-server ``ome/logic/ConfigImpl.java``). Plain data and
``threading`` only.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

KEYS = {"omero.devserver.server_cores": "cores",
        "omero.devserver.tile_call_ms": "call_ms",
        "omero.devserver.tile_ms_per_mpx": "ms_per_mpx"}


@dataclass
class _Read:
    cost: float
    start: float = 0.0
    end: float = 0.0


class DecodeSlots:
    """``cores`` decode slots; ``hold(pixels)`` returns when the read's decode is done.

    Reads are scheduled in time, first come first served: a read takes the slot that
    frees first and starts when it frees (or at once), and its caller sleeps until the
    read's end. A slot is thus taken again the moment it frees, as by a real server's
    decoder, whatever the dev server's own Python is doing: waking the next waiting
    thread instead would count the GIL of one process (dispatch threads sharing a core)
    as decode time the model does not have. A change of ``cores`` reschedules the reads
    that have not started."""

    def __init__(self, cores: int = 0, call_ms: float = 0.0, ms_per_mpx: float = 0.0):
        self.cores = int(cores)
        self.call_ms = float(call_ms)
        self.ms_per_mpx = float(ms_per_mpx)
        self.busy = 0                     # reads in the model (waiting or decoding)
        self.peak = 0                     # most reads decoding at once (tests)
        self._reads: list[_Read] = []     # not yet ended, in order of arrival
        self._free_at: list[float] = []   # when each slot frees (bounded cores only)
        self._cond = threading.Condition()

    @property
    def active(self) -> bool:
        return bool(self.call_ms or self.ms_per_mpx)

    def cost_seconds(self, pixels: int) -> float:
        return (self.call_ms + self.ms_per_mpx * pixels / 1e6) / 1000.0

    def hold(self, pixels: int) -> None:
        """Wait for the read's turn in a slot and for its modelled cost."""
        if not self.active:
            return
        with self._cond:
            read = _Read(self.cost_seconds(pixels))
            self._reads.append(read)
            self.busy += 1
            self._schedule(read, time.monotonic())
            try:
                while (left := read.end - time.monotonic()) > 0:
                    self._cond.wait(left)     # a change of cores may move the end
            finally:
                self._reads.remove(read)
                self.busy -= 1

    def _schedule(self, read: _Read, now: float) -> None:
        if self.cores:
            if len(self._free_at) < self.cores:
                self._free_at += [now] * (self.cores - len(self._free_at))
            first = min(range(len(self._free_at)), key=self._free_at.__getitem__)
            read.start = max(now, self._free_at[first])
            read.end = self._free_at[first] = read.start + read.cost
        else:
            read.start, read.end = now, now + read.cost
        decoding = sum(1 for r in self._reads if r.start <= read.start < r.end)
        self.peak = max(self.peak, decoding)

    def _reschedule(self) -> None:
        """After a change of cores: the decoding reads keep their slots (the latest
        ending ones when there are more than slots), the others are scheduled again."""
        now = time.monotonic()
        decoding = sorted(r.end for r in self._reads if r.start <= now)
        self._free_at = decoding[-self.cores:] if self.cores else []
        waiting = [r for r in self._reads if r.start > now]
        for read in waiting:
            read.start = read.end = float("inf")
        for read in waiting:
            self._schedule(read, now)
        self._cond.notify_all()

    def set(self, key: str, value: str) -> None:
        """Change one knob (a key of ``KEYS``) while the server runs."""
        name = KEYS[key]
        number = float(value)
        if number < 0 or (name == "cores" and number != int(number)):
            raise ValueError("%s must be a non-negative %s" % (
                key, "integer" if name == "cores" else "number"))
        with self._cond:
            setattr(self, name, int(number) if name == "cores" else number)
            if name == "cores":
                self._reschedule()

    def values(self) -> dict:
        return {key: str(getattr(self, name)) for key, name in KEYS.items()}
