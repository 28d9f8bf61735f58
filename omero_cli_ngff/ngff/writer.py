"""Streaming, parallel, resumable writing of one image as OME-Zarr.

Design
------
*Unit of work: a chunk; unit of storage and of resume: a shard.* Each level is cut
into shards that span channels and z planes as well as y/x (``layout``). A chunk's
tiles are read by one of ``workers`` reader threads (the source is network-bound);
the chunk is then encoded on one of the encoder threads (one per core; compression
releases the GIL) and appended to its shard's object at once, in whatever order chunks
finish (``shards.open_sink``: the shard index, written at close, says where each chunk
is). So memory holds chunks in flight, never whole shards, and shard size costs no
memory: shards of a few hundred MiB give Zarr v3 one object where Zarr v2 (NGFF 0.4)
writes one per chunk (there each encoded chunk is its own object at once).

*Pyramid without re-reading.* A finished chunk is downsampled (2x2 mean) and the
quarter-size piece goes into the partial chunk of the next level that contains it;
when a partial chunk is complete it is encoded and downsampled in turn, down the
pyramid. Shards are taken in Z-order, plane by plane inside a shard and chunks in
Z-order inside a plane, so partial chunks are few (``layout.estimate_memory``) and no
level is ever read back from the destination. Levels the source offers are read from
the source in their own pass, and levels below them are computed from them the same
way.

Measured (``benchmarks/bench_export.py``, shared 2-core machine, 50 ms per tile, 8
workers): 0.95-0.98x of the read ceiling for a 20k x 20k RGB slide and a 2048 x 2048 x
50 z x 4 c uint16 stack, 28 and 17 objects (1,646 and 1,415 with Zarr v2); a 100,000 x
100,000 RGB image peaked at 183 MiB RSS (synthetic source, ``ngff.selfcheck``).

*Resumable.* Before any data, the plan is stored in the resume record
(``record.ResumeRecord``, ``<image>/.ngff-progress/``); a shard is recorded after its
object is complete. A rerun reads the record, skips recorded shards, and re-derives a
missing pyramid chunk from the recorded chunks of the level above (read back from the
destination) or from the source. The NGFF metadata (``multiscales``/``omero``, what
readers and the publisher's check look at) is written only after all data, and the
record is deleted last: while the record exists, the image is incomplete. A kill at
any moment therefore leaves either an incomplete image that a rerun finishes, with the
same bytes as an uninterrupted write, or a complete one. Shard objects appear only
complete (local files are renamed into place, object-store uploads are finalized at
close).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

import numpy as np
import zarr

from . import codecs as cd
from . import metadata as md
from . import shards as sh
from . import store as st
from .downsample import downsample_mean2
from .errors import InvalidSpecError, WriterError, SourceError, TargetExistsError
from .layout import (ImagePlan, LevelPlan, chunks_in_flight, cpu_threads, morton_key,
                     plan_image)
from .record import RECORD_DIR, ResumeRecord
from .spec import ImageSpec, Progress, ProgressCallback, TileSource, WriteOptions, WriteResult

__all__ = ["write_image", "plan_for", "ImageWriter"]


def plan_for(spec: ImageSpec, source: TileSource, options: WriteOptions) -> ImagePlan:
    """The plan ``write_image`` would use (for dry runs and reports)."""
    levels = [tuple(int(v) for v in lv) for lv in (source.levels or [(spec.size_y, spec.size_x)])]
    if levels[0] != (spec.size_y, spec.size_x):
        raise InvalidSpecError(f"{spec.name!r}: the source's full resolution is {levels[0][0]}x"
                               f"{levels[0][1]} (y x), the image is {spec.size_y}x{spec.size_x}")
    return plan_image(spec.shape, spec.numpy_dtype, ngff_version=options.ngff_version,
                      compression=cd.describe(options.compression, options.compression_level),
                      chunk_size=options.chunk_size, shard_size=options.shard_size,
                      shard_bytes=options.shard_bytes, min_level_size=options.min_level_size,
                      workers=options.workers, memory_budget=options.memory_budget,
                      source_levels=levels)


def write_image(dest, spec: ImageSpec, source: TileSource, options: Optional[WriteOptions] = None,
                progress: Optional[ProgressCallback] = None, *, storage_options: Optional[dict] = None,
                path: str = "", image_id: Optional[int] = None) -> WriteResult:
    """Write one image as an OME-Zarr multiscales group and return what was done.

    ``dest``: a zarr store, a local folder, or an fsspec URL (``gs://bucket/x.ome.zarr``;
    ``storage_options`` are passed to fsspec). ``path``: the image group inside it
    ('' = the root). ``progress`` is called from worker threads with a ``Progress``.
    ``image_id`` goes into the ``omero`` block. Raises ``WriterError`` subclasses
    (``TargetExistsError``, ``StoreError``, ``NoSpaceError``...); errors of
    the source itself propagate unchanged after the resume record is saved.
    """
    options = options or WriteOptions()
    store, url = st.open_store(dest, storage_options)
    return ImageWriter(store, url, spec, source, options, progress, path=path,
                       image_id=image_id).run()


class _Aborted(Exception):
    """Another chunk failed: stop without writing half-read data."""


class _Partial:
    """A pyramid chunk being filled from the downsampled pieces of the level above."""

    __slots__ = ("data", "filled", "area")

    def __init__(self, shape, dtype):
        self.data = np.empty(shape, dtype)
        self.filled = 0
        self.area = shape[0] * shape[1]


class _OpenShard:
    """A shard being written: its sink (Zarr v3) and how many of its chunks are done."""

    __slots__ = ("sink", "done", "expected")

    def __init__(self, sink, expected: int):
        self.sink = sink
        self.done = 0
        self.expected = expected


class ImageWriter:
    """One image write (see the module docstring). Use ``write_image``."""

    def __init__(self, store, url: str, spec: ImageSpec, source: TileSource, options: WriteOptions,
                 progress: Optional[ProgressCallback] = None, path: str = "",
                 image_id: Optional[int] = None):
        self.path = path.strip("/")
        self.store = st.CountingStore(store, uncounted=(RECORD_DIR,))
        self.url = url.rstrip("/") + ("/" + self.path if self.path else "")
        self.spec, self.source, self.options = spec, source, options
        self.progress_cb = progress
        self.image_id = image_id
        self.dtype = spec.numpy_dtype
        self.version = options.ngff_version
        fill = options.fill_value if options.fill_value is not None else 0
        self.fill = np.array(fill).astype(self.dtype).item()
        self._lock = threading.Lock()
        self._partials: Dict[tuple, _Partial] = {}
        self._open: Dict[tuple, _OpenShard] = {}
        self._abort = threading.Event()
        self.tiles_read = 0
        self.pixels_done = 0
        self.pixels_total = 0

    # -- public entry ------------------------------------------------------------------
    def run(self) -> WriteResult:
        t0 = time.perf_counter()
        plan = plan_for(self.spec, self.source, self.options)
        self.record = ResumeRecord(self.store, self.path, self.options.record_interval)
        state, plan = self._inspect_target(plan)
        self.plan = plan
        if state == "complete":
            return self._result(t0, resumed=False, complete=True)
        if state == "fresh":
            self.record.start(plan.to_json())
            self._create_arrays()
        else:
            self._clean_partial_files()
            self._create_arrays(missing_only=True)
        self.arrays = [self._open_array(lv) for lv in plan.levels]
        self.encoder = sh.ChunkEncoder(self.options.compression, self.options.compression_level,
                                       self.dtype, self.options.zarr_format)
        done = self.record.load() if state == "resume" else set()
        self.pixels_total = sum(lv.n_pixels for lv in plan.levels)
        self.pixels_done = sum(self.plan.levels[k[0]].shard_pixels(k[1:]) for k in done)
        # one read pool for the whole image: a source keeping a connection per thread
        # (thread-local) opens at most `workers` of them
        self._reads = ThreadPoolExecutor(self.options.workers, thread_name_prefix="ngff-read")
        self._encoders = ThreadPoolExecutor(cpu_threads(), thread_name_prefix="ngff-encode")
        try:
            for levels in self._passes():
                self._run_pass(levels)
        finally:
            self._encoders.shutdown(wait=True, cancel_futures=True)
            self._reads.shutdown(wait=True, cancel_futures=True)
            for shard in self._open.values():
                if shard.sink is not None:
                    shard.sink.abort()
            self.record.flush()
        self._finish()
        return self._result(t0, resumed=state == "resume")

    # -- target inspection -------------------------------------------------------------
    def _key(self, *parts: str) -> str:
        return st.join(self.path, *parts)

    def _existing_format(self) -> Optional[int]:
        if st.get_bytes(self.store, self._key("zarr.json")) is not None:
            return 3
        if st.get_bytes(self.store, self._key(".zgroup")) is not None:
            return 2
        return None

    def _inspect_target(self, plan: ImagePlan) -> Tuple[str, ImagePlan]:
        """'fresh', 'resume' (with the recorded plan) or 'complete'; TargetExistsError
        for anything else that is in the way."""
        prefix = self.path + "/" if self.path else ""
        if self.options.overwrite:
            if st.any_key(self.store, prefix):
                st.delete_prefix(self.store, prefix)
            return "fresh", plan
        recorded = self.record.read_plan()
        fmt = self._existing_format()
        found = self._existing_image(fmt) if fmt is not None else None
        if found is not None and self.record.exists():
            # metadata is written only after all data: a kill while deleting the record
            if self._matches(found, plan):
                self.record.remove()
                return "complete", plan
        if recorded is not None:
            old = ImagePlan.from_json(recorded)
            if old.same_image(plan) and old.compression == plan.compression and \
                    [lv.chunks for lv in old.levels] == [lv.chunks for lv in plan.levels]:
                return "resume", old
            raise TargetExistsError(
                f"{self.url}: an interrupted write with other settings is there "
                f"({_describe(old)}; now {_describe(plan)}); use overwrite to start afresh")
        if found is not None:
            version, shapes, dtype = found
            if self._matches(found, plan):
                return "complete", plan
            raise TargetExistsError(
                f"{self.url}: a different image exists there (NGFF {version}, {dtype}, "
                f"{'x'.join(map(str, shapes[0])) if shapes else 'no levels'}; "
                f"new: NGFF {plan.ngff_version}, {np.dtype(plan.dtype)}, "
                f"{'x'.join(map(str, plan.levels[0].shape))}); use overwrite to replace it")
        if st.any_key(self.store, prefix):
            raise TargetExistsError(f"{self.url}: the target is not empty and is not an image "
                                    f"written by this tool; use overwrite to replace it")
        return "fresh", plan

    @staticmethod
    def _matches(found, plan: ImagePlan) -> bool:
        version, shapes, dtype = found
        return (version == plan.ngff_version and dtype == np.dtype(plan.dtype)
                and shapes == [lv.shape for lv in plan.levels])

    def _existing_image(self, fmt: int):
        try:
            group = zarr.open_group(self.store, path=self.path, mode="r", zarr_format=fmt)
            ome = md.read_ome(dict(group.attrs))
            ms = ome.get("multiscales")
            if not ms:
                return None
            version = ome.get("version") or ms[0].get("version") or ("0.5" if fmt == 3 else "0.4")
            shapes, dtype = [], None
            for ds in ms[0]["datasets"]:
                arr = group[ds["path"]]
                shapes.append(tuple(arr.shape))
                dtype = arr.dtype
            return version, shapes, dtype
        except (KeyError, ValueError, TypeError, FileNotFoundError) as exc:
            raise TargetExistsError(f"{self.url}: an unreadable zarr group is there ({exc}); "
                                    f"use overwrite to replace it") from exc

    # -- arrays ------------------------------------------------------------------------
    def _create_arrays(self, missing_only: bool = False) -> None:
        """Create the level arrays (resuming: those a kill kept from being created)."""
        fmt = self.options.zarr_format
        group = zarr.open_group(self.store, path=self.path, mode="a", zarr_format=fmt)
        for lv in self.plan.levels:
            if missing_only and self._array_exists(lv):
                continue
            kw = dict(name=str(lv.index), shape=lv.shape, dtype=self.dtype, chunks=lv.chunks,
                      fill_value=self.fill, overwrite=not missing_only,
                      config={"write_empty_chunks": self.options.write_empty_chunks})
            if fmt == 3:
                kw.update(shards=lv.shards, dimension_names=list("tczyx"),
                          compressors=cd.v3_compressors(self.options.compression,
                                                        self.options.compression_level, self.dtype))
            else:
                kw.update(chunk_key_encoding={"name": "v2", "separator": "/"},
                          compressors=cd.v2_compressor(self.options.compression,
                                                       self.options.compression_level, self.dtype))
            group.create_array(**kw)

    def _array_exists(self, lv: LevelPlan) -> bool:
        meta = "zarr.json" if self.options.zarr_format == 3 else ".zarray"
        return st.get_bytes(self.store, self._key(str(lv.index), meta)) is not None

    def _open_array(self, lv: LevelPlan):
        arr = zarr.open_array(self.store, path=self._key(str(lv.index)), mode="r+",
                              zarr_format=self.options.zarr_format)
        if tuple(arr.shape) != lv.shape:
            raise TargetExistsError(f"{self.url}/{lv.index}: array shape {arr.shape} differs from "
                                    f"the recorded plan {lv.shape}; use overwrite")
        if self.options.zarr_format == 3:
            sh.check_sharding(arr)          # the sinks write exactly this shard format
        return arr

    # -- passes ------------------------------------------------------------------------
    def _passes(self) -> List[List[int]]:
        """Levels grouped by pass: a level the source offers, then the levels computed
        from it."""
        out: List[List[int]] = []
        for lv in self.plan.levels:
            if lv.source_level is not None or not out:
                out.append([lv.index])
            else:
                out[-1].append(lv.index)
        return out

    def _children(self, k: int, chunk: tuple) -> List[tuple]:
        """The chunks of level k-1 that chunk ``chunk`` of level k is computed from."""
        lv, up = self.plan.levels[k], self.plan.levels[k - 1]
        y0, y1, x0, x1 = lv.chunk_region(chunk)
        cy, cx = up.chunks[3], up.chunks[4]
        ys = range(2 * y0 // cy, (min(2 * y1, up.size_y) - 1) // cy + 1)
        xs = range(2 * x0 // cx, (min(2 * x1, up.size_x) - 1) // cx + 1)
        t, c, z = chunk[:3]
        return [(t, c, z, a, b) for a in ys for b in xs]

    def _tasks(self, levels: List[int]) -> List[Tuple[str, int, tuple]]:
        """The ordered reads of a pass: ('source', top, chunk) for every chunk of the top
        level's unrecorded shards; on resume also ('store', k, chunk) for each recorded
        chunk that a missing chunk of level k+1 is made from. Order: the top level's
        shards in Z-order, planes inside a shard, chunks in Z-order inside a plane (a
        read-back chunk takes the place of the top-level chunks under it)."""
        done = self.record.done
        j = levels[0]
        top = self.plan.levels[j]
        shards = sorted(itertools.product(*map(range, top.shard_grid)),
                        key=lambda s: (s[0], s[1], s[2], morton_key(s[3], s[4])))
        rank = {s: i for i, s in enumerate(shards)}
        keyed = []
        for shard in shards:
            if (j,) + shard not in done:
                for chunk in top.chunks_of(shard):
                    keyed.append(((rank[shard],) + chunk[:3] + (morton_key(*chunk[3:]), 0),
                                  ("source", j, chunk)))
        for k in (levels[1:] if done else ()):
            lv, up = self.plan.levels[k], self.plan.levels[k - 1]
            scale = 2 ** (k - 1 - j)          # level k-1 pixels -> top-level pixels
            for shard in itertools.product(*map(range, lv.shard_grid)):
                if (k,) + shard in done:
                    continue
                for chunk in lv.chunks_of(shard):
                    for child in self._children(k, chunk):
                        if (k - 1,) + up.shard_of(child) not in done:
                            continue                  # made in this pass anyway
                        y0, _, x0, _ = up.chunk_region(child)
                        at = child[:3] + (y0 * scale // top.chunks[3], x0 * scale // top.chunks[4])
                        keyed.append(((rank[top.shard_of(at)],) + at[:3] +
                                      (morton_key(*at[3:]), -k), ("store", k - 1, child)))
        keyed.sort(key=lambda kv: kv[0])
        return [task for _, task in keyed]

    def _run_pass(self, levels: List[int]) -> None:
        self._pass_bottom = levels[-1]
        tasks = self._tasks(levels)
        if not tasks:
            return
        window = threading.Semaphore(chunks_in_flight(self.options.workers))
        self._pending = 0
        self._idle = threading.Condition()
        self._error: Optional[BaseException] = None
        try:
            for kind, k, chunk in tasks:
                while not window.acquire(timeout=0.2):
                    if self._error is not None:
                        break
                if self._error is not None:
                    break
                with self._idle:
                    self._pending += 1
                self._reads.submit(self._read_chunk, kind, k, chunk, window)
            with self._idle:
                while self._pending:
                    self._idle.wait(0.2)
        except BaseException:
            self._abort.set()
            raise
        if self._error is not None:
            raise self._error
        if self._partials or self._open:      # cannot happen unless a plan is inconsistent
            raise WriterError(f"{self.url}: internal error, {len(self._partials)} pyramid chunks "
                            f"and {len(self._open)} shards left incomplete")

    # -- work of one chunk -------------------------------------------------------------
    def _read_chunk(self, kind: str, k: int, chunk: tuple, window) -> None:
        """Reader thread: the chunk's pixels from the source (or, resuming, from the
        destination), handed to an encoder thread."""
        handed = False
        try:
            if self._abort.is_set():
                return
            lv = self.plan.levels[k]
            y0, y1, x0, x1 = lv.chunk_region(chunk)
            t, c, z = chunk[:3]
            if kind == "store":
                data = np.asarray(self.arrays[k][t, c, z, y0:y1, x0:x1])
            else:
                data = np.empty((y1 - y0, x1 - x0), self.dtype)
                th, tw = self._tile_size(lv.source_level)
                for ty in range((y0 // th) * th, y1, th):
                    for tx in range((x0 // tw) * tw, x1, tw):
                        ry0, ry1 = max(ty, y0), min(ty + th, y1)
                        rx0, rx1 = max(tx, x0), min(tx + tw, x1)
                        self._read_tile(data, lv.source_level, t, c, z,
                                        ry0, rx0, ry1 - ry0, rx1 - rx0, y0, x0)
            self._encoders.submit(self._encode_chunk, k, chunk, data, kind == "source", window)
            handed = True
        except BaseException as exc:
            self._fail(exc)
        finally:
            if not handed:
                self._release(window)

    def _encode_chunk(self, k: int, chunk: tuple, data: np.ndarray, write: bool, window) -> None:
        """Encoder thread: write the chunk (unless it was read back) and feed the pyramid."""
        try:
            if not self._abort.is_set():
                self._complete(k, chunk, data, write)
        except BaseException as exc:
            self._fail(exc)
        finally:
            self._release(window)

    def _release(self, window) -> None:
        window.release()
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            if self._error is None and not isinstance(exc, _Aborted):
                self._error = exc
        self._abort.set()

    def _tile_size(self, level: int = 0) -> Tuple[int, int]:
        # a source whose tile differs per level (OMERO's readers) says so
        per_level = getattr(self.source, "level_tile_size", None)
        ts = per_level(level) if per_level is not None else self.source.tile_size
        if np.isscalar(ts):
            return int(ts), int(ts)
        return max(1, int(ts[0])), max(1, int(ts[1]))

    def _read_tile(self, buf, level, t, c, z, y, x, h, w, y0, x0) -> None:
        if self._abort.is_set():
            raise _Aborted()
        data = np.asarray(self.source.read(level, t, c, z, y, x, h, w))
        if data.shape != (h, w):
            raise SourceError(f"{self.spec.name!r}: the source returned a {data.shape} tile for "
                              f"a ({h}, {w}) read at level {level} t={t} c={c} z={z} y={y} x={x}")
        if data.dtype != self.dtype:
            if not (np.can_cast(data.dtype, self.dtype, "same_kind") or data.dtype == np.bool_):
                raise SourceError(f"{self.spec.name!r}: the source returned {data.dtype} "
                                  f"pixels for a {self.dtype} image")
        buf[y - y0:y - y0 + h, x - x0:x - x0 + w] = data     # also swaps a big-endian source
        with self._lock:
            self.tiles_read += 1

    def _complete(self, k: int, chunk: tuple, data: np.ndarray, write: bool) -> None:
        """A chunk's pixels are final: write it (unless read back), then feed its
        downsampled version to the chunk of the next level that contains it."""
        if write:
            self._write_chunk(k, chunk, data)
        if k < self._pass_bottom:
            self._feed(k + 1, k, chunk, downsample_mean2(data))

    def _write_chunk(self, k: int, chunk: tuple, data: np.ndarray) -> None:
        lv = self.plan.levels[k]
        full = data
        if data.shape != lv.chunks[3:]:                 # edge chunks are stored padded
            full = np.full(lv.chunks[3:], self.fill, self.dtype)
            full[:data.shape[0], :data.shape[1]] = data
        skip = not self.options.write_empty_chunks and not np.any(full != self.fill)
        encoded = None if skip else self.encoder.encode(full)
        shard = lv.shard_of(chunk)
        key = (k,) + shard
        with self._lock:
            entry = self._open.get(key)
            if entry is None:
                sink = None
                if self.options.zarr_format == 3:
                    sink = sh.open_sink(self.store, self._shard_key(k, shard),
                                        lv.chunks_per_shard)
                entry = self._open[key] = _OpenShard(sink, lv.chunk_count(shard))
        if encoded is not None:
            if entry.sink is not None:
                entry.sink.add(tuple(i - s * n for i, s, n in
                                     zip(chunk, shard, lv.chunks_per_shard)), encoded)
            else:
                st.set_bytes(self.store, self._key(str(k), *map(str, chunk)), encoded)
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

    def _shard_key(self, k: int, shard: tuple) -> str:
        return self._key(str(k), "c", *map(str, shard))

    def _feed(self, k: int, child_level: int, child: tuple, piece: np.ndarray) -> None:
        """Put the downsampled ``child`` (a chunk of ``child_level``) into its chunk of
        level k; a chunk whose last piece arrives is complete."""
        lv = self.plan.levels[k]
        y0, _, x0, _ = self.plan.levels[child_level].chunk_region(child)
        py, px = y0 // 2, x0 // 2
        parent = child[:3] + (py // lv.chunks[3], px // lv.chunks[4])
        if (k,) + lv.shard_of(parent) in self.record.done:
            return
        ry0, ry1, rx0, rx1 = lv.chunk_region(parent)
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
            self._complete(k, parent, part.data, write=True)

    # -- bookkeeping -------------------------------------------------------------------
    def _advance(self, pixels: int) -> None:
        with self._lock:
            self.pixels_done += pixels
            p = Progress(self.pixels_done, self.pixels_total, self.store.bytes, self.store.objects)
        if self.progress_cb is not None:
            self.progress_cb(p)

    def _finish(self) -> None:
        group = zarr.open_group(self.store, path=self.path, mode="r+",
                                zarr_format=self.options.zarr_format)
        paths = [str(lv.index) for lv in self.plan.levels]
        group.attrs.update(md.image_attrs(self.spec, paths, self.version, self.image_id))
        self.record.remove()
        self._clean_partial_files()

    def _clean_partial_files(self) -> None:
        """LocalStore writes ``<key>.<uuid>.partial`` then renames; a kill leaves them."""
        root = st.local_root(self.store)
        if root is None:
            return
        for dirpath, _, files in os.walk(os.path.join(root, self.path)):
            for f in files:
                if f.endswith(".partial"):
                    try:
                        os.remove(os.path.join(dirpath, f))
                    except OSError:
                        pass

    def _result(self, t0: float, resumed: bool, complete: bool = False) -> WriteResult:
        plan = self.plan
        return WriteResult(
            url=self.url, ngff_version=self.version,
            level_shapes=tuple(lv.shape for lv in plan.levels),
            chunk_shapes=tuple(lv.chunks for lv in plan.levels),
            shard_shapes=tuple(lv.shards if self.version == "0.5" else None for lv in plan.levels),
            objects_written=self.store.objects, bytes_written=self.store.bytes,
            seconds=time.perf_counter() - t0, resumed=resumed, already_complete=complete,
            tiles_read=self.tiles_read,
            levels_from_source=tuple(lv.index for lv in plan.levels if lv.source_level is not None))


def _describe(plan: ImagePlan) -> str:
    lv = plan.levels[0]
    return (f"NGFF {plan.ngff_version}, {np.dtype(plan.dtype)}, {'x'.join(map(str, lv.shape))}, "
            f"{plan.compression}, chunk {lv.chunks[-1]}")
