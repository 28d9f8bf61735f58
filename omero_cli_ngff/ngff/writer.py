"""Streaming, parallel, resumable writing of one image as OME-Zarr.

Design
------
*Unit of work: a shard.* Each level is cut into shards (Zarr v3) or equally sized
write units (Zarr v2); see ``layout``. A shard is assembled in memory from the source's
tiles (read by ``workers`` threads at once: the source is network-bound) and written
with one ``array[region] = data`` call, which zarr turns into one object (v3) or one
object per chunk (v2), compressing the chunks in its own thread pool. Writing overlaps
reading: ``inflight`` shards are worked on concurrently, each by its own thread, while
the read pool keeps fetching tiles (oldest shard first).

*Pyramid without re-reading.* A shard's full-resolution data is downsampled (2x2 mean)
while it is in memory, and the quarter-size piece is copied into the partial shard of
the next level that contains it; when a partial shard is complete it is written and
downsampled in turn, down the pyramid. Shards of a plane are processed in Z-order
(``layout.morton_order``) and a new one starts only within ``inflight`` positions of
the oldest unfinished one, so at most ceil(inflight / 4**d) + 1 partial shards wait at
depth d: memory is bounded by the plan (``layout.estimate_memory``), not by the image
size, and no level is ever read back from the destination. Levels the source offers
(its ``levels`` match the halving) are read from the source in their own pass, and
levels below them are computed from them the same way.

Measured (``python -m omero_cli_ngff.ngff.selfcheck``, shared 2-core machine, local
disk): a 100,000 x 100,000 RGB uint8 image (27.9 GiB raw, 10 levels, 4096 shards,
2,633 objects) with 8 workers and the 1 GiB budget peaked at 795 MiB RSS (plan
estimate 914 MiB); 16384^2 RGB with 50 ms per tile read: 9 s with 8 workers, 7 s
with 16 (the reads alone would take 4.8 s / 2.4 s serially per worker).

*Resumable.* Before any data, the plan is stored in the resume record
(``record.ResumeRecord``, ``<image>/.ngff-progress/``); each shard is recorded after
its object is written. A rerun reads the record, skips recorded shards, and re-derives
a missing pyramid shard from its recorded children (read back from the destination,
once each) or from the source. The NGFF metadata (``multiscales``/``omero``, what
readers and the publisher's check look at) is written only after all data, and the
record is deleted last: while the record exists, the image is incomplete. A kill at
any moment therefore leaves either an incomplete image that a rerun finishes, with the
same bytes as an uninterrupted write, or a complete one.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

import numpy as np
import zarr

from . import codecs as cd
from . import metadata as md
from . import store as st
from .downsample import downsample_mean2
from .errors import InvalidSpecError, NgffError, SourceError, TargetExistsError
from .layout import ImagePlan, LevelPlan, morton_order, plan_image, plan_memory
from .record import RECORD_DIR, ResumeRecord
from .spec import ImageSpec, Progress, ProgressCallback, TileSource, WriteOptions, WriteResult

__all__ = ["write_image", "plan_for", "ImageWriter"]


def plan_for(spec: ImageSpec, source: TileSource, options: WriteOptions) -> ImagePlan:
    """The plan ``write_image`` would use (for dry runs and reports)."""
    levels = [tuple(int(v) for v in lv) for lv in (source.levels or [(spec.size_y, spec.size_x)])]
    if levels[0] != (spec.size_y, spec.size_x):
        raise InvalidSpecError(f"{spec.name!r}: the source's full resolution is {levels[0][0]}x"
                               f"{levels[0][1]} (y x), the image is {spec.size_y}x{spec.size_x}")
    ts = source.tile_size
    ts = (int(ts), int(ts)) if np.isscalar(ts) else (int(ts[0]), int(ts[1]))
    return plan_image(spec.shape, spec.numpy_dtype, ngff_version=options.ngff_version,
                      compression=cd.describe(options.compression, options.compression_level),
                      chunk_size=options.chunk_size, shard_size=options.shard_size,
                      shard_bytes=options.shard_bytes, min_level_size=options.min_level_size,
                      workers=options.workers, memory_budget=options.memory_budget,
                      source_levels=levels, tile_size=ts)


def write_image(dest, spec: ImageSpec, source: TileSource, options: Optional[WriteOptions] = None,
                progress: Optional[ProgressCallback] = None, *, storage_options: Optional[dict] = None,
                path: str = "", image_id: Optional[int] = None) -> WriteResult:
    """Write one image as an OME-Zarr multiscales group and return what was done.

    ``dest``: a zarr store, a local folder, or an fsspec URL (``gs://bucket/x.ome.zarr``;
    ``storage_options`` are passed to fsspec). ``path``: the image group inside it
    ('' = the root). ``progress`` is called from worker threads with a ``Progress``.
    ``image_id`` goes into the ``omero`` block. Raises ``NgffError`` subclasses
    (``TargetExistsError``, ``DestinationError``, ``NoSpaceError``...); errors of
    the source itself propagate unchanged after the resume record is saved.
    """
    options = options or WriteOptions()
    store, url = st.open_store(dest, storage_options)
    return ImageWriter(store, url, spec, source, options, progress, path=path,
                       image_id=image_id).run()


class _Aborted(Exception):
    """Another shard failed: stop without writing half-read data."""


class _Partial:
    """A pyramid shard being filled from the downsampled pieces of the level above."""

    __slots__ = ("data", "filled", "area")

    def __init__(self, shape, dtype):
        self.data = np.empty(shape, dtype)
        self.filled = 0
        self.area = shape[0] * shape[1]


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
        self._lock = threading.Lock()
        self._partials: Dict[tuple, _Partial] = {}
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
        self.arrays = [self._open_array(lv) for lv in plan.levels]
        done = self.record.load() if state == "resume" else set()
        self.pixels_total = sum(lv.n_pixels for lv in plan.levels)
        self.pixels_done = sum(self._shard_area(k) for k in done)
        # one read pool for the whole image: a source keeping a connection per thread
        # (thread-local) opens at most `workers` of them
        self._reads = ThreadPoolExecutor(self.options.workers, thread_name_prefix="ngff-read")
        self._units = ThreadPoolExecutor(max(1, plan.inflight), thread_name_prefix="ngff-shard")
        try:
            for levels in self._passes():
                self._run_pass(levels)
        finally:
            self._units.shutdown(wait=True, cancel_futures=True)
            self._reads.shutdown(wait=True, cancel_futures=True)
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
                side, inflight, est = plan_memory(
                    [lv.shape[3:] for lv in old.levels], self.options.chunk_size,
                    self.dtype.itemsize, self.options.workers, self.options.memory_budget,
                    self.options.shard_bytes, 0, [lv.source_level is None for lv in old.levels],
                    shard_side=old.shard_side)
                return "resume", ImagePlan(old.levels, old.dtype, old.ngff_version, old.compression,
                                           old.shard_side, inflight, est)
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
    def _create_arrays(self) -> None:
        fmt = self.options.zarr_format
        group = zarr.open_group(self.store, path=self.path, mode="a", zarr_format=fmt)
        fill = self.options.fill_value if self.options.fill_value is not None else 0
        for lv in self.plan.levels:
            kw = dict(name=str(lv.index), shape=lv.shape, dtype=self.dtype, chunks=lv.chunks,
                      fill_value=np.array(fill).astype(self.dtype).item(), overwrite=True,
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

    def _open_array(self, lv: LevelPlan):
        arr = zarr.open_array(self.store, path=self._key(str(lv.index)), mode="r+",
                              zarr_format=self.options.zarr_format)
        if tuple(arr.shape) != lv.shape:
            raise TargetExistsError(f"{self.url}/{lv.index}: array shape {arr.shape} differs from "
                                    f"the recorded plan {lv.shape}; use overwrite")
        return arr.with_config({"write_empty_chunks": self.options.write_empty_chunks})

    # -- passes ------------------------------------------------------------------------
    def _passes(self) -> List[List[int]]:
        out: List[List[int]] = []
        for lv in self.plan.levels:
            if lv.source_level is not None or not out:
                out.append([lv.index])
            else:
                out[-1].append(lv.index)
        return out

    def _parents(self, k: int, r: int, c: int) -> List[Tuple[int, int]]:
        """Shards of level k+1 that the downsampled shard (r, c) of level k falls into."""
        y0, y1, x0, x1 = self.plan.levels[k].shard_region(r, c)
        up = self.plan.levels[k + 1]
        sy, sx = up.shards[3], up.shards[4]
        ry = range((y0 // 2) // sy, (-(-y1 // 2) - 1) // sy + 1)
        rx = range((x0 // 2) // sx, (-(-x1 // 2) - 1) // sx + 1)
        return [(a, b) for a in ry for b in rx]

    def _actions(self, levels: List[int]) -> List[Tuple[str, tuple]]:
        """The ordered work of a pass: ('source', key) reads a shard of the pass's first
        level from the source; ('store', key) reads back a recorded shard whose parent is
        still missing (resume only). Everything else follows by feeding parents."""
        done = self.record.done
        j = levels[0]
        top = levels[-1]
        t_, c_, z_ = self.plan.levels[j].shape[:3]
        order = morton_order(*self.plan.levels[j].grid)
        parents_cache: Dict[tuple, list] = {}
        emitted = set()
        actions = []
        for t in range(t_):
            for c in range(c_):
                for z in range(z_):
                    for r, col in order:
                        key = (j, t, c, z, r, col)
                        if key not in done:
                            actions.append(("source", key))
                        if not done:
                            continue
                        frontier = {(r, col)}
                        for k in range(j, top):
                            nxt = set()
                            for rc in frontier:
                                ps = parents_cache.get((k,) + rc)
                                if ps is None:
                                    ps = parents_cache[(k,) + rc] = self._parents(k, *rc)
                                kk = (k, t, c, z) + rc
                                if kk in done and kk not in emitted and any(
                                        (k + 1, t, c, z) + p not in done for p in ps):
                                    emitted.add(kk)
                                    actions.append(("store", kk))
                                nxt.update(ps)
                            frontier = nxt
        return actions

    def _run_pass(self, levels: List[int]) -> None:
        self._pass_top = levels[-1]
        actions = self._actions(levels)
        if not actions:
            return
        inflight = max(1, self.plan.inflight)
        pending: deque = deque()
        units = self._units
        try:
            for i, action in enumerate(actions):
                while pending and (pending[0][1].done() or i - pending[0][0] >= inflight):
                    pending.popleft()[1].result()         # re-raises a worker's error
                pending.append((i, units.submit(self._run_action, *action)))
            while pending:
                pending.popleft()[1].result()
        except BaseException:
            self._abort.set()
            for _, f in pending:
                f.cancel()
            raise
        if self._partials:      # cannot happen unless a plan is inconsistent
            raise NgffError(f"{self.url}: internal error, {len(self._partials)} pyramid shards "
                            f"left incomplete")

    # -- work of one shard -------------------------------------------------------------
    def _run_action(self, kind: str, key: tuple) -> None:
        if self._abort.is_set():
            return
        k, t, c, z, r, col = key
        y0, y1, x0, x1 = self.plan.levels[k].shard_region(r, col)
        if kind == "store":
            data = np.asarray(self.arrays[k][t, c, z, y0:y1, x0:x1])
            self._complete(key, data, write=False)
            return
        buf = np.empty((y1 - y0, x1 - x0), self.dtype)
        th, tw = self._tile_size()
        futures = []
        for ty in range((y0 // th) * th, y1, th):
            for tx in range((x0 // tw) * tw, x1, tw):
                ry0, ry1 = max(ty, y0), min(ty + th, y1)
                rx0, rx1 = max(tx, x0), min(tx + tw, x1)
                futures.append(self._reads.submit(
                    self._read_tile, buf, self.plan.levels[k].source_level, t, c, z,
                    ry0, rx0, ry1 - ry0, rx1 - rx0, y0, x0))
        try:
            for f in futures:
                f.result()
        except _Aborted:
            return
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        if self._abort.is_set():
            return
        self._complete(key, buf, write=True)

    def _tile_size(self) -> Tuple[int, int]:
        ts = self.source.tile_size
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
        buf[y - y0:y - y0 + h, x - x0:x - x0 + w] = data
        with self._lock:
            self.tiles_read += 1

    def _complete(self, key: tuple, data: np.ndarray, write: bool) -> None:
        """A shard's data is final: write it (unless read back), record it, and feed its
        downsampled version to the partial shards of the next level."""
        k, t, c, z, r, col = key
        y0, y1, x0, x1 = self.plan.levels[k].shard_region(r, col)
        if write:
            self.arrays[k][t:t + 1, c:c + 1, z:z + 1, y0:y1, x0:x1] = data[None, None, None]
            self.record.add(key)
            self._advance(data.size)
        if k < self._pass_top:
            self._feed(k + 1, t, c, z, y0 // 2, x0 // 2, downsample_mean2(data))

    def _feed(self, k: int, t: int, c: int, z: int, y: int, x: int, piece: np.ndarray) -> None:
        lv = self.plan.levels[k]
        sy, sx = lv.shards[3], lv.shards[4]
        h, w = piece.shape
        done = self.record.done
        ready = []
        for pr in range(y // sy, (y + h - 1) // sy + 1):
            for pc in range(x // sx, (x + w - 1) // sx + 1):
                key = (k, t, c, z, pr, pc)
                if key in done:
                    continue
                py0, py1, px0, px1 = lv.shard_region(pr, pc)
                oy0, oy1 = max(py0, y), min(py1, y + h)
                ox0, ox1 = max(px0, x), min(px1, x + w)
                with self._lock:
                    part = self._partials.get(key)
                    if part is None:
                        part = self._partials[key] = _Partial((py1 - py0, px1 - px0), self.dtype)
                    part.data[oy0 - py0:oy1 - py0, ox0 - px0:ox1 - px0] = \
                        piece[oy0 - y:oy1 - y, ox0 - x:ox1 - x]
                    part.filled += (oy1 - oy0) * (ox1 - ox0)
                    if part.filled == part.area:
                        ready.append((key, self._partials.pop(key).data))
        for key, data in ready:
            self._complete(key, data, write=True)

    # -- bookkeeping -------------------------------------------------------------------
    def _shard_area(self, key: tuple) -> int:
        y0, y1, x0, x1 = self.plan.levels[key[0]].shard_region(key[4], key[5])
        return (y1 - y0) * (x1 - x0)

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
