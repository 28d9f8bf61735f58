"""How big each read of an adaptive write is: the source's own tile of the level, or the
whole chunk when whole-chunk reads measure cheaper.

A source such as OMERO reads best in its native tiles (``getTileSize`` per level), but
each call also costs something of its own: when the tile is smaller than a chunk, one
request for the chunk may be cheaper than several for its tiles. Which one is, is
measured while writing: of the first chunks of a level, every other one is read whole
(``PROBES`` of them), then the size whose least latency per pixel is lower (the
controller's least latency of each size, ``concurrency``) is used for the rest of the
level. Sources whose tile is a chunk or more are read in their tiles, unmeasured.
"""

from __future__ import annotations

import threading

from .concurrency import ConcurrencyController

PROBES = 4          # whole-chunk reads of a level before deciding
NATIVE, WHOLE = "native", "whole"


class RequestSizes:
    def __init__(self, controller: ConcurrencyController) -> None:
        self.controller = controller
        self.choice: dict[int, str] = {}        # level -> NATIVE or WHOLE, once decided
        self._asked: dict[int, int] = {}
        self._lock = threading.Lock()

    def size(self, level: int, native: tuple[int, int],
             chunk: tuple[int, int]) -> tuple[int, int]:
        """The (h, w) of the reads of the next chunk of ``level``."""
        if native[0] * native[1] >= chunk[0] * chunk[1]:
            return native
        with self._lock:
            choice = self.choice.get(level) or self._decide(level, native, chunk)
            if choice is None:
                asked = self._asked[level] = self._asked.get(level, 0) + 1
                choice = WHOLE if asked % 2 else NATIVE
        return chunk if choice == WHOLE else native

    def _decide(self, level: int, native: tuple[int, int],
                chunk: tuple[int, int]) -> str | None:
        small, big = native[0] * native[1], chunk[0] * chunk[1]
        ctrl = self.controller
        if ctrl.samples(big) < PROBES or ctrl.samples(small) < PROBES:
            return None
        per_small = (ctrl.least_latency(small) or 0.0) / small
        per_big = (ctrl.least_latency(big) or 0.0) / big
        self.choice[level] = WHOLE if per_big < per_small else NATIVE
        return self.choice[level]
