"""Realistic synthetic pixels for measurements (codec choice, sizes, speed, memory).

Generated ramps compress unlike real data. Two families model the catalogue:

``SlideSource``: a brightfield whole-slide image, RGB uint8 (3 channels), tissue from
scikit-image's ``ihc.png`` (a 512 x 512 RGB immunohistochemistry field, flipped and
rotated per 512-pixel cell) in islands over near-white glass with sensor noise; about
two thirds glass. Optionally a fraction of the slide is *unscanned* (exact white, as
scanners write outside their scan regions), the case where skipping empty chunks pays.

``FluorescenceSource``: a uint16 stack (c, z), mostly dark camera background with
sparse bright blobs (nuclei-like) and sensor noise.

Every pixel is a pure function of (c, z, y, x) and the seed, so any tiling of a read
returns the same values: sources are thread-safe and resumable writes can be compared
with uninterrupted ones. Both classes implement the writer's ``TileSource`` protocol.
"""

from __future__ import annotations

import os
import sys
from typing import Optional, Sequence, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The generators live in test_infra (the dev server serves the same pixels as the
# `slide` and `fluorescence` patterns); these names stay importable from here.
from test_infra.realistic_pixels import (  # noqa: E402,F401
    _hash, _unit, fluorescence_pixels, glass_threshold, ihc_texture, islands,
    slide_pixels, value_noise as _value_noise)


class SlideSource:
    """A brightfield slide, 3 channels (R, G, B) of uint8, as a ``TileSource``.

    ``glass``: target fraction of glass (background); ``unscanned``: fraction of the
    area (in 4096 px blocks, within the glass) filled with exact white 255.
    ``levels``: (y, x) sizes the source pretends to offer (default: full size only);
    lower levels are computed by 2x2 mean from the level above, matching the writer.
    """

    dtype = np.dtype("uint8")

    def __init__(self, size_y: int, size_x: int, seed: int = 0, glass: float = 2 / 3,
                 unscanned: float = 0.0, tile_size: Tuple[int, int] = (1024, 1024),
                 levels: Optional[Sequence[Tuple[int, int]]] = None):
        self.size_y, self.size_x = int(size_y), int(size_x)
        self.seed = seed
        self.tile_size = tuple(tile_size)
        self.levels = list(levels) if levels else [(self.size_y, self.size_x)]
        self.unscanned = unscanned
        # threshold of the island noise giving ~`glass` background
        self._threshold = glass_threshold(seed, glass)
        self.glass = glass

    def _islands(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        return islands(ys, xs, self.seed)

    # -- level 0 ---------------------------------------------------------------------
    def rgb(self, y: int, x: int, h: int, w: int, channel: Optional[int] = None) -> np.ndarray:
        """Level-0 RGB region, shape (h, w, 3) uint8 (or (h, w) of one ``channel``)."""
        ys = np.arange(y, y + h, dtype=np.int64)
        xs = np.arange(x, x + w, dtype=np.int64)
        return slide_pixels(ys, xs, self.seed, self._threshold, channel, self.unscanned)

    def read(self, level: int, t: int, c: int, z: int, y: int, x: int, h: int, w: int) -> np.ndarray:
        if level == 0:
            return self.rgb(y, x, h, w, channel=c)
        # a source pyramid: 2x2 mean of the level above (ceil sizes), computed on the fly
        from omero_cli_ngff.ngff.downsample import downsample_mean2

        ph, pw = self.levels[level - 1]
        y0, x0 = 2 * y, 2 * x
        hh, ww = min(2 * h, ph - y0), min(2 * w, pw - x0)
        return downsample_mean2(self.read(level - 1, t, c, z, y0, x0, hh, ww))[:h, :w]


class FluorescenceSource:
    """A fluorescence-like uint16 stack as a ``TileSource``: dark background (offset 100,
    noise), sparse bright blobs (radius ~6-14 px) whose brightness depends on channel and
    on z (they fade over ~8 slices)."""

    dtype = np.dtype("uint16")

    def __init__(self, size_y: int, size_x: int, size_c: int = 2, size_z: int = 1,
                 seed: int = 0, density: float = 0.15, tile_size: Tuple[int, int] = (512, 512)):
        self.size_y, self.size_x, self.size_c, self.size_z = size_y, size_x, size_c, size_z
        self.seed = seed
        self.density = density        # blobs per 64x64 cell
        self.tile_size = tuple(tile_size)
        self.levels = [(size_y, size_x)]

    def read(self, level: int, t: int, c: int, z: int, y: int, x: int, h: int, w: int) -> np.ndarray:
        if level != 0:
            raise ValueError("FluorescenceSource offers full resolution only")
        ys = np.arange(y, y + h, dtype=np.int64)
        xs = np.arange(x, x + w, dtype=np.int64)
        return fluorescence_pixels(ys, xs, c, z, self.size_z, self.seed, self.density)
