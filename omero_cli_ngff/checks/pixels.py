"""Pixels: random tiles of a copy compared with the same tiles read from OMERO (through a
tile source the caller gives: these checks do no I/O of their own)."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from ..errors import shorten
from ..model.published import PublishedImage, PublishedLevel
from ..model.records import ImageRecord
from .agreement import axis_sizes
from .problems import ERROR, WARNING, Problem

# Largest tile compared (pixels per side): bounded memory and message sizes.
MAX_TILE = 1024
Tile = tuple[int, int, int, int, int, int, int]      # t, c, z, y, x, h, w


def tile_plan(shape: dict[str, int], tile: tuple[int, int], count: int,
              seed: int) -> list[Tile]:
    """`count` distinct tiles (t, c, z, y, x, h, w) on the tile grid, reproducibly."""
    th, tw = tile
    ny = max(1, math.ceil(shape["y"] / th))
    nx = max(1, math.ceil(shape["x"] / tw))
    total = shape["t"] * shape["c"] * shape["z"] * ny * nx
    rng = random.Random(seed)
    picks = rng.sample(range(total), min(count, total)) if total <= 10 ** 7 else \
        [rng.randrange(total) for _ in range(count)]
    tiles = []
    for index in picks:
        index, ix = divmod(index, nx)
        index, iy = divmod(index, ny)
        index, z = divmod(index, shape["z"])
        t, c = divmod(index, shape["c"])
        y, x = iy * th, ix * tw
        tiles.append((t, c, z, y, x, min(th, shape["y"] - y), min(tw, shape["x"] - x)))
    return tiles


def _read_region(array: Any, axes: list[str], t: int, c: int, z: int, y: int, x: int,
                 h: int, w: int) -> np.ndarray:
    where = {"t": t, "c": c, "z": z, "y": slice(y, y + h), "x": slice(x, x + w)}
    index = tuple(where.get(a, 0) for a in axes)
    return np.asarray(array[index])


def check_pixels(record: ImageRecord, remote: PublishedImage, source: Any, count: int,
                 seed: int = 0) -> list[Problem]:
    """Compare `count` random full-resolution tiles (and one tile of every lower level
    whose size OMERO also serves) with the same tiles read from `source` (levels,
    tile_size and read(level, t, c, z, y, x, h, w), full resolution first)."""
    if count <= 0 or not remote.levels:
        return []
    axes = remote.axes
    if len(axes) != len(remote.levels[0].array.shape) or not {"y", "x"} <= set(axes):
        return [Problem("pixels-not-compared", "axes not understood: pixels not compared",
                        WARNING, url=remote.url)]
    problems: list[Problem] = []
    tile = tuple(min(MAX_TILE, max(16, s)) for s in source.tile_size)
    omero_levels = {tuple(shape): i for i, shape in enumerate(source.levels)}
    rng_seed = seed * 1_000_003 + record.id
    for n, level in enumerate(remote.levels):
        sizes = axis_sizes(remote, level.array.shape)
        shape = {a: sizes.get(a, 1) for a in "tczyx"}
        source_level = 0 if n == 0 else omero_levels.get((shape["y"], shape["x"]))
        if source_level is None:
            continue
        wanted = count if n == 0 else 1
        for region in tile_plan(shape, (tile[0], tile[1]), wanted, rng_seed + n):
            problems += _compare_tile(remote, level, n, source, source_level, region)
    return problems


def _compare_tile(remote: PublishedImage, level: PublishedLevel, n: int, source: Any,
                  source_level: int, region: Tile) -> list[Problem]:
    t, c, z, y, x, h, w = region
    where = f"level {level.path} t={t} c={c} z={z} x={x} y={y} {w}x{h}"
    try:
        ours = _read_region(level.array, remote.axes, t, c, z, y, x, h, w)
    except Exception as err:
        return [Problem("chunk-unreadable", shorten(
            f"{where}: cannot be read ({type(err).__name__}: {err})"), url=remote.url)]
    try:
        theirs = source.read(source_level, t, c, z, y, x, h, w)
    except Exception as err:
        return [Problem("omero-tile-unreadable", shorten(
            f"{where}: OMERO did not serve the tile ({err})"), WARNING, url=remote.url)]
    if ours.shape == theirs.shape and np.array_equal(
            ours, theirs.astype(ours.dtype, copy=False), equal_nan=ours.dtype.kind == "f"):
        return []
    return [Problem("pixels-differ",
                    f"{where}: {_count_differences(ours, theirs)} pixels differ from "
                    "OMERO's" + ("" if n == 0 else " (a lower level: it may have been "
                                 "computed differently)"),
                    ERROR if n == 0 else WARNING, url=remote.url)]


def _count_differences(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}:"
    try:
        return str(int(np.count_nonzero(a != b.astype(a.dtype, copy=False))))
    except Exception:
        return "some"
