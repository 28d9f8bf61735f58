"""Writing shards one chunk at a time: encode each chunk as soon as its pixels are read,
append it to the shard's object in whatever order chunks finish, write the index last.

Why: ``array[region] = data`` needs the whole shard in memory (and zarr re-encodes it
there); with this module an open shard costs almost nothing in memory, so many shards can
be in flight at once and large shards cost no more than small ones.

Chunk bytes (`ChunkEncoder`): exactly what zarr stores for a chunk - the pixels as
little-endian C-order bytes, through the numcodecs compressor of ``codecs.py``
(Blosc/Zstd/GZip with the same settings for Zarr v2 and inside v3 shards; the tests
compare the bytes with zarr's own). Zarr v2 (NGFF 0.4) has no shards: each encoded
chunk is its own object, written with ``store.set_bytes``.

Shard object (Zarr v3 ``sharding_indexed``, ``index_location`` "end"): the encoded
chunks in any order, then the index - a uint64 little-endian array of shape
``(*chunks_per_shard, 2)`` in C order holding (offset from the start of the object,
length) per chunk, (2**64-1, 2**64-1) for an absent chunk (read as the fill value) -
then the crc32c of the index bytes (4 bytes, little endian). These index codecs
(``bytes`` little endian + ``crc32c``) are zarr's defaults; `check_sharding` verifies an
array uses exactly this layout, so a zarr upgrade that changes the defaults fails loudly
instead of writing unreadable shards.

Sinks (`open_sink` chooses by the store under the writer's wrappers):

- `LocalFileSink` (LocalStore): appends to ``<key>.<uuid8>.partial`` next to the
  target, renamed onto it at close: atomic, and a kill leaves only ``*.partial`` files,
  which the writer deletes.
- `SpoolSink` (FsspecStore: GCS, fsspec memory): an object store cannot append, so the
  shard is spooled to a local temporary file (TMPDIR, or the folder `set_spool_dir`
  gives) and uploaded at close with the filesystem's ``_put_file`` - gcsfs uploads
  it in resumable pieces with bounded memory, and the object only appears once
  complete.
- `MemorySink` (anything else: MemoryStore, wrappers that override ``set`` to count or
  inject failures): collects the bytes and ``set``s the object at close.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import google_crc32c
import numpy as np
from numpy.typing import DTypeLike
from zarr.abc.store import Store
from zarr.core.sync import sync
from zarr.storage import FsspecStore, LocalStore, WrapperStore

from . import codecs
from . import store as st
from .errors import NoSpaceError, StoreError, WriterError

if TYPE_CHECKING:
    import zarr
    from fsspec.asyn import AsyncFileSystem

MAX_UINT64 = 2**64 - 1
T = TypeVar("T")


class ChunkEncoder:
    """Encodes full chunks to the bytes zarr stores for them. Thread-safe, one encoder
    for all threads: the numcodecs compressors keep no state between calls (Blosc
    compresses with a per-call context off the main thread, under its lock on it) and
    release the GIL while compressing."""

    def __init__(self, compression: str, level: int | None, dtype: DTypeLike,
                 zarr_format: int) -> None:
        if zarr_format not in (2, 3):
            raise ValueError(f"zarr_format must be 2 or 3, not {zarr_format!r}")
        self.dtype = np.dtype(dtype).newbyteorder("<")
        # one compressor for both formats: v3_compressors has the same settings, and for
        # a typed array Blosc's typesize (v3's explicit one) is the item size
        self._compressor = codecs.chunk_compressor(compression, level, self.dtype)

    def encode(self, chunk: np.ndarray) -> bytes:
        """`chunk` has the full chunk shape (the caller pads edge chunks with the fill value), any
        byte order and memory layout; returns the bytes zarr itself would store for that chunk:
        v3 = BytesCodec(little endian, C order) then the compressors of codecs.v3_compressors(...);
        v2 = C-order little-endian bytes through codecs.v2_compressor(...). 'none' = raw bytes."""
        if (chunk.dtype.kind, chunk.dtype.itemsize) != (self.dtype.kind, self.dtype.itemsize):
            raise ValueError(f"chunk dtype {chunk.dtype} is not the array's {self.dtype}")
        data = np.ascontiguousarray(chunk, dtype=self.dtype)     # copies only if needed
        if self._compressor is None:
            return data.tobytes()
        return bytes(self._compressor.encode(data))


def index_bytes(index: np.ndarray) -> bytes:
    """The encoded shard index: the ``<u8`` array's bytes, then their crc32c."""
    raw = np.ascontiguousarray(index, dtype="<u8").tobytes()
    crc: int = google_crc32c.value(raw)
    return raw + crc.to_bytes(4, "little")


