"""Small ``TileSource`` implementations over numpy arrays (tests, demos, local data)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np


class ArraySource:
    """A 5D (t, c, z, y, x) array as a ``TileSource``.

    ``pyramid``: extra levels the source offers, each a 5D array (full resolution is
    ``array``). ``fail_after``: raise ``RuntimeError`` on that read (counting from 1),
    to simulate a failure in the middle of a write. ``reads`` counts the reads.
    """

    def __init__(self, array: np.ndarray, tile_size: tuple[int, int] = (256, 256),
                 pyramid: Sequence[np.ndarray] = (), fail_after: int | None = None):
        if array.ndim != 5:
            raise ValueError("ArraySource needs a 5D (t, c, z, y, x) array")
        self.arrays = [array] + list(pyramid)
        self.levels = [(a.shape[-2], a.shape[-1]) for a in self.arrays]
        th, tw = tile_size
        self.tile_size = (th, tw)
        self.fail_after = fail_after
        self.reads = 0
        self._lock = threading.Lock()

    def read(self, level: int, t: int, c: int, z: int, y: int, x: int, h: int,
             w: int) -> np.ndarray:
        with self._lock:
            self.reads += 1
            n = self.reads
        if self.fail_after is not None and n >= self.fail_after:
            raise RuntimeError(f"simulated source failure at read {n}")
        return self.arrays[level][t, c, z, y:y + h, x:x + w].copy()
