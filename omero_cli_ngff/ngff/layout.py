"""Planning an image: pyramid levels, chunks and shards per level, and memory.

Pure functions of sizes and options, no I/O, so they are easy to test and to print
(``--dry-run``).

Levels: full resolution, then halving in y and x while the larger side of the last
level exceeds ``min_level_size``. A computed level is ceil(previous / 2) (the odd edge
pixel is averaged with itself, nothing is dropped). Where the source offers a level
whose size is floor or ceil of half the previous one, that level is read from the
source with the source's size, and levels below it are computed from it.

Chunks are ``chunk_size`` in y/x (1 in t/c/z); a level smaller than a chunk gets one
chunk of its own size. Shards (Zarr v3; for Zarr v2 the same regions are the write
units) are square, a multiple of the chunk, chosen per level and never larger than the
level (bioformats2raw issue 299): min(shard side, the level rounded down to whole
chunks). The shard side is the largest ``chunk * 2**i`` whose uncompressed size stays
under ``shard_bytes`` and whose memory estimate fits the budget (``estimate_memory``):
with equal sides, four shards of one level make one shard of the next, which is what
the writer's streaming pyramid relies on for bounded memory.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

#: memory the process needs besides pixel buffers (interpreter, numpy, zarr, fsspec)
BASE_MEMORY = 200 * 1024 ** 2
#: bytes held per in-flight shard, in units of its uncompressed size: the assembled
#: buffer, the encoded chunks, the shard object built from them, downsampling temporaries
SHARD_COST = 3.0


@dataclass(frozen=True)
class LevelPlan:
    """One resolution level: its 5D shape, chunk and shard shapes, and where it comes
    from (``source_level``: the source's level index, None: computed from the level
    above by 2x2 mean)."""

    index: int
    shape: Tuple[int, int, int, int, int]
    chunks: Tuple[int, int, int, int, int]
    shards: Tuple[int, int, int, int, int]
    source_level: Optional[int]

    @property
    def size_y(self) -> int:
        return self.shape[3]

    @property
    def size_x(self) -> int:
        return self.shape[4]

    @property
    def grid(self) -> Tuple[int, int]:
        """Shards per plane along (y, x)."""
        return (-(-self.size_y // self.shards[3]), -(-self.size_x // self.shards[4]))

    def shard_region(self, r: int, c: int) -> Tuple[int, int, int, int]:
        """(y0, y1, x0, x1) of shard (r, c), clipped to the level."""
        sy, sx = self.shards[3], self.shards[4]
        return (r * sy, min((r + 1) * sy, self.size_y), c * sx, min((c + 1) * sx, self.size_x))

    @property
    def n_shards(self) -> int:
        t, c, z = self.shape[:3]
        gy, gx = self.grid
        return t * c * z * gy * gx

    @property
    def n_pixels(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True)
class ImagePlan:
    """Everything decided before writing; stored in the resume record."""

    levels: Tuple[LevelPlan, ...]
    dtype: str
    ngff_version: str
    compression: str
    shard_side: int
    inflight: int
    estimated_memory: int

    def to_json(self) -> dict:
        d = asdict(self)
        d["levels"] = [asdict(lv) for lv in self.levels]
        return d

    @classmethod
    def from_json(cls, d: dict) -> "ImagePlan":
        levels = tuple(LevelPlan(index=lv["index"], shape=tuple(lv["shape"]),
                                 chunks=tuple(lv["chunks"]), shards=tuple(lv["shards"]),
                                 source_level=lv["source_level"]) for lv in d["levels"])
        return cls(levels=levels, dtype=d["dtype"], ngff_version=d["ngff_version"],
                   compression=d["compression"], shard_side=d["shard_side"],
                   inflight=d["inflight"], estimated_memory=d["estimated_memory"])

    def same_image(self, other: "ImagePlan") -> bool:
        """Same shapes, dtype and version (what makes an existing target 'identical')."""
        return (self.dtype == other.dtype and self.ngff_version == other.ngff_version
                and [lv.shape for lv in self.levels] == [lv.shape for lv in other.levels])


def _halves(n: int) -> Tuple[int, int]:
    return n // 2, (n + 1) // 2


def level_sizes(size_y: int, size_x: int, min_level_size: int,
                source_levels: Sequence[Tuple[int, int]] = ()) -> List[Tuple[int, int, Optional[int]]]:
    """[(size_y, size_x, source level index or None)] from full resolution down."""
    out: List[Tuple[int, int, Optional[int]]] = [(size_y, size_x, 0)]
    src = [(int(a), int(b)) for a, b in source_levels]
    while max(out[-1][0], out[-1][1]) > min_level_size:
        py, px, _ = out[-1]
        match = None
        for i, (sy, sx) in enumerate(src[1:], start=1):
            if sy in _halves(py) and sx in _halves(px) and sy > 0 and sx > 0:
                match = (sy, sx, i)
                break
        out.append(match or (-(-py // 2), -(-px // 2), None))
    return out


def chunk_and_shard(size: int, chunk: int, shard_side: int) -> Tuple[int, int]:
    """(chunk, shard) along one axis of a level; the shard never exceeds the level."""
    if size <= chunk:
        return size, size
    return chunk, min(shard_side, (size // chunk) * chunk)


def estimate_memory(levels: Sequence[Tuple[int, int]], shard_side: int, chunk: int,
                    itemsize: int, inflight: int, workers: int,
                    tile_bytes: int, computed: Optional[Sequence[bool]] = None) -> int:
    """Peak bytes of a write: in-flight shards, the pyramid's partial shards, tiles.

    ``levels``: (size_y, size_x) per level; ``computed[k]``: level k is downsampled in
    memory (its partial shards are held while the four shards of the level above are
    produced). The writer starts a shard only within ``inflight`` positions of the oldest
    unfinished one, so level k holds at most ceil(inflight / 4**k) + 1 partial shards.
    """
    computed = computed if computed is not None else [k > 0 for k in range(len(levels))]

    def shard(y, x):
        _, sy = chunk_and_shard(y, chunk, shard_side)
        _, sx = chunk_and_shard(x, chunk, shard_side)
        return sy * sx * itemsize, -(-y // sy) * -(-x // sx)

    fixed = BASE_MEMORY + 2 * workers * tile_bytes
    peak = 0
    k = 0
    while k < len(levels):            # one pass: a level read, then levels computed from it
        b, _ = shard(*levels[k])
        mem = fixed + int(inflight * SHARD_COST * b)
        depth = 1
        while k + depth < len(levels) and computed[k + depth]:
            b, n = shard(*levels[k + depth])
            mem += min(n, math.ceil(inflight / 4 ** depth) + 1) * b + int(SHARD_COST - 1) * b
            depth += 1
        peak = max(peak, mem)
        k += depth
    return peak


def plan_memory(levels: Sequence[Tuple[int, int]], chunk: int, itemsize: int, workers: int,
                budget: int, shard_bytes: int, tile_bytes: int,
                computed: Optional[Sequence[bool]] = None,
                shard_side: Optional[int] = None) -> Tuple[int, int, int]:
    """(shard_side, inflight, estimate): the largest shard side (``chunk * 2**i``, at most
    ``shard_bytes`` uncompressed) with ``workers`` shards in flight whose estimate fits
    ``budget``; if even one-chunk shards do not fit, fewer shards in flight (at least 1).
    A given ``shard_side`` is kept, only ``inflight`` adapts.
    """
    biggest = max(max(levels[0]), chunk)
    if shard_side is not None:
        sides = [shard_side]
    else:
        sides = []
        s = chunk
        while s * s * itemsize <= max(shard_bytes, chunk * chunk * itemsize):
            sides.append(s)
            if s >= biggest:
                break
            s *= 2
        sides.reverse()          # biggest first
    for side in sides:
        est = estimate_memory(levels, side, chunk, itemsize, workers, workers, tile_bytes, computed)
        if est <= budget:
            return side, workers, est
    side = sides[-1]
    for inflight in range(workers - 1, 0, -1):
        est = estimate_memory(levels, side, chunk, itemsize, inflight, workers, tile_bytes, computed)
        if est <= budget:
            return side, inflight, est
    return side, 1, estimate_memory(levels, side, chunk, itemsize, 1, workers, tile_bytes, computed)


def plan_image(shape: Tuple[int, int, int, int, int], dtype, *, ngff_version: str = "0.5",
               compression: str = "blosc-zstd:1", chunk_size: int = 1024,
               shard_size: Optional[int] = None, shard_bytes: int = 256 * 1024 ** 2,
               min_level_size: int = 256, workers: int = 8, memory_budget: int = 1024 ** 3,
               source_levels: Sequence[Tuple[int, int]] = (),
               tile_size: Tuple[int, int] = (1024, 1024)) -> ImagePlan:
    """The complete plan of one image (see the module docstring)."""
    t, c, z, y, x = shape
    dt = np.dtype(dtype)
    sizes = level_sizes(y, x, min_level_size, source_levels or [(y, x)])
    computed = [src is None for _, _, src in sizes]
    tile_bytes = int(tile_size[0]) * int(tile_size[1]) * dt.itemsize
    side, inflight, est = plan_memory([(a, b) for a, b, _ in sizes], chunk_size, dt.itemsize,
                                      workers, memory_budget, shard_bytes, tile_bytes,
                                      computed, shard_size)
    levels = []
    for k, (ly, lx, src) in enumerate(sizes):
        cy, sy = chunk_and_shard(ly, chunk_size, side)
        cx, sx = chunk_and_shard(lx, chunk_size, side)
        levels.append(LevelPlan(index=k, shape=(t, c, z, ly, lx), chunks=(1, 1, 1, cy, cx),
                                shards=(1, 1, 1, sy, sx), source_level=src))
    return ImagePlan(levels=tuple(levels), dtype=dt.str, ngff_version=ngff_version,
                     compression=compression, shard_side=side, inflight=inflight,
                     estimated_memory=est)


def morton_order(grid_y: int, grid_x: int) -> List[Tuple[int, int]]:
    """Shard positions of a plane in Z-order: every 2x2 block (and 4x4, ...) is
    consecutive, so the four shards that make one shard of the next level finish close
    together and the pyramid's partial shards are released early."""
    def key(rc):
        r, c = rc
        k = 0
        for bit in range(max(grid_y, grid_x).bit_length()):
            k |= ((r >> bit) & 1) << (2 * bit + 1) | ((c >> bit) & 1) << (2 * bit)
        return k

    return sorted(((r, c) for r in range(grid_y) for c in range(grid_x)), key=key)