def check_sharding(array: zarr.Array[Any]) -> None:
    """WriterError unless ``array`` (a zarr v3 array) is sharded with the layout the sinks
    write: sharding as the only codec, index at the end, index codecs bytes(little) +
    crc32c, inner chunks starting with bytes(little) (no transposes)."""
    from zarr.codecs import BytesCodec, Crc32cCodec, ShardingCodec
    from zarr.codecs.bytes import Endian
    from zarr.codecs.sharding import ShardingCodecIndexLocation

    name = getattr(array, "path", "") or "array"
    outer = tuple(getattr(array.metadata, "codecs", ()))
    if len(outer) != 1 or not isinstance(outer[0], ShardingCodec):
        raise WriterError(f"{name}: codecs {[c.to_dict()['name'] for c in outer]} are not "
                        f"a single sharding codec, which the shard writer needs")
    sharding = outer[0]
    inner = sharding.codecs[0] if sharding.codecs else None
    little = (Endian.little, None)                  # None: one-byte types have no order
    problem = None
    if sharding.index_location != ShardingCodecIndexLocation.end:
        problem = f"index_location {sharding.index_location.value}"
    elif (len(sharding.index_codecs) != 2
          or not isinstance(sharding.index_codecs[0], BytesCodec)
          or sharding.index_codecs[0].endian != Endian.little
          or not isinstance(sharding.index_codecs[1], Crc32cCodec)):
        problem = f"index codecs {[c.to_dict() for c in sharding.index_codecs]}"
    elif not isinstance(inner, BytesCodec) or inner.endian not in little:
        problem = f"chunk codecs {[c.to_dict() for c in sharding.codecs]}"
    if problem:
        raise WriterError(f"{name}: sharding codec has {problem}; the shard writer writes "
                        f"index_location end with index codecs bytes(little) + crc32c "
                        f"and little-endian C-order chunks")


# -- sinks --------------------------------------------------------------------------------

def open_sink(store: Store, key: str, chunks_per_shard: tuple[int, ...]) -> ShardSink:
    """A sink for the shard object at ``key`` (relative to the store root) of the
    writer's CountingStore, suited to the store underneath (see the module docstring)."""
    cps = tuple(int(n) for n in chunks_per_shard)
    if not cps or min(cps) < 1:
        raise ValueError(f"chunks_per_shard must be positive, not {chunks_per_shard!r}")
    inner = _backend(store)
    if isinstance(inner, (LocalStore, FsspecStore)) and inner.read_only:
        raise StoreError(f"destination not writable: {key} (read-only store)")
    if isinstance(inner, LocalStore):
        return LocalFileSink(store, key, cps, os.path.join(str(inner.root), *key.split("/")))
    if isinstance(inner, FsspecStore):
        root = inner.path.rstrip("/")
        return SpoolSink(store, key, cps, inner.fs, f"{root}/{key}" if root else key)
    return MemorySink(store, key, cps)


_TRANSPARENT_SETS = (WrapperStore.set, st.CountingStore.set)


def _backend(store: Store) -> Store:
    """The store under wrappers that only pass writes on (or count them). A wrapper
    that overrides ``set`` (to inject failures, to count calls) wants to see every
    object, so it stops the search and the shard goes through ``set``."""
    while isinstance(store, WrapperStore) and type(store).set in _TRANSPARENT_SETS:
        store = store._store
    return store


def _destination_error(exc: Exception, key: str) -> StoreError:
    """``store._destination_error`` with the original exception as its cause."""
    err = st._destination_error(exc, key)
    if err is not exc:
        err.__cause__ = exc
    return err


class ShardSink:
    """Collects one shard's encoded chunks in arrival order and its index."""

    def __init__(self, store: Store, key: str, chunks_per_shard: tuple[int, ...]) -> None:
        self.store = store
        self.key = key
        self.chunks_per_shard = tuple(chunks_per_shard)
        self._index = np.full(self.chunks_per_shard + (2,), MAX_UINT64, dtype="<u8")
        self._size = 0              # bytes appended so far = offset of the next chunk
        self._added = 0
        self._closed = False
        self._failed: StoreError | None = None
        self._lock = threading.Lock()

    def add(self, position: tuple[int, ...], data: bytes) -> None:
        """Thread-safe. `position` = the chunk's index inside the shard (len ==
        len(chunks_per_shard)), each at most once (ValueError on a repeat or out of
        range). Appends data now."""
        pos = tuple(int(p) for p in position)
        if len(pos) != len(self.chunks_per_shard) or not all(
                0 <= p < n for p, n in zip(pos, self.chunks_per_shard)):
            raise ValueError(f"chunk position {position} outside a shard of "
                             f"{self.chunks_per_shard} chunks")
        with self._lock:
            if self._closed:
                raise ValueError(f"shard {self.key} is already closed")
            if self._failed is not None:
                raise self._failed
            if self._index[pos][0] != MAX_UINT64:
                raise ValueError(f"chunk {pos} added twice to shard {self.key}")
            try:
                self._append(data)
            except Exception as exc:    # the object's offsets are unknown from here on
                self._failed = _destination_error(exc, self.key)
                raise self._failed  # noqa: B904 - _destination_error sets the cause
            self._index[pos] = (self._size, len(data))
            self._size += len(data)
            self._added += 1

    def close(self) -> int:
        """Appends the index and makes the object visible; returns the object's size in
        bytes. If nothing was added, writes nothing (no object; zarr reads a missing
        shard as fill) and returns 0. Counts the object with store.count(key, nbytes)
        for the file/spool sinks."""
        with self._lock:
            if self._closed:
                raise ValueError(f"shard {self.key} is already closed")
            self._closed = True
            if self._failed is not None:
                self._drop()
                raise self._failed
            if not self._added:
                self._drop()
                return 0
            try:
                return self._finish(index_bytes(self._index))
            except Exception as exc:
                self._drop()
                raise _destination_error(exc, self.key)  # noqa: B904 - it sets the cause

    def abort(self) -> None:
        """Drops temporary files; nothing becomes visible. Safe to call twice / after close."""
        with self._lock:
            self._closed = True
            self._drop()

    # the three steps a sink implements (called under the lock)
    def _append(self, data: bytes) -> None:
        raise NotImplementedError

    def _finish(self, tail: bytes) -> int:
        """Append ``tail`` (the index), publish the object, return its size."""
        raise NotImplementedError

    def _drop(self) -> None:
        raise NotImplementedError


