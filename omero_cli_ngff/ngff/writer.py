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
way; the passes' reads go to the readers as one stream (the next pass's first reads fill
the places of the last ones of the pass before).

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

Modules: this one runs the write (threads, passes, reading chunks); ``target`` inspects
the destination and holds the arrays, ``schedule`` orders the reads, ``pyramid`` takes
each finished chunk to its shard and down the pyramid.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
import zarr
from zarr.abc.store import Store

from . import codecs as cd
from . import shards as sh
from . import store as st
from .concurrency import ConcurrencyController
from .downsample import downsample_mean2, downsample_mode2
from .errors import InvalidSpecError, SourceError, WriterError
from .layout import ImagePlan, chunks_in_flight, cpu_threads, plan_image
from .pyramid import Pyramid
from .read_gate import ReadGate
from .record import RECORD_DIR, ResumeRecord
from .request_size import RequestSizes
from .schedule import Task, passes, tasks
from .spec import ImageSpec, ProgressCallback, TileSource, WriteOptions, WriteResult
from .target import Target

__all__ = ["Collection", "ImageWriter", "open_collection", "plan_for", "write_image"]


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
                      source_levels=levels,
                      fixed_levels=spec.label.level_sizes if spec.label is not None else ())


def write_image(dest: st.Dest, spec: ImageSpec, source: TileSource,
                options: WriteOptions | None = None, progress: ProgressCallback | None = None,
                *, storage_options: dict[str, Any] | None = None, path: str = "",
                image_id: int | None = None) -> WriteResult:
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


class Collection(NamedTuple):
    """The root group of several images (a plate, a bioformats2raw layout), opened."""

    store: Store
    url: str                        # of the store
    prefix: str                     # the root group's path in the store
    per_image: WriteOptions         # the options of each image (overwrite done here)


def open_collection(dest: st.Dest, options: WriteOptions,
                    storage_options: dict[str, Any] | None, path: str) -> Collection:
    """Open ``dest``, clear ``path`` there if the options say overwrite, and create
    the root group of a collection of images."""
    store, url = st.open_store(dest, storage_options)
    prefix = path.strip("/")
    if options.overwrite and st.any_key(store, prefix + "/" if prefix else ""):
        st.delete_prefix(store, prefix + "/" if prefix else "")
    per_image = replace(options, overwrite=False)
    zarr.open_group(store, path=prefix, mode="a", zarr_format=options.zarr_format)
    return Collection(store, url, prefix, per_image)


class _Aborted(Exception):
    """Another chunk failed: stop without writing half-read data."""


