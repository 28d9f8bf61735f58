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

KEYS = {"omero.devserver.server_cores": "cores",
        "omero.devserver.tile_call_ms": "call_ms",
        "omero.devserver.tile_ms_per_mpx": "ms_per_mpx"}


class DecodeSlots:
    """``cores`` decode slots; ``hold(pixels)`` sleeps in one for the modelled cost."""

    def __init__(self, cores: int = 0, call_ms: float = 0.0, ms_per_mpx: float = 0.0):
        self.cores = int(cores)
        self.call_ms = float(call_ms)
        self.ms_per_mpx = float(ms_per_mpx)
        self.busy = 0
        self.peak = 0                     # most slots busy at once (tests)
        self._cond = threading.Condition()

    @property
    def active(self) -> bool:
        return bool(self.call_ms or self.ms_per_mpx)

    def cost_seconds(self, pixels: int) -> float:
        return (self.call_ms + self.ms_per_mpx * pixels / 1e6) / 1000.0

    def hold(self, pixels: int) -> None:
        """Wait for a free slot, then sleep the read's cost in it."""
        if not self.active:
            return
        with self._cond:
            while self.cores and self.busy >= self.cores:
                self._cond.wait()
            self.busy += 1
            self.peak = max(self.peak, self.busy)
            cost = self.cost_seconds(pixels)
        try:
            time.sleep(cost)
        finally:
            with self._cond:
                self.busy -= 1
                self._cond.notify()

    def set(self, key: str, value: str) -> None:
        """Change one knob (a key of ``KEYS``) while the server runs."""
        name = KEYS[key]
        number = float(value)
        if number < 0 or (name == "cores" and number != int(number)):
            raise ValueError("%s must be a non-negative %s" % (
                key, "integer" if name == "cores" else "number"))
        with self._cond:
            setattr(self, name, int(number) if name == "cores" else number)
            self._cond.notify_all()

    def values(self) -> dict:
        return {key: str(getattr(self, name)) for key, name in KEYS.items()}
