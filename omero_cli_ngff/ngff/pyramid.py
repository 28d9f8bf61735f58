"""Where a finished chunk goes: into its shard's object (or, with Zarr v2, an object of its
own), and, downsampled 2x2 (mean; mode for labels), into the partial chunk of the next
level that contains it.

A partial chunk that receives its last piece is finished in turn, down to the next
level read from the source (the bottom of its pass), so no level is ever read back
from the destination. A shard whose
last chunk is written is closed (its object appears complete) and recorded in the
resume record. Called from the encoder threads: thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from . import shards as sh
from . import store as st
from .downsample import downsample_mean2
from .layout import ImagePlan, Shape5
from .record import Key, ResumeRecord
from .spec import Progress, ProgressCallback, WriteOptions
from .target import Target


class _Partial:
    """A pyramid chunk being filled from the downsampled pieces of the level above."""

    __slots__ = ("area", "data", "filled")

    def __init__(self, shape: tuple[int, int], dtype: np.dtype[Any]) -> None:
        self.data = np.empty(shape, dtype)
        self.filled = 0
        self.area = shape[0] * shape[1]


class _OpenShard:
    """A shard being written: its sink (Zarr v3) and how many of its chunks are done."""

    __slots__ = ("done", "expected", "sink")

    def __init__(self, sink: sh.ShardSink | None, expected: int) -> None:
        self.sink = sink
        self.done = 0
        self.expected = expected


class Pyramid:
    """The finished chunks of one image write (see the module docstring).

    ``dtype``, ``fill``: the arrays' dtype and fill value (edge chunks are padded with
    it; chunks holding only it are skipped unless the options write empty chunks).
    ``pixels_done``: the pixels of the shards already recorded, for progress.
    """

    def __init__(self, target: Target, plan: ImagePlan, record: ResumeRecord,
                 encoder: sh.ChunkEncoder, dtype: np.dtype[Any], fill: Any,
                 progress: ProgressCallback | None, pixels_done: int = 0,
                 downsample: Callable[[np.ndarray], np.ndarray] = downsample_mean2) -> None:
        self.target, self.plan, self.record, self.encoder = target, plan, record, encoder
        self.options: WriteOptions = target.options
        self.dtype = dtype
        self.fill = fill
        self.progress_cb = progress
        self.pixels_done = pixels_done
        self.pixels_total = sum(lv.n_pixels for lv in plan.levels)
        self.downsample = downsample
        self._lock = threading.Lock()
        self._partials: dict[tuple[int, Shape5], _Partial] = {}
        self._open: dict[Key, _OpenShard] = {}

    def complete(self, k: int, chunk: Shape5, data: np.ndarray, write: bool) -> None:
        """A chunk's pixels are final: write it (unless read back), then feed its
        downsampled version to the chunk of the next level that contains it."""
        if write:
            self._write_chunk(k, chunk, data)
        if self._computed(k + 1):
            self._feed(k + 1, k, chunk, self.downsample(data))

    def _computed(self, k: int) -> bool:
        """Is level k computed from level k - 1 (not read from the source)?"""
        return k < len(self.plan.levels) and self.plan.levels[k].source_level is None

    def unfinished(self) -> tuple[int, int]:
        """(partial chunks, open shards) left: both 0 after a pass that went well."""
        return len(self._partials), len(self._open)

    def abort(self) -> None:
        """Drop the open shards' temporary files: none of them becomes visible."""
        for shard in self._open.values():
            if shard.sink is not None:
                shard.sink.abort()

    def _write_chunk(self, k: int, chunk: Shape5, data: np.ndarray) -> None:
        lv = self.plan.levels[k]
        full = data
        if data.shape != lv.chunks[3:]:                 # edge chunks are stored padded
            full = np.full(lv.chunks[3:], self.fill, self.dtype)
            full[:data.shape[0], :data.shape[1]] = data
        # (a chunk whose first pixel is not the fill value is not empty: no scan)
        skip = not self.options.write_empty_chunks and full.flat[0] == self.fill \
            and not np.any(full != self.fill)
        encoded = None if skip else self.encoder.encode(full)
        shard = lv.shard_of(chunk)
        key: Key = (k, *shard)
        with self._lock:
            entry = self._open.get(key)
            if entry is None:
                sink = None
                if self.options.zarr_format == 3:
                    sink = sh.open_sink(self.target.store, self.target.key(str(k), "c", *map(
                        str, shard)), lv.chunks_per_shard)
                entry = self._open[key] = _OpenShard(sink, lv.chunk_count(shard))
        if encoded is not None:
            if entry.sink is not None:
                entry.sink.add(tuple(i - s * n for i, s, n in
                                     zip(chunk, shard, lv.chunks_per_shard)), encoded)
            else:
                st.set_bytes(self.target.store, self.target.key(str(k), *map(str, chunk)),
                             encoded)
        with self._lock:
            entry.done += 1
            complete = entry.done == entry.expected
            if complete:
                del self._open[key]
        self._advance(data.size)
        if complete:
            if entry.sink is not None:
                entry.sink.close()
            self.record.add(key)

    def _feed(self, k: int, child_level: int, child: Shape5, piece: np.ndarray) -> None:
        """Put the downsampled ``child`` (a chunk of ``child_level``) into its chunk of
        level k; a chunk whose last piece arrives is complete."""
        lv = self.plan.levels[k]
        y0, _, x0, _ = self.plan.levels[child_level].chunk_region(child)
        py, px = y0 // 2, x0 // 2
        if py >= lv.size_y or px >= lv.size_x:  # the edge a level of floor(n / 2) drops
            return
        parent: Shape5 = (*child[:3], py // lv.chunks[3], px // lv.chunks[4])
        if (k, *lv.shard_of(parent)) in self.record.done:
            return
        ry0, ry1, rx0, rx1 = lv.chunk_region(parent)
        piece = piece[:ry1 - py, :rx1 - px]     # a level of floor(n / 2) drops the edge
        h, w = piece.shape
        with self._lock:
            part = self._partials.get((k, parent))
            if part is None:
                part = self._partials[(k, parent)] = _Partial((ry1 - ry0, rx1 - rx0), self.dtype)
            part.data[py - ry0:py - ry0 + h, px - rx0:px - rx0 + w] = piece
            part.filled += h * w
            ready = part.filled == part.area
            if ready:
                del self._partials[(k, parent)]
        if ready:
            self.complete(k, parent, part.data, write=True)

    def _advance(self, pixels: int) -> None:
        store = self.target.store
        with self._lock:
            self.pixels_done += pixels
            p = Progress(self.pixels_done, self.pixels_total, store.bytes, store.objects)
        if self.progress_cb is not None:
            self.progress_cb(p)
