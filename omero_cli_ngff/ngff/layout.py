"""Planning an image: pyramid levels, chunks and shards per level, and memory.

Pure functions of sizes and options, no I/O, so they are easy to test and to print.

Levels: full resolution, then halving in y and x while the larger side of the last
level exceeds ``min_level_size``. A computed level is ceil(previous / 2) (the odd edge
pixel is averaged with itself, nothing is dropped). Where the source offers a level
whose size is floor or ceil of half the previous one, that level is read from the
source with the source's size, and levels below it are computed from it.

Chunks are ``chunk_size`` in y/x and 1 in t/c/z; a level smaller than a chunk gets one
chunk of its own size.

Shards (Zarr v3; for Zarr v2 the same regions are the units of work and of the resume
record) are chosen per level, for the fewest objects: object count is what a
deployment pays for (20K slides became 90M objects with one object per chunk). A shard
spans planes too: its shape is (1, c, z, side, side) with

- a y/x side of ``chunk * 2**i``, clipped to the level rounded up to whole chunks (a
  shard never holds a chunk lying wholly outside the level: bioformats2raw issue 299);
  powers of two keep the shard grid aligned with the pyramid's 2x2 blocks, so the
  writer's partial pyramid chunks stay few (see ``estimate_memory``);
- then as many channels, then z planes, then time points as stay under ``shard_bytes``
  uncompressed (spans balanced: 50 z with room for 12 make 5 shards of 10).

Of the sides that fit ``shard_bytes``, the one giving the fewest shards is taken (ties:
the bigger side), among those whose memory estimate fits the budget. Memory does not
grow with shard size: the writer encodes chunk by chunk and streams them into the
shard's object (``shards``), so what it holds is chunks in flight and the pyramid's
partial chunks.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

#: memory the process needs besides pixel buffers (interpreter, numpy, zarr, fsspec)
BASE_MEMORY = 200 * 1024 ** 2
#: bytes held per chunk in flight, in units of the chunk: the read buffer, its encoded
#: copy and the downsampling temporaries
CHUNK_COST = 3

Shape5 = tuple[int, int, int, int, int]


def cpu_threads() -> int:
    """Threads encoding chunks: one per core (compression releases the GIL)."""
    return max(2, os.cpu_count() or 2)


def chunks_in_flight(workers: int) -> int:
    """Chunks read or being encoded at once: enough to keep every reader busy while the
    encoders work, and no more (each one is a buffer)."""
    return 2 * workers + cpu_threads()


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _shape5(values: Iterable[int]) -> Shape5:
    t, c, z, y, x = values
    return (t, c, z, y, x)


@dataclass(frozen=True)
class LevelPlan:
    """One resolution level: its 5D shape, chunk and shard shapes, and where it comes
    from (``source_level``: the source's level index, None: computed from the level
    above by 2x2 mean)."""

    index: int
    shape: Shape5
    chunks: Shape5
    shards: Shape5
    source_level: int | None

    @property
    def size_y(self) -> int:
        return self.shape[3]

    @property
    def size_x(self) -> int:
        return self.shape[4]

    @property
    def chunk_grid(self) -> Shape5:
        """Chunks along each axis."""
        return _shape5(_ceil_div(n, c) for n, c in zip(self.shape, self.chunks))

    @property
    def shard_grid(self) -> Shape5:
        """Shards along each axis."""
        return _shape5(_ceil_div(n, s) for n, s in zip(self.shape, self.shards))

    @property
    def chunks_per_shard(self) -> Shape5:
        return _shape5(s // c for s, c in zip(self.shards, self.chunks))

    @property
    def n_shards(self) -> int:
        return int(np.prod(self.shard_grid))

    @property
    def n_pixels(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def shard_of(self, chunk: Shape5) -> Shape5:
        """The shard holding a chunk (both as grid indices)."""
        return _shape5(i // n for i, n in zip(chunk, self.chunks_per_shard))

    def chunks_of(self, shard: tuple[int, ...]) -> Iterator[Shape5]:
        """The chunks of a shard that lie within the level, in C order."""
        ranges = [range(s * n, min((s + 1) * n, g))
                  for s, n, g in zip(shard, self.chunks_per_shard, self.chunk_grid)]
        t_, c_, z_, y_, x_ = ranges
        for t in t_:
            for c in c_:
                for z in z_:
                    for y in y_:
                        for x in x_:
                            yield (t, c, z, y, x)

    def chunk_count(self, shard: tuple[int, ...]) -> int:
        """How many chunks of ``shard`` lie within the level."""
        n = 1
        for s, k, g in zip(shard, self.chunks_per_shard, self.chunk_grid):
            n *= min((s + 1) * k, g) - s * k
        return n

    def chunk_region(self, chunk: Shape5) -> tuple[int, int, int, int]:
        """(y0, y1, x0, x1) of a chunk, clipped to the level."""
        cy, cx = self.chunks[3], self.chunks[4]
        y, x = chunk[3], chunk[4]
        return y * cy, min((y + 1) * cy, self.size_y), x * cx, min((x + 1) * cx, self.size_x)

    def shard_pixels(self, shard: tuple[int, ...]) -> int:
        """Pixels of a shard within the level (for progress)."""
        n = 1
        for s, size, total in zip(shard, self.shards, self.shape):
            n *= min((s + 1) * size, total) - s * size
        return n


@dataclass(frozen=True)
class ImagePlan:
    """Everything decided before writing; stored in the resume record."""

    levels: tuple[LevelPlan, ...]
    dtype: str
    ngff_version: str
    compression: str
    estimated_memory: int

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["levels"] = [asdict(lv) for lv in self.levels]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ImagePlan:
        levels = tuple(LevelPlan(index=lv["index"], shape=tuple(lv["shape"]),
                                 chunks=tuple(lv["chunks"]), shards=tuple(lv["shards"]),
                                 source_level=lv["source_level"]) for lv in d["levels"])
        return cls(levels=levels, dtype=d["dtype"], ngff_version=d["ngff_version"],
                   compression=d["compression"], estimated_memory=d.get("estimated_memory", 0))

    def same_image(self, other: ImagePlan) -> bool:
        """Same shapes, dtype and version (what makes an existing target 'identical')."""
        return (self.dtype == other.dtype and self.ngff_version == other.ngff_version
                and [lv.shape for lv in self.levels] == [lv.shape for lv in other.levels])


def _halves(n: int) -> tuple[int, int]:
    return n // 2, (n + 1) // 2


def level_sizes(size_y: int, size_x: int, min_level_size: int,
                source_levels: Sequence[Sequence[int]] = (),
                fixed: Sequence[Sequence[int]] = ()) -> list[tuple[int, int, int | None]]:
    """[(size_y, size_x, source level index or None)] from full resolution down;
    ``fixed``: the sizes of every level, all computed from the one above (a label
    pyramid matching its image's levels)."""
    out: list[tuple[int, int, int | None]] = [(size_y, size_x, 0)]
    if fixed:
        return out + [(int(y), int(x), None) for y, x in fixed[1:]]
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


def level_chunks(shape: Shape5, chunk_size: int) -> Shape5:
    t, c, z, y, x = shape
    return (1, 1, 1, min(y, chunk_size), min(x, chunk_size))


def _span(n: int, room: int) -> int:
    """Balanced span along an axis of ``n`` with at most ``room`` per shard."""
    room = max(1, min(n, room))
    return _ceil_div(n, _ceil_div(n, room))


def shard_shape(shape: Shape5, chunks: Shape5, itemsize: int, shard_bytes: int,
                side: int) -> Shape5:
    """The shard of a level for one y/x ``side`` (see the module docstring)."""
    t, c, z, y, x = shape
    cy, cx = chunks[3], chunks[4]
    sy = min(side, _ceil_div(y, cy) * cy) if y > cy else cy
    sx = min(side, _ceil_div(x, cx) * cx) if x > cx else cx
    room = max(1, shard_bytes // (sy * sx * itemsize))
    sc = _span(c, room)
    room //= sc
    sz = _span(z, room)
    room //= sz
    st = _span(t, room)
    return (st, sc, sz, sy, sx)


def side_candidates(shape: Shape5, chunks: Shape5) -> list[int]:
    """Power-of-two multiples of the chunk, up to the first covering the whole level."""
    biggest = max(shape[3], shape[4])
    sides = [max(chunks[3], chunks[4])]
    while sides[-1] < biggest:
        sides.append(sides[-1] * 2)
    return sides


def n_shards(shape: Shape5, shards: Shape5) -> int:
    return int(np.prod([_ceil_div(n, s) for n, s in zip(shape, shards)]))


def estimate_memory(levels: Sequence[LevelPlan], top: int, itemsize: int, workers: int) -> int:
    """Peak bytes of the pass that reads level ``top`` and computes the levels after it
    (``levels[top + 1:]`` while their ``source_level`` is None).

    Chunks in flight cost ``CHUNK_COST`` chunks each. The pyramid's partial chunks: a
    chunk of level top+d is made of a 2**d x 2**d block of top-level chunks; the
    writer goes shard by shard (in Z-order), plane by plane inside a shard, chunks in
    Z-order inside a plane, so a block inside one shard completes before the next plane
    starts, and a block spanning several shards (whose side is a power of two) keeps
    one partial chunk per plane of the shard until its last shard: at most two per plane
    and level, counting the one finishing while the next starts.
    """
    lv = levels[top]
    chunk = lv.chunks[3] * lv.chunks[4] * itemsize
    mem = BASE_MEMORY + chunks_in_flight(workers) * CHUNK_COST * chunk
    planes = lv.shards[0] * lv.shards[1] * lv.shards[2]
    d = 1
    while top + d < len(levels) and levels[top + d].source_level is None:
        low = levels[top + d]
        low_chunk = low.chunks[3] * low.chunks[4] * itemsize
        cover_y = low.chunks[3] * 2 ** d        # top-level pixels under one low chunk
        cover_x = low.chunks[4] * 2 ** d
        straddles = ((lv.shard_grid[3] > 1 and cover_y > lv.shards[3])
                     or (lv.shard_grid[4] > 1 and cover_x > lv.shards[4]))
        mem += (2 * planes if straddles else 2) * low_chunk
        mem += cpu_threads() * low_chunk          # partials completing on each encoder
        d += 1
    return mem


def _with_shards(lv: LevelPlan, shards: Shape5) -> LevelPlan:
    return LevelPlan(lv.index, lv.shape, lv.chunks, shards, lv.source_level)


def plan_image(shape: Shape5, dtype: DTypeLike, *, ngff_version: str = "0.5",
               compression: str = "blosc-zstd:1", chunk_size: int = 1024,
               shard_size: int | None = None, shard_bytes: int = 384 * 1024 ** 2,
               min_level_size: int = 256, workers: int = 8, memory_budget: int = 1024 ** 3,
               source_levels: Sequence[Sequence[int]] = (),
               fixed_levels: Sequence[Sequence[int]] = ()) -> ImagePlan:
    """The complete plan of one image (see the module docstring). ``shard_size`` fixes
    the y/x side of every level's shards (clipped to the level); planes still fill
    ``shard_bytes``. ``fixed_levels``: every level's (y, x), computed (``level_sizes``)."""
    t, c, z, y, x = shape
    dt = np.dtype(dtype)
    sizes = level_sizes(y, x, min_level_size, source_levels or [(y, x)], fixed_levels)
    levels: list[LevelPlan] = []
    for k, (ly, lx, src) in enumerate(sizes):
        lshape = (t, c, z, ly, lx)
        chunks = level_chunks(lshape, chunk_size)
        levels.append(LevelPlan(k, lshape, chunks, chunks, src))
    for k, lv in enumerate(levels):
        candidates = _shard_candidates(lv, dt.itemsize, shard_size, shard_bytes)
        if lv.source_level is not None:   # a pass starts here: its memory must fit
            candidates = _fitting(levels, k, candidates, dt.itemsize, workers, memory_budget)
        levels[k] = _with_shards(lv, candidates[0])
    # (the estimate of a pass depends only on its top level's shards and lower chunks)
    peak = max(estimate_memory(levels, k, dt.itemsize, workers)
               for k, lv in enumerate(levels) if lv.source_level is not None)
    return ImagePlan(levels=tuple(levels), dtype=dt.str, ngff_version=ngff_version,
                     compression=compression, estimated_memory=peak)


def _shard_candidates(lv: LevelPlan, itemsize: int, shard_size: int | None,
                      shard_bytes: int) -> list[Shape5]:
    """The level's possible shards, best first: the fewest shards; of those, the
    biggest side."""
    sides = [shard_size] if shard_size else side_candidates(lv.shape, lv.chunks)
    options = []
    for side in sides:
        shards = shard_shape(lv.shape, lv.chunks, itemsize, shard_bytes, side)
        if (not shard_size and side > max(lv.chunks[3:])
                and shards[3] * shards[4] * itemsize > shard_bytes):
            continue                  # one plane of this side alone is over the size
        options.append((n_shards(lv.shape, shards), -side, shards))
    options.sort()
    return [shards for _, _, shards in options]


def _fitting(levels: list[LevelPlan], k: int, candidates: list[Shape5], itemsize: int,
             workers: int, memory_budget: int) -> list[Shape5]:
    """The candidates for level k's shards whose pass fits the memory budget, or else
    the one needing the least (``levels[k]`` is left with the last one tried)."""
    lv = levels[k]

    def cost(shards: Shape5) -> int:
        levels[k] = _with_shards(lv, shards)
        return estimate_memory(levels, k, itemsize, workers)

    fitting = [shards for shards in candidates if cost(shards) <= memory_budget]
    return fitting or [min(candidates, key=cost)]


def _spread_bits(n: int) -> int:
    """The bits of a 32-bit ``n`` moved to the even positions."""
    n &= 0xFFFFFFFF
    n = (n | (n << 16)) & 0x0000FFFF0000FFFF
    n = (n | (n << 8)) & 0x00FF00FF00FF00FF
    n = (n | (n << 4)) & 0x0F0F0F0F0F0F0F0F
    n = (n | (n << 2)) & 0x3333333333333333
    return (n | (n << 1)) & 0x5555555555555555


def morton_key(row: int, col: int) -> int:
    """Z-order position of (row, col): every 2x2 block (and 4x4, ...) is consecutive,
    so the blocks that make one chunk of a lower level finish close together and the
    pyramid's partial chunks are released early."""
    return (_spread_bits(row) << 1) | _spread_bits(col)


def morton_order(grid_y: int, grid_x: int) -> list[tuple[int, int]]:
    """The positions of a grid in Z-order (``morton_key``)."""
    return sorted(((r, c) for r in range(grid_y) for c in range(grid_x)),
                  key=lambda rc: morton_key(*rc))
