"""Realistic synthetic pixels: a brightfield slide and a fluorescence stack.

The one implementation behind ``benchmarks/slide_data.py`` (``SlideSource``,
``FluorescenceSource``: codec and writer measurements) and the dev server's ``slide``
and ``fluorescence`` patterns (``test_infra/omero_devserver/pixels.py``): ramps
compress unlike real data, these compress like it.

Every value is a pure function of the full-resolution coordinates (and c, z, seed), and
every function takes coordinate *vectors* (``ys``, ``xs``: int64, any spacing), so a
tile, a strided subsample (a server's level k = pixel (x * 2**k, y * 2**k)) or a single
pixel all give the same values for the same coordinates.

- ``slide_pixels``: RGB uint8, tissue from scikit-image's ``ihc.png`` (a 512 x 512
  immunohistochemistry field, one of its 8 flips/rotations per 512-pixel cell) in
  islands over near-white glass with +-2 sensor noise; about two thirds glass.
- ``fluorescence_pixels``: uint16, dark camera background (100 + noise 0..12) with
  sparse bright Gaussian blobs (radius 6-14 px, ~0.15 per 64 x 64 cell) whose
  brightness depends on the channel and fades over ~8 z slices.

Cost (one core): a 1024 x 1024 slide channel ~20-40 ms, a fluorescence tile ~15 ms.
"""

from __future__ import annotations

import functools
from typing import Optional

import numpy as np

GLASS_RGB = (236.0, 234.0, 238.0)
GLASS_FRACTION = 2 / 3


def _hash(*keys, seed: int = 0) -> np.ndarray:
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


def value_noise(ys: np.ndarray, xs: np.ndarray, cell: int, seed: int) -> np.ndarray:
    """Smooth noise in [0, 1), shape (len(ys), len(xs)): hashed lattice values every
    ``cell`` px, smoothstep-blended. The lattice is hashed once per cell corner and
    blended along x on the lattice rows first (same arithmetic per pixel as blending
    the four corners pixel by pixel, a fraction of the cost)."""
    ys = np.asarray(ys, dtype=np.int64)
    xs = np.asarray(xs, dtype=np.int64)
    gy, fy = np.divmod(ys, cell)
    gx, fx = np.divmod(xs, cell)
    ty = (fy / cell)[:, None]
    tx = (fx / cell)[None, :]
    ty = ty * ty * (3 - 2 * ty)
    tx = tx * tx * (3 - 2 * tx)
    gy0, gx0 = int(gy.min()), int(gx.min())
    ly = np.arange(gy0, int(gy.max()) + 2, dtype=np.int64)[:, None]
    lx = np.arange(gx0, int(gx.max()) + 2, dtype=np.int64)[None, :]
    lattice = _unit(_hash(ly, lx, seed=seed))            # (rows, cols) of the lattice
    ix = gx - gx0
    rows = lattice[:, ix] * (1 - tx) + lattice[:, ix + 1] * tx   # (lattice rows, w)
    iy = gy - gy0
    return rows[iy] * (1 - ty) + rows[iy + 1] * ty


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


def islands(ys: np.ndarray, xs: np.ndarray, seed: int) -> np.ndarray:
    """Large-scale noise whose high values are tissue, low values glass."""
    return 0.75 * value_noise(ys, xs, 3000, seed) + 0.25 * value_noise(ys, xs, 700, seed + 1)


@functools.lru_cache(maxsize=64)
def glass_threshold(seed: int, glass: float = GLASS_FRACTION) -> float:
    """The ``islands`` value below which a ``glass`` fraction of a slide is glass."""
    py, px = np.arange(0, 200_000, 97), np.arange(0, 200_000, 101)
    return float(np.quantile(islands(py, px, seed), glass))


