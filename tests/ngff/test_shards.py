"""ngff.shards: chunks encoded one by one and appended to shard objects read back by
zarr exactly; the sinks' files, errors and counting."""

import errno
import glob
import itertools
import os
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import fsspec
import numpy as np
import pytest
import zarr
from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper
from zarr.codecs import BytesCodec, Crc32cCodec
from zarr.codecs.sharding import ShardingCodec, ShardingCodecIndexLocation
from zarr.storage import FsspecStore, LocalStore, MemoryStore, WrapperStore

from omero_cli_ngff.ngff import codecs, shards
from omero_cli_ngff.ngff import store as st
from omero_cli_ngff.ngff.errors import NoSpaceError, StoreError, WriterError

SHAPE = (1, 3, 5, 100, 90)      # partial edge chunks; the last shards stick out
CHUNKS = (1, 1, 1, 32, 32)
SHARDS = (1, 2, 3, 64, 64)
CPS = tuple(s // c for s, c in zip(SHARDS, CHUNKS))
FILL = 7
DTYPES = ("uint8", "uint16", "float32")


def pixels(dtype, shape=SHAPE, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.normal(100, 30, shape).astype(dtype)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


def make_store(kind, tmp_path):
    if kind == "local":
        return LocalStore(str(tmp_path / "img.zarr"))
    if kind == "fsspec-memory":
        fs = AsyncFileSystemWrapper(fsspec.filesystem("memory"), asynchronous=True)
        return FsspecStore(fs, path=f"/shards-test/{uuid.uuid4().hex}/img.zarr")
    return MemoryStore()


def create(store, dtype, compression, level=None, name="0"):
    return zarr.create_array(store, name=name, shape=SHAPE, chunks=CHUNKS, shards=SHARDS,
                             dtype=dtype, fill_value=FILL,
                             compressors=codecs.v3_compressors(compression, level, dtype))


def padded_chunk(data, chunk_index):
    """The chunk at ``chunk_index`` (grid coordinates), padded to CHUNKS with FILL."""
    region = tuple(slice(i * c, min((i + 1) * c, s))
                   for i, c, s in zip(chunk_index, CHUNKS, data.shape))
    out = np.full(CHUNKS, FILL, dtype=data.dtype)
    out[tuple(slice(0, r.stop - r.start) for r in region)] = data[region]
    return out, region


def write_shards(store, data, compression, drop=0.2, threads=1, seed=1, name="0"):
    """Write every shard of ``data`` through open_sink, chunks in a shuffled order, a
    fraction ``drop`` of them left out; returns the expected array (dropped = FILL)."""
    rng = random.Random(seed)
    encoder = shards.ChunkEncoder(compression, None, data.dtype, zarr_format=3)
    expected = data.copy()
    grid = [-(-s // c) for s, c in zip(SHAPE, SHARDS)]
    jobs, sinks = [], []
    for shard in itertools.product(*map(range, grid)):
        key = f"{name}/c/" + "/".join(map(str, shard))
        sink = shards.open_sink(store, key, CPS)
        sinks.append(sink)
        for pos in itertools.product(*map(range, CPS)):
            chunk_index = tuple(s * n + p for s, n, p in zip(shard, CPS, pos))
            if any(i * c >= s for i, c, s in zip(chunk_index, CHUNKS, SHAPE)):
                continue                    # wholly outside the array: never written
            chunk, region = padded_chunk(data, chunk_index)
            if rng.random() < drop:
                expected[region] = FILL
                continue
            jobs.append((sink, pos, chunk))
    rng.shuffle(jobs)

    def run(job):
        sink, pos, chunk = job
        sink.add(pos, encoder.encode(chunk))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, jobs))
    sizes = [sink.close() for sink in sinks]
    return expected, sizes


def open_read(store, name="0"):
    return zarr.open_array(store, path=name, mode="r")


# -- the round trip through zarr ------------------------------------------------------------

@pytest.mark.parametrize("kind", ["local", "fsspec-memory", "memory"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compression", codecs.COMPRESSIONS)
def test_streamed_shards_read_back_exactly(tmp_path, kind, dtype, compression):
    store = make_store(kind, tmp_path)
    arr = create(store, dtype, compression)
    shards.check_sharding(arr)
    data = pixels(dtype)
    expected, sizes = write_shards(st.CountingStore(store), data, compression)
    assert not np.array_equal(expected, data)           # some chunks really were dropped
    back = open_read(store)[:]
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, expected)
    assert all(s > 0 for s in sizes)


def test_many_threads_big_endian_and_strided_input(tmp_path):
    store = make_store("local", tmp_path)
    create(store, "uint16", "blosc-zstd")
    data = pixels(">u2")                                 # big-endian input
    expected, _ = write_shards(st.CountingStore(store), data, "blosc-zstd", threads=6)
    np.testing.assert_array_equal(open_read(store)[:], expected.astype("uint16"))
    # Fortran-ordered and non-contiguous chunks encode as their C-order values
    enc = shards.ChunkEncoder("blosc-zstd", None, "uint16", zarr_format=3)
    chunk = pixels("uint16", CHUNKS)
    expect = enc.encode(chunk)
    assert enc.encode(np.asfortranarray(chunk)) == expect
    assert enc.encode(chunk.astype(">u2")) == expect
    wide = np.zeros(CHUNKS[:-1] + (64,), dtype="uint16")
    wide[..., ::2] = chunk
    assert enc.encode(wide[..., ::2]) == expect


def test_whole_shard_is_byte_identical_to_zarrs():
    """The strongest check of the index format: a full interior shard, chunks added in
    the order zarr writes them (Morton), is exactly the object zarr writes itself."""
    from zarr.core.indexing import morton_order_iter

    ours, theirs = MemoryStore(), MemoryStore()
    data = pixels("uint16")
    create(theirs, "uint16", "blosc-lz4")[:] = data
    create(ours, "uint16", "blosc-lz4")
    enc = shards.ChunkEncoder("blosc-lz4", None, "uint16", zarr_format=3)
    sink = shards.open_sink(ours, "0/c/0/0/0/0/0", CPS)
    for pos in morton_order_iter(CPS):
        sink.add(pos, enc.encode(padded_chunk(data, pos)[0]))
    size = sink.close()
    mine = st.get_bytes(ours, "0/c/0/0/0/0/0")
    assert mine == st.get_bytes(theirs, "0/c/0/0/0/0/0")
    assert size == len(mine)
    n = int(np.prod(CPS))
    index = np.frombuffer(mine[-16 * n - 4:-4], dtype="<u8").reshape(CPS + (2,))
    assert index[0, 0, 0, 0, 0, 0] == 0 and index[..., 1].sum() == len(mine) - 16 * n - 4


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compression", codecs.COMPRESSIONS)
def test_encoder_gives_zarrs_own_chunk_bytes(dtype, compression):
    """Against unsharded v3 and v2 arrays written by zarr: the same bytes per chunk."""
    data = pixels(dtype, (2, 64, 64))
    enc3 = shards.ChunkEncoder(compression, None, dtype, zarr_format=3)
    enc2 = shards.ChunkEncoder(compression, None, dtype, zarr_format=2)
    s3, s2 = MemoryStore(), MemoryStore()
    zarr.create_array(s3, shape=data.shape, chunks=(1, 32, 32), dtype=dtype,
                      compressors=codecs.v3_compressors(compression, None, dtype))[:] = data
    zarr.create_array(s2, shape=data.shape, chunks=(1, 32, 32), dtype=dtype, zarr_format=2,
                      chunk_key_encoding={"name": "v2", "separator": "/"},
                      compressors=codecs.v2_compressor(compression, None, dtype))[:] = data
    for i, j, k in itertools.product(range(2), range(2), range(2)):
        chunk = data[i:i + 1, 32 * j:32 * j + 32, 32 * k:32 * k + 32]
        assert without_time(enc3.encode(chunk), compression) == \
            without_time(st.get_bytes(s3, f"c/{i}/{j}/{k}"), compression)
        assert without_time(enc2.encode(chunk), compression) == \
            without_time(st.get_bytes(s2, f"{i}/{j}/{k}"), compression)


def without_time(data, compression):
    """gzip headers carry a modification time (bytes 4-7, RFC 1952): zarr's is the clock's,
    ours is zero, so that chunks encode the same at any time."""
    return data[:4] + data[8:] if compression == "gzip" else data


def test_gzip_chunks_encode_the_same_at_any_time(monkeypatch):
    import time as clock
    chunk = pixels("uint16", (1, 32, 32))
    enc = shards.ChunkEncoder("gzip", None, "uint16", zarr_format=3)
    first = enc.encode(chunk)
    monkeypatch.setattr(clock, "time", lambda: 4_000_000_000.0)
    assert enc.encode(chunk) == first and first[4:8] == bytes(4)


def test_encoder_is_thread_safe():
    chunks = [pixels("uint8", (1, 256, 256), seed=s) for s in range(24)]
    for compression in ("blosc-zstd", "zstd", "gzip"):
        enc = shards.ChunkEncoder(compression, None, "uint8", zarr_format=3)
        serial = [enc.encode(c) for c in chunks]
        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(enc.encode, chunks)) == serial


def test_encoder_rejects_another_dtype():
    enc = shards.ChunkEncoder("zstd", 3, "uint16", zarr_format=3)
    with pytest.raises(ValueError, match="dtype"):
        enc.encode(np.zeros(CHUNKS, dtype="int32"))


@pytest.mark.parametrize("compression", codecs.COMPRESSIONS)
def test_zarr_v2_one_object_per_chunk(tmp_path, compression):
    store = LocalStore(str(tmp_path / "v2.zarr"))
    zarr.create_array(store, name="0", shape=SHAPE, chunks=CHUNKS, dtype="uint16",
                      fill_value=FILL, zarr_format=2,
                      chunk_key_encoding={"name": "v2", "separator": "/"},
                      compressors=codecs.v2_compressor(compression, None, "uint16"))
    data = pixels("uint16")
    enc = shards.ChunkEncoder(compression, None, "uint16", zarr_format=2)
    counting = st.CountingStore(store)
    grid = [-(-s // c) for s, c in zip(SHAPE, CHUNKS)]
    for chunk_index in itertools.product(*map(range, grid)):
        st.set_bytes(counting, "0/" + "/".join(map(str, chunk_index)),
                     enc.encode(padded_chunk(data, chunk_index)[0]))
    assert counting.objects == int(np.prod(grid))
    np.testing.assert_array_equal(open_read(store)[:], data)


# -- the sharding layout zarr uses ---------------------------------------------------------

def test_zarr_default_sharding_is_what_the_sinks_write():
    """A zarr upgrade that changes the default index layout must fail here first."""
    for dtype in DTYPES:
        arr = create(MemoryStore(), dtype, "blosc-zstd")
        (codec,) = arr.metadata.codecs
        assert isinstance(codec, ShardingCodec)
        assert codec.index_location == ShardingCodecIndexLocation.end
        assert codec.index_codecs == (BytesCodec(endian="little"), Crc32cCodec())
        shards.check_sharding(arr)


@pytest.mark.filterwarnings("ignore:Combining a `sharding_indexed` codec")
def test_check_sharding_rejects_other_layouts():
    from zarr.codecs import ShardingCodec as SC
    for other in (SC(chunk_shape=CHUNKS, index_location="start"),
                  SC(chunk_shape=CHUNKS, index_codecs=[BytesCodec()])):
        arr = zarr.create_array(MemoryStore(), shape=SHAPE, dtype="uint16",
                                chunks=SHARDS, serializer=other)
        with pytest.raises(WriterError) as err:
            shards.check_sharding(arr)
        assert "\n" not in str(err.value) and "sharding" in str(err.value)
    unsharded = zarr.create_array(MemoryStore(), shape=SHAPE, chunks=CHUNKS, dtype="uint8")
    with pytest.raises(WriterError, match="single sharding codec"):
        shards.check_sharding(unsharded)


# -- sinks ------------------------------------------------------------------------------------

def test_sink_choice_follows_the_store_under_the_wrappers(tmp_path):
    class Intercepting(WrapperStore):
        async def set(self, key, value):
            await self._store.set(key, value)

    local = LocalStore(str(tmp_path))
    memfs = make_store("fsspec-memory", tmp_path)
    cases = [(st.CountingStore(local), shards.LocalFileSink),
             (st.CountingStore(WrapperStore(local)), shards.LocalFileSink),
             (st.CountingStore(memfs), shards.SpoolSink),
             (st.CountingStore(MemoryStore()), shards.MemorySink),
             (st.CountingStore(Intercepting(local)), shards.MemorySink)]
    for store, cls in cases:
        sink = shards.open_sink(store, "a/c/0", (2,))
        assert type(sink) is cls
        sink.abort()
    with pytest.raises(StoreError, match="read-only"):
        shards.open_sink(LocalStore(str(tmp_path), read_only=True), "a/c/0", (2,))


def test_local_file_sink_is_atomic(tmp_path):
    root = tmp_path / "img.zarr"
    store = st.CountingStore(LocalStore(str(root)))
    target = root / "0" / "c" / "0" / "1"
    sink = shards.open_sink(store, "0/c/0/1", (2, 2))
    sink.add((1, 0), b"abc")
    assert not target.exists()
    assert len(glob.glob(f"{target}.*.partial")) == 1
    with pytest.raises(ValueError, match="twice"):
        sink.add((1, 0), b"x")
    with pytest.raises(ValueError, match="outside"):
        sink.add((2, 0), b"x")
    with pytest.raises(ValueError, match="outside"):
        sink.add((0,), b"x")
    sink.add((0, 1), b"de")
    assert sink.close() == 5 + 16 * 4 + 4
    assert target.read_bytes()[:5] == b"abcde"
    assert glob.glob(f"{root}/**/*.partial", recursive=True) == []
    with pytest.raises(ValueError, match="closed"):
        sink.add((0, 0), b"x")
    sink.abort()                                        # after close: harmless
    assert target.exists()

    aborted = shards.open_sink(store, "0/c/0/2", (2, 2))
    aborted.add((0, 0), b"abc")
    aborted.abort()
    aborted.abort()
    assert not (root / "0" / "c" / "0" / "2").exists()
    assert glob.glob(f"{root}/**/*.partial", recursive=True) == []

    empty = shards.open_sink(store, "0/c/0/3", (2, 2))
    assert empty.close() == 0
    assert not (root / "0" / "c" / "0" / "3").exists()
    assert (store.objects, store.bytes) == (1, 5 + 16 * 4 + 4)


def test_counting_store_counts_sink_objects(tmp_path):
    for kind in ("local", "fsspec-memory", "memory"):
        store = st.CountingStore(make_store(kind, tmp_path / kind), uncounted=(".record",))
        sizes = []
        for key in ("0/c/0/0", "0/c/0/1", "0/c/0/1"):        # the last rewrites a key
            sink = shards.open_sink(store, key, (1, 2))
            sink.add((0, 1), b"x" * 10)
            sizes.append(sink.close())
        record = shards.open_sink(store, ".record/0", (1,))
        record.add((0,), b"r")
        record.close()
        assert store.objects == 2, kind
        assert store.bytes == sum(sizes) == 3 * (10 + 2 * 16 + 4), kind
    store.count("0/c/9/9", 100)
    assert (store.objects, store.bytes) == (3, sum(sizes) + 100)


def test_no_space_while_appending(tmp_path, monkeypatch):
    root = tmp_path / "img.zarr"
    store = st.CountingStore(LocalStore(str(root)))

    class FullFile:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.f.close()

    # the sink closes the file it opens
    monkeypatch.setattr(shards, "open", lambda *a: FullFile(open(*a)),  # noqa: SIM115
                        raising=False)
    sink = shards.open_sink(store, "0/c/0/0", (2,))
    with pytest.raises(NoSpaceError) as err:
        sink.add((0,), b"abc")
    assert "\n" not in str(err.value) and "0/c/0/0" in str(err.value)
    with pytest.raises(NoSpaceError):                   # the sink stays failed
        sink.add((1,), b"abc")
    assert len(glob.glob(f"{root}/**/*.partial", recursive=True)) == 1
    sink.abort()
    assert [f for f in glob.glob(f"{root}/**/*", recursive=True) if os.path.isfile(f)] == []
    assert store.objects == 0


def test_no_space_at_close(tmp_path, monkeypatch):
    root = tmp_path / "img.zarr"
    sink = shards.open_sink(st.CountingStore(LocalStore(str(root))), "0/c/0/0", (2,))
    sink.add((0,), b"abc")

    def full(src, dst):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr(shards.os, "replace", full)
    with pytest.raises(NoSpaceError):
        sink.close()
    sink.abort()
    assert [f for f in glob.glob(f"{root}/**/*", recursive=True) if os.path.isfile(f)] == []


def test_spool_sink_upload_failure_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "spool"))
    os.makedirs(tmp_path / "spool")
    monkeypatch.setattr(shards.tempfile, "tempdir", None)      # re-read TMPDIR
    store = make_store("fsspec-memory", tmp_path)
    sink = shards.open_sink(st.CountingStore(store), "0/c/0/0", (2,))
    sink.add((0,), b"abc")
    assert len(os.listdir(tmp_path / "spool")) == 1

    async def broken(lpath, rpath, **kw):
        raise ConnectionError("upload refused\nwith details")

    monkeypatch.setattr(store.fs, "_put_file", broken)
    with pytest.raises(StoreError) as err:
        sink.close()
    assert str(err.value) == "cannot write 0/c/0/0: upload refused"
    sink.abort()
    assert os.listdir(tmp_path / "spool") == []
    assert st.get_bytes(store, "0/c/0/0") is None


def test_memory_sink_goes_through_set():
    class Full(WrapperStore):
        async def set(self, key, value):
            raise OSError(errno.ENOSPC, "No space left on device")

    sink = shards.open_sink(st.CountingStore(Full(MemoryStore())), "0/c/0/0", (2,))
    sink.add((1,), b"abc")
    with pytest.raises(NoSpaceError):
        sink.close()
    sink.abort()


@pytest.mark.object_store


def test_gcs_round_trip_through_spool_sink(gcs_emulator, bucket, gcs_objects, tmp_path,
                                           monkeypatch):
    from omero_cli_ngff.storage import parse_destination

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(shards.tempfile, "tempdir", None)
    dest = parse_destination(f"gs://{bucket}/data")
    store = dest.zarr_store("img.zarr")
    create(store, "uint16", "blosc-zstd")
    counting = st.CountingStore(store)
    probe = shards.open_sink(counting, "0/c/0/0/0/0/0", CPS)
    assert type(probe) is shards.SpoolSink
    probe.abort()
    data = pixels("uint16")
    expected, sizes = write_shards(counting, data, "blosc-zstd", threads=3)
    names = gcs_objects(bucket, "data/img.zarr/0/c/")
    assert len(names) == counting.objects == 16
    assert counting.bytes == sum(sizes)
    back = zarr.open_array(dest.zarr_store("img.zarr", read_only=True), path="0", mode="r")
    np.testing.assert_array_equal(back[:], expected)
    assert os.listdir(tmp_path) == []                   # spool files removed