class ImageWriter:
    """One image write (see the module docstring). Use ``write_image``."""

    def __init__(self, store: Store, url: str, spec: ImageSpec, source: TileSource,
                 options: WriteOptions, progress: ProgressCallback | None = None,
                 path: str = "", image_id: int | None = None) -> None:
        self.path = path.strip("/")
        self.store = st.CountingStore(store, uncounted=(RECORD_DIR,))
        self.url = url.rstrip("/") + ("/" + self.path if self.path else "")
        self.target = Target(self.store, self.path, self.url, options)
        self.spec, self.source, self.options = spec, source, options
        self.progress_cb = progress
        self.image_id = image_id
        self.dtype = spec.numpy_dtype
        self.version = options.ngff_version
        fill = options.fill_value if options.fill_value is not None else 0
        self.fill = np.array(fill).astype(self.dtype).item()
        self._lock = threading.Lock()
        self._abort = threading.Event()
        self._error: BaseException | None = None
        self._pending = 0
        self._idle = threading.Condition()
        self.tiles_read = 0
        self.gate = ReadGate(ConcurrencyController(
            maximum=options.workers, start=min(8, options.workers))) \
            if options.adaptive_workers else None
        self.sizes = RequestSizes(self.gate.controller) if self.gate is not None else None

    # -- public entry ------------------------------------------------------------------
    def run(self) -> WriteResult:
        t0 = time.perf_counter()
        if self.gate is not None:
            self._fit_adaptive_ceiling()
        plan = plan_for(self.spec, self.source, self.options)
        self.record = ResumeRecord(self.store, self.path, self.options.record_interval)
        state, self.plan = self.target.inspect(plan, self.record)
        if state == "complete":
            return self._result(t0, resumed=False, complete=True)
        if state == "fresh":
            self.record.start(self.plan.to_json())
            self.target.create_arrays(self.plan, self.dtype, self.fill)
        else:
            self.target.clean_partial_files()
            self.target.create_arrays(self.plan, self.dtype, self.fill, missing_only=True)
        self.arrays = [self.target.open_array(lv) for lv in self.plan.levels]
        encoder = sh.ChunkEncoder(self.options.compression, self.options.compression_level,
                                  self.dtype, self.options.zarr_format)
        done = self.record.load() if state == "resume" else set()
        self.pyramid = Pyramid(
            self.target, self.plan, self.record, encoder, self.dtype, self.fill, self.progress_cb,
            pixels_done=sum(self.plan.levels[k[0]].shard_pixels(k[1:]) for k in done),
            downsample=downsample_mode2 if self.spec.label is not None else downsample_mean2)
        self._write_passes()
        self.target.write_metadata(self.spec, self.plan, self.image_id)
        self.record.remove()
        self.target.clean_partial_files()
        return self._result(t0, resumed=state == "resume")

    def _fit_adaptive_ceiling(self) -> None:
        """Adaptive readers: the most of them (halving ``workers``, not below 4) whose
        chunks in flight leave the plan within the memory budget."""
        workers = self.options.workers
        while workers > 4 and plan_for(self.spec, self.source, replace(
                self.options, workers=workers)).estimated_memory > self.options.memory_budget:
            workers //= 2
        self.options = replace(self.options, workers=workers)
        ctrl = self.gate.controller if self.gate is not None else None
        if ctrl is not None:
            ctrl.maximum = workers
            ctrl.limit = min(ctrl.limit, workers)

    # -- passes ------------------------------------------------------------------------
    def _write_passes(self) -> None:
        # one read pool for the whole image: a source keeping a connection per thread
        # (thread-local) opens at most `workers` of them
        self._reads = ThreadPoolExecutor(self.options.workers, thread_name_prefix="ngff-read")
        self._encoders = ThreadPoolExecutor(cpu_threads(), thread_name_prefix="ngff-encode")
        try:
            # the passes' reads in one stream: a pass's last reads overlap the next
            # pass's first ones (a small image's few reads per level would otherwise
            # leave the server's cores idle at the end of every pass)
            self._run_reads([task for levels in passes(self.plan)
                             for task in tasks(self.plan, levels, self.record.done)])
        finally:
            self._encoders.shutdown(wait=True, cancel_futures=True)
            self._reads.shutdown(wait=True, cancel_futures=True)
            self.pyramid.abort()
            self.record.flush()

    def _run_reads(self, todo: list[Task]) -> None:
        if not todo:
            return
        window = threading.Semaphore(chunks_in_flight(self.options.workers))
        self._pending = 0
        self._idle = threading.Condition()
        self._error = None
        try:
            for order, task in enumerate(todo):
                while not window.acquire(timeout=0.2):
                    if self._failed():
                        break
                if self._failed():
                    break
                with self._idle:
                    self._pending += 1
                self._reads.submit(self._read_chunk, task, window, order)
            with self._idle:
                while self._pending:
                    self._idle.wait(0.2)
        except BaseException:
            self._abort.set()
            raise
        if self._error is not None:
            raise self._error
        partials, shards = self.pyramid.unfinished()
        if partials or shards:      # cannot happen unless a plan is inconsistent
            raise WriterError(f"{self.url}: internal error, {partials} pyramid chunks "
                              f"and {shards} shards left incomplete")

    # -- work of one chunk -------------------------------------------------------------
    def _read_chunk(self, task: Task, window: threading.Semaphore, order: int) -> None:
        """Reader thread: the chunk's pixels from the source (or, resuming, from the
        destination), handed to an encoder thread; its reads take their turn at the gate
        by the chunk's ``order`` in the schedule."""
        handed = False
        try:
            if self._abort.is_set():
                return
            kind, k, chunk = task
            lv = self.plan.levels[k]
            y0, y1, x0, x1 = lv.chunk_region(chunk)
            t, c, z = chunk[:3]
            if kind == "store":
                data = np.asarray(self.arrays[k][t, c, z, y0:y1, x0:x1])
            else:
                level = lv.source_level
                assert level is not None        # a pass reads the source at its top level
                data = np.empty((y1 - y0, x1 - x0), self.dtype)
                th, tw = self._tile_size(level)
                if self.sizes is not None:
                    th, tw = self.sizes.size(level, (th, tw), (lv.chunks[3], lv.chunks[4]))
                for ty in range((y0 // th) * th, y1, th):
                    for tx in range((x0 // tw) * tw, x1, tw):
                        ry0, ry1 = max(ty, y0), min(ty + th, y1)
                        rx0, rx1 = max(tx, x0), min(tx + tw, x1)
                        self._read_tile(data, level, t, c, z,
                                        ry0, rx0, ry1 - ry0, rx1 - rx0, y0, x0, order)
            self._encoders.submit(self._encode_chunk, k, chunk, data, kind == "source", window)
            handed = True
        except BaseException as exc:
            self._fail(exc)
        finally:
            if not handed:
                self._release(window)

    def _encode_chunk(self, k: int, chunk: tuple[int, int, int, int, int], data: np.ndarray,
                      write: bool, window: threading.Semaphore) -> None:
        """Encoder thread: write the chunk (unless it was read back) and feed the pyramid."""
        try:
            if not self._abort.is_set():
                self.pyramid.complete(k, chunk, data, write)
        except BaseException as exc:
            self._fail(exc)
        finally:
            self._release(window)

    def _release(self, window: threading.Semaphore) -> None:
        window.release()
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            if self._error is None and not isinstance(exc, _Aborted):
                self._error = exc
        self._abort.set()

    def _failed(self) -> bool:
        """Whether a reader or encoder thread failed (they set ``_error``)."""
        return self._error is not None

    def _tile_size(self, level: int = 0) -> tuple[int, int]:
        # a source whose tile differs per level (OMERO's readers) says so
        per_level = getattr(self.source, "level_tile_size", None)
        ts: Any = per_level(level) if per_level is not None else self.source.tile_size
        scalar: bool = np.isscalar(ts)
        if scalar:
            return int(ts), int(ts)
        return max(1, int(ts[0])), max(1, int(ts[1]))

    def _read_tile(self, buf: np.ndarray, level: int, t: int, c: int, z: int, y: int,
                   x: int, h: int, w: int, y0: int, x0: int, order: int = 0) -> None:
        if self._abort.is_set():
            raise _Aborted()
        if self.gate is None:
            data = np.asarray(self.source.read(level, t, c, z, y, x, h, w))
        else:
            with self.gate.read(h * w, self.source, order):
                data = np.asarray(self.source.read(level, t, c, z, y, x, h, w))
        if data.shape != (h, w):
            raise SourceError(f"{self.spec.name!r}: the source returned a {data.shape} tile for "
                              f"a ({h}, {w}) read at level {level} t={t} c={c} z={z} y={y} x={x}")
        if data.dtype != self.dtype and not (
                np.can_cast(data.dtype, self.dtype, "same_kind") or data.dtype == np.bool_):
            raise SourceError(f"{self.spec.name!r}: the source returned {data.dtype} "
                              f"pixels for a {self.dtype} image")
        buf[y - y0:y - y0 + h, x - x0:x - x0 + w] = data     # also swaps a big-endian source
        with self._lock:
            self.tiles_read += 1

    # -- bookkeeping -------------------------------------------------------------------
    def _result(self, t0: float, resumed: bool, complete: bool = False) -> WriteResult:
        plan = self.plan
        return WriteResult(
            url=self.url, ngff_version=self.version,
            level_shapes=tuple(lv.shape for lv in plan.levels),
            chunk_shapes=tuple(lv.chunks for lv in plan.levels),
            shard_shapes=tuple(lv.shards if self.version == "0.5" else None
                               for lv in plan.levels),
            objects_written=self.store.objects, bytes_written=self.store.bytes,
            seconds=time.perf_counter() - t0, resumed=resumed, already_complete=complete,
            tiles_read=self.tiles_read,
            levels_from_source=tuple(lv.index for lv in plan.levels
                                     if lv.source_level is not None))