def slide_pixels(ys: np.ndarray, xs: np.ndarray, seed: int = 0,
                 threshold: Optional[float] = None, channel: Optional[int] = None,
                 unscanned: float = 0.0) -> np.ndarray:
    """Slide pixels at the coordinates: (h, w, 3) uint8, or (h, w) for one ``channel``.

    ``threshold``: of ``islands`` (default: ``glass_threshold(seed)``, two thirds
    glass); ``unscanned``: fraction of 4096-px blocks whose glass is exact white 255.
    """
    ys = np.asarray(ys, dtype=np.int64)
    xs = np.asarray(xs, dtype=np.int64)
    if threshold is None:
        threshold = glass_threshold(seed)
    alpha = np.clip((islands(ys, xs, seed) - threshold) / 0.03, 0.0, 1.0)
    # glass: near white, slightly tinted, with sensor noise of about +-2
    noise = (_hash(ys[:, None], xs[None, :], seed=seed + 3) % np.uint64(5)).astype(np.float32) - 2.0
    base = np.array(GLASS_RGB, np.float32)
    if channel is None:
        glass = base[None, None, :] + noise[..., None]
        a = alpha[..., None]
    else:
        glass = base[channel] + noise
        a = alpha
    if alpha.any():
        # tissue texture: each 512 cell picks one of the 8 orientations of ihc.png
        tex = ihc_texture()
        cy, oy = np.divmod(ys, 512)
        cx, ox = np.divmod(xs, 512)
        cy0, cx0 = int(cy.min()), int(cx.min())
        cells = (_hash(np.arange(cy0, int(cy.max()) + 1)[:, None],
                       np.arange(cx0, int(cx.max()) + 1)[None, :], seed=seed + 2)
                 % np.uint64(8)).astype(np.intp)
        pick = cells[(cy - cy0)[:, None], (cx - cx0)[None, :]]
        if channel is None:
            tissue = tex[pick, oy[:, None], ox[None, :]].astype(np.float32)
        else:
            tissue = tex[pick, oy[:, None], ox[None, :], channel].astype(np.float32)
        out = glass * (1 - a) + tissue * a
    else:                              # all glass: glass * 1 + tissue * 0 is glass
        out = glass
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if unscanned:
        by, bx = ys // 4096, xs // 4096
        blank = _unit(_hash(by[:, None], bx[None, :], seed=seed + 4)) < unscanned
        blank &= alpha < 0.01
        out[blank] = 255
    return out


def fluorescence_pixels(ys: np.ndarray, xs: np.ndarray, c: int, z: int, size_z: int,
                        seed: int = 0, density: float = 0.15) -> np.ndarray:
    """Fluorescence pixels of channel ``c``, slice ``z`` at the coordinates: (h, w)
    uint16. ``ys`` and ``xs`` must be evenly spaced and increasing (a tile, or a tile
    of a subsampled level)."""
    ys = np.asarray(ys, dtype=np.int64)
    xs = np.asarray(xs, dtype=np.int64)
    h, w = len(ys), len(xs)
    sy = int(ys[1] - ys[0]) if h > 1 else 1
    sx = int(xs[1] - xs[0]) if w > 1 else 1
    noise = (_hash(ys[:, None], xs[None, :], seed=seed + 10 * c + z) % np.uint64(13)).astype(np.float32)
    out = 100.0 + noise
    cell = 64
    y_lo, y_hi = int(ys[0]), int(ys[-1]) + 1
    x_lo, x_hi = int(xs[0]), int(xs[-1]) + 1
    gy = np.arange(y_lo // cell - 1, y_hi // cell + 2, dtype=np.int64)
    gx = np.arange(x_lo // cell - 1, x_hi // cell + 2, dtype=np.int64)
    present = _unit(_hash(gy[:, None], gx[None, :], seed=seed + 99)) < density
    for i, j in zip(*np.nonzero(present)):
        cy, cx = np.int64(gy[i]), np.int64(gx[j])
        r = 6 + 8 * _unit(_hash(cy, cx, seed=seed + 98))
        by = cy * cell + 64 * _unit(_hash(cy, cx, seed=seed + 97))
        bx = cx * cell + 64 * _unit(_hash(cy, cx, seed=seed + 96))
        bz = size_z * _unit(_hash(cy, cx, seed=seed + 95))
        peak = 500 + 20000 * _unit(_hash(cy, cx, np.int64(c), seed=seed + 94))
        peak *= np.exp(-((z - bz) / 8.0) ** 2)
        # full-resolution rows/columns of the blob, then the indices of the ones sampled
        y0, y1 = max(int(by - 3 * r), y_lo), min(int(by + 3 * r) + 1, y_hi)
        x0, x1 = max(int(bx - 3 * r), x_lo), min(int(bx + 3 * r) + 1, x_hi)
        i0, i1 = -(-(y0 - y_lo) // sy), -(-(y1 - y_lo) // sy)
        j0, j1 = -(-(x0 - x_lo) // sx), -(-(x1 - x_lo) // sx)
        if i0 >= i1 or j0 >= j1:
            continue
        dy = (ys[i0:i1] - by)[:, None]
        dx = (xs[j0:j1] - bx)[None, :]
        out[i0:i1, j0:j1] += peak * np.exp(-(dy * dy + dx * dx) / (2 * r * r))
    return np.clip(np.rint(out), 0, 65535).astype(np.uint16)
