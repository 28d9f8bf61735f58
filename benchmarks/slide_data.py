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

import functools
from typing import Optional, Sequence, Tuple

import numpy as np

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _hash(*keys: np.ndarray, seed: int = 0) -> np.ndarray:
    """A splitmix64-style integer hash of broadcast integer arrays -> uint64."""
    with np.errstate(over="ignore"):
        h = np.uint64((seed * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
        for k in keys:
            h = h ^ (np.asarray(k).astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
                     + (h << np.uint64(6)) + (h >> np.uint64(2)))
            h = h ^ (h >> np.uint64(30))
            h = h * np.uint64(0xBF58476D1CE4E5B9)
            h = h ^ (h >> np.uint64(27))
            h = h * np.uint64(0x94D049BB133111EB)
            h = h ^ (h >> np.uint64(31))
    return h


def _unit(h: np.ndarray) -> np.ndarray:
    """uint64 hash -> float in [0, 1)."""
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _value_noise(ys: np.ndarray, xs: np.ndarray, cell: int, seed: int) -> np.ndarray:
    """Smooth noise in [0, 1): hashed lattice values every ``cell`` px, smoothstep-blended."""
    gy, fy = np.divmod(ys, cell)
    gx, fx = np.divmod(xs, cell)
    ty = (fy / cell)[:, None]
    tx = (fx / cell)[None, :]
    ty = ty * ty * (3 - 2 * ty)
    tx = tx * tx * (3 - 2 * tx)
    gy = gy[:, None]
    gx = gx[None, :]
    v00 = _unit(_hash(gy, gx, seed=seed))
    v01 = _unit(_hash(gy, gx + 1, seed=seed))
    v10 = _unit(_hash(gy + 1, gx, seed=seed))
    v11 = _unit(_hash(gy + 1, gx + 1, seed=seed))
    return (v00 * (1 - tx) + v01 * tx) * (1 - ty) + (v10 * (1 - tx) + v11 * tx) * ty


@functools.lru_cache(maxsize=1)
def ihc_texture() -> np.ndarray:
    """The 8 flips/rotations of skimage's ihc.png, shape (8, 512, 512, 3) uint8."""
    from skimage import data

    img = np.ascontiguousarray(data.immunohistochemistry())
    out = []
    for k in range(4):
        r = np.rot90(img, k)
        out.append(r)
        out.append(r[:, ::-1])
    return np.ascontiguousarray(np.stack(out))


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
        py, px = np.arange(0, 200_000, 97), np.arange(0, 200_000, 101)
        probe = self._islands(py, px)
        self._threshold = float(np.quantile(probe, glass))
        self.glass = glass

    def _islands(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        return (0.75 * _value_noise(ys, xs, 3000, self.seed)
                + 0.25 * _value_noise(ys, xs, 700, self.seed + 1))

    # -- level 0 ---------------------------------------------------------------------
    def rgb(self, y: int, x: int, h: int, w: int) -> np.ndarray:
        """Level-0 RGB region, shape (h, w, 3) uint8."""
        ys = np.arange(y, y + h, dtype=np.int64)
        xs = np.arange(x, x + w, dtype=np.int64)
        # islands: large-scale noise, detail at two scales
        n = self._islands(ys, xs)
        alpha = np.clip((n - self._threshold) / 0.03, 0.0, 1.0)
        # tissue texture: each 512 cell picks one of the 8 orientations of ihc.png
        tex = ihc_texture()
        cy, oy = np.divmod(ys, 512)
        cx, ox = np.divmod(xs, 512)
        pick = (_hash(cy[:, None], cx[None, :], seed=self.seed + 2) % np.uint64(8)).astype(np.intp)
        tissue = tex[pick, oy[:, None], ox[None, :]].astype(np.float32)
        # glass: near white, slightly tinted, with sensor noise of about +-2
        noise = (_hash(ys[:, None], xs[None, :], seed=self.seed + 3) % np.uint64(5)).astype(np.float32) - 2.0
        glass = np.array([236.0, 234.0, 238.0], np.float32)[None, None, :] + noise[..., None]
        out = glass * (1 - alpha[..., None]) + tissue * alpha[..., None]
        out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
        if self.unscanned:
            by, bx = ys // 4096, xs // 4096
            blank = _unit(_hash(by[:, None], bx[None, :], seed=self.seed + 4)) < self.unscanned
            blank &= alpha < 0.01
            out[blank] = 255
        return out

    def read(self, level: int, t: int, c: int, z: int, y: int, x: int, h: int, w: int) -> np.ndarray:
        if level == 0:
            return np.ascontiguousarray(self.rgb(y, x, h, w)[..., c])
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
        noise = (_hash(ys[:, None], xs[None, :], seed=self.seed + 10 * c + z) % np.uint64(13)).astype(np.float32)
        out = 100.0 + noise
        cell = 64
        for cy in range(y // cell - 1, (y + h) // cell + 2):
            for cx in range(x // cell - 1, (x + w) // cell + 2):
                u = _unit(_hash(np.int64(cy), np.int64(cx), seed=self.seed + 99))
                if u >= self.density:
                    continue
                r = 6 + 8 * _unit(_hash(np.int64(cy), np.int64(cx), seed=self.seed + 98))
                by = cy * cell + 64 * _unit(_hash(np.int64(cy), np.int64(cx), seed=self.seed + 97))
                bx = cx * cell + 64 * _unit(_hash(np.int64(cy), np.int64(cx), seed=self.seed + 96))
                bz = self.size_z * _unit(_hash(np.int64(cy), np.int64(cx), seed=self.seed + 95))
                peak = 500 + 20000 * _unit(_hash(np.int64(cy), np.int64(cx), np.int64(c), seed=self.seed + 94))
                peak *= np.exp(-((z - bz) / 8.0) ** 2)
                y0, y1 = max(int(by - 3 * r), y), min(int(by + 3 * r) + 1, y + h)
                x0, x1 = max(int(bx - 3 * r), x), min(int(bx + 3 * r) + 1, x + w)
                if y0 >= y1 or x0 >= x1:
                    continue
                dy = (np.arange(y0, y1) - by)[:, None]
                dx = (np.arange(x0, x1) - bx)[None, :]
                out[y0 - y:y1 - y, x0 - x:x1 - x] += peak * np.exp(-(dy * dy + dx * dx) / (2 * r * r))
        return np.clip(np.rint(out), 0, 65535).astype(np.uint16)