class MemorySink(ShardSink):
    """Holds the chunks in memory and ``set``s the object through the store at close."""

    def __init__(self, store: Store, key: str, chunks_per_shard: tuple[int, ...]) -> None:
        super().__init__(store, key, chunks_per_shard)
        self._parts: list[bytes] = []

    def _append(self, data: bytes) -> None:
        self._parts.append(data)

    def _finish(self, tail: bytes) -> int:
        self._parts.append(tail)
        payload = b"".join(self._parts)
        self._parts = []
        st.set_bytes(self.store, self.key, payload)     # counts and translates errors
        return len(payload)

    def _drop(self) -> None:
        self._parts = []


class _FileSink(ShardSink):
    """Appends to a temporary file (opened at the first chunk), publishes it at close."""

    def __init__(self, store: Store, key: str, chunks_per_shard: tuple[int, ...]) -> None:
        super().__init__(store, key, chunks_per_shard)
        self._file: BinaryIO | None = None
        self._path: str | None = None

    def _open(self) -> BinaryIO:
        raise NotImplementedError

    def _publish(self) -> None:
        raise NotImplementedError

    def _append(self, data: bytes) -> None:
        if self._file is None:
            self._file = self._open()
        self._file.write(data)

    def _finish(self, tail: bytes) -> int:
        assert self._file is not None       # opened by the first _append
        self._file.write(tail)
        self._file.close()
        self._file = None
        self._publish()
        size = self._size + len(tail)
        count = getattr(self.store, "count", None)
        if count is not None:
            count(self.key, size)
        return size

    def _drop(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._path)
            self._path = None


class LocalFileSink(_FileSink):
    """``<root>/<key>.<uuid8>.partial``, renamed onto ``<root>/<key>`` at close."""

    def __init__(self, store: Store, key: str, chunks_per_shard: tuple[int, ...],
                 target: str) -> None:
        super().__init__(store, key, chunks_per_shard)
        self.target = target

    def _open(self) -> BinaryIO:
        os.makedirs(os.path.dirname(self.target), exist_ok=True)
        self._path = f"{self.target}.{uuid.uuid4().hex[:8]}.partial"
        return open(self._path, "wb")

    def _publish(self) -> None:
        assert self._path is not None       # set by _open
        os.replace(self._path, self.target)
        self._path = None


_spool_dir: str | None = None        # None: TMPDIR
FAILPOINT_ENV = "OMERO_NGFF_FAILPOINT"     # see storage.failpoints


def set_spool_dir(folder: str | None) -> None:
    """Where spool files go from now on (the caller's per-run folder, which the next
    run removes if this process dies); None: TMPDIR itself."""
    global _spool_dir
    _spool_dir = folder


class SpoolSink(_FileSink):
    """A temporary file in the spool folder (TMPDIR unless set), uploaded to ``remote``
    with ``fs._put_file`` at close. Running out of space there names that folder: it
    is local, not the destination."""

    def __init__(self, store: Store, key: str, chunks_per_shard: tuple[int, ...],
                 fs: AsyncFileSystem, remote: str) -> None:
        super().__init__(store, key, chunks_per_shard)
        self.fs = fs
        self.remote = remote
        self.folder = _spool_dir or tempfile.gettempdir()

    def _open(self) -> BinaryIO:
        fd, self._path = self._local(lambda: tempfile.mkstemp(
            prefix="ngff-shard-", suffix=".spool", dir=self.folder))
        return os.fdopen(fd, "wb")

    def _append(self, data: bytes) -> None:
        self._local(lambda: super(SpoolSink, self)._append(data))
        if os.environ.get(FAILPOINT_ENV) == "mid-shard":    # tests: kill -9 mid-shard
            assert self._file is not None
            self._file.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    def _local(self, write: Callable[[], T]) -> T:
        """``write()``; running out of space names the local spool folder."""
        try:
            return write()
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise NoSpaceError(f"no space left in the local folder {self.folder} "
                               f"spooling {self.key} before upload (free space there, "
                               "or set TMPDIR to a larger folder)") from exc

    def _finish(self, tail: bytes) -> int:
        return self._local(lambda: super(SpoolSink, self)._finish(tail))

    def _publish(self) -> None:
        sync(self.fs._put_file(self._path, self.remote))
        self._drop()
