"""The NGFF writer end to end, on small in-memory images (1000 x 700, chunks of 256)."""

import json
import os

import numpy as np
import pytest
import zarr
from zarr.storage import MemoryStore

from omero_cli_ngff.model.records import ChannelInfo, PhysicalSize, RenderingInfo
from omero_cli_ngff.ngff import (
    ImageSpec,
    InvalidSpecError,
    SourceError,
    TargetExistsError,
    UnsupportedPixelTypeError,
    WriteOptions,
    read_level,
    validate,
    write_image,
)
from omero_cli_ngff.ngff.codecs import COMPRESSIONS
from omero_cli_ngff.ngff.downsample import downsample_mean2
from omero_cli_ngff.ngff.errors import StoreError
from omero_cli_ngff.ngff.sources import ArraySource

SHAPE = (1, 3, 2, 1000, 700)


def image(dtype="uint8", shape=SHAPE, seed=0):
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.normal(100, 30, size=shape).astype(dt)
    if dt == np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)


def spec_for(arr, name="img", **kw):
    t, c, z, y, x = arr.shape
    return ImageSpec(name=name, dtype=kw.pop("dtype", arr.dtype), size_t=t, size_c=c, size_z=z,
                     size_y=y, size_x=x, physical_x=PhysicalSize(0.25, "MICROMETER"),
                     physical_y=PhysicalSize(0.25, "MICROMETER"),
                     physical_z=PhysicalSize(1.5, "MICROMETER"), **kw)


def opts(**kw):
    kw.setdefault("chunk_size", 256)
    kw.setdefault("workers", 3)
    return WriteOptions(**kw)


def expected_pyramid(arr, n):
    out = [arr]
    for _ in range(n - 1):
        prev = out[-1]
        t, c, z = prev.shape[:3]
        out.append(np.stack([np.stack([np.stack([downsample_mean2(prev[a, b, d])
                                                  for d in range(z)])
                                       for b in range(c)]) for a in range(t)]))
    return out


def count_files(path):
    return sum(len(f) for _, _, f in os.walk(path))


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_round_trip(tmp_path, version):
    arr = image()
    rendering = RenderingInfo(channels=[ChannelInfo("DAPI", "0000FF", 10, 200),
                                        ChannelInfo("GFP", "00FF00"),
                                        ChannelInfo("RFP", "FF0000")],
                              default_z=1)
    dest = str(tmp_path / "img.ome.zarr")
    seen = []
    res = write_image(dest, spec_for(arr, rendering=rendering), ArraySource(arr, (200, 300)),
                      opts(ngff_version=version), progress=seen.append, image_id=42)
    assert validate(dest, version) == []
    assert [s[3:] for s in res.level_shapes] == [(1000, 700), (500, 350), (250, 175)]
    assert not res.resumed and not res.already_complete
    expected = expected_pyramid(arr, 3)
    for k in range(3):
        assert np.array_equal(read_level(dest, k), expected[k])
    assert seen[-1].pixels_done == seen[-1].pixels_total == sum(e.size for e in expected)
    # metadata
    g = zarr.open_group(dest, mode="r")
    attrs = dict(g.attrs)
    ome = attrs["ome"] if version == "0.5" else attrs
    if version == "0.5":
        assert ome["version"] == "0.5" and g.metadata.zarr_format == 3
    else:
        assert ome["multiscales"][0]["version"] == "0.4"
        zarray = json.loads((tmp_path / "img.ome.zarr" / "0" / ".zarray").read_text())
        assert zarray["dimension_separator"] == "/"
        assert os.path.isdir(tmp_path / "img.ome.zarr" / "0" / "0" / "0" / "0")
    ms = ome["multiscales"][0]
    assert [a["name"] for a in ms["axes"]] == list("tczyx")
    assert ms["axes"][4]["unit"] == "micrometer"
    scales = [d["coordinateTransformations"][0]["scale"] for d in ms["datasets"]]
    assert scales[2] == [1.0, 1.0, 1.5, 1.0, 1.0]
    om = ome["omero"]
    assert om["id"] == 42 and om["rdefs"]["defaultZ"] == 1
    assert om["channels"][0]["label"] == "DAPI" and om["channels"][0]["color"] == "0000FF"
    assert om["channels"][0]["window"] == {"start": 10.0, "end": 200.0, "min": 0.0, "max": 255.0}
    assert not os.path.exists(tmp_path / "img.ome.zarr" / ".ngff-progress")


def test_sharded_object_count_far_below_v2(tmp_path):
    arr = image(shape=(1, 1, 1, 2048, 1536))
    r5 = write_image(str(tmp_path / "a"), spec_for(arr), ArraySource(arr), opts())
    r4 = write_image(str(tmp_path / "b"), spec_for(arr), ArraySource(arr),
                     opts(ngff_version="0.4"))
    assert r4.objects_written >= 8 * 6 + 4 * 3          # one object per 256 chunk
    assert r5.objects_written * 5 < r4.objects_written  # one per shard
    assert count_files(tmp_path / "a") == r5.objects_written
    for lv in r5.shard_shapes:
        assert lv is not None


def test_shards_per_level_hold_no_chunk_outside_the_level(tmp_path):
    arr = image(shape=(1, 1, 1, 1000, 700))
    dest = str(tmp_path / "s")
    res = write_image(dest, spec_for(arr), ArraySource(arr), opts(shard_size=1024))
    for k, (shape, shards) in enumerate(zip(res.level_shapes, res.shard_shapes)):
        a = zarr.open_array(dest, path=str(k), mode="r")
        assert tuple(a.shards) == shards
        # sticks out by less than a chunk at most: no chunk lies wholly outside the level
        assert all(s < n + c for s, n, c in zip(shards, shape, a.chunks))
        assert all(s % c == 0 for s, c in zip(shards, a.chunks))


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_source_levels_are_read_not_recomputed(tmp_path, version):
    arr = image(shape=(1, 2, 1, 1000, 700))
    # the source's own level 1 deliberately differs from a mean (e.g. a scanner's pyramid)
    lvl1 = image(shape=(1, 2, 1, 500, 350), seed=7)
    src = ArraySource(arr, (256, 256), pyramid=[lvl1])
    dest = str(tmp_path / "p")
    res = write_image(dest, spec_for(arr), src, opts(ngff_version=version))
    assert res.levels_from_source == (0, 1)
    assert validate(dest, version) == []
    assert np.array_equal(read_level(dest, 0), arr)
    assert np.array_equal(read_level(dest, 1), lvl1)
    assert np.array_equal(read_level(dest, 2), expected_pyramid(lvl1, 2)[1])


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_every_compression(tmp_path, compression, version):
    arr = image("uint16", shape=(1, 1, 1, 300, 200))
    dest = str(tmp_path / compression)
    level = {"none": None, "zstd": 9, "gzip": 1}.get(compression, 3)
    write_image(dest, spec_for(arr), ArraySource(arr), opts(ngff_version=version,
                compression=compression, compression_level=level, min_level_size=64))
    assert validate(dest, version) == []
    assert np.array_equal(read_level(dest, 0), arr)


def test_bad_compression_rejected():
    with pytest.raises(InvalidSpecError):
        WriteOptions(compression="lzma")
    with pytest.raises(InvalidSpecError):
        WriteOptions(compression="gzip", compression_level=12)


DTYPES = ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64",
          "float16", "float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_pixel_type(tmp_path, dtype):
    arr = image(dtype, shape=(1, 2, 1, 130, 90))
    dest = str(tmp_path / dtype)
    write_image(dest, spec_for(arr), ArraySource(arr, (64, 64)), opts(chunk_size=64,
                                                                      min_level_size=32))
    assert validate(dest, "0.5") == []
    back = read_level(dest, 0)
    stored = np.uint8 if dtype == "bool" else np.dtype(dtype)
    assert back.dtype == stored
    assert np.array_equal(back, arr.astype(stored))
    assert np.array_equal(read_level(dest, 1), expected_pyramid(arr.astype(stored), 2)[1])


def test_omero_bit_is_uint8(tmp_path):
    arr = image("bool", shape=(1, 1, 1, 100, 100))
    spec = spec_for(arr, dtype="bit")
    assert spec.numpy_dtype == np.uint8 and spec.pixel_type == "bit"
    write_image(str(tmp_path / "b"), spec, ArraySource(arr), opts(min_level_size=64))
    assert set(np.unique(read_level(str(tmp_path / "b"), 0))) <= {0, 1}


def test_unsupported_pixel_type():
    with pytest.raises(UnsupportedPixelTypeError):
        _ = ImageSpec("c", "complex64", 10, 10).numpy_dtype
    with pytest.raises(UnsupportedPixelTypeError):
        _ = ImageSpec("c", "complex", 10, 10).numpy_dtype


def test_identical_target_is_complete_different_is_error(tmp_path):
    arr = image(shape=(1, 1, 1, 300, 200))
    dest = str(tmp_path / "t")
    write_image(dest, spec_for(arr), ArraySource(arr), opts())
    src = ArraySource(arr)
    again = write_image(dest, spec_for(arr), src, opts())
    assert again.already_complete and src.reads == 0 and again.objects_written == 0
    other = image(shape=(1, 1, 1, 300, 201))
    with pytest.raises(TargetExistsError, match="overwrite"):
        write_image(dest, spec_for(other), ArraySource(other), opts())
    with pytest.raises(TargetExistsError):
        write_image(dest, spec_for(arr), ArraySource(arr), opts(ngff_version="0.4"))
    with pytest.raises(TargetExistsError):
        wide = arr.astype(np.uint16)
        write_image(dest, spec_for(wide), ArraySource(wide), opts())
    res = write_image(dest, spec_for(other), ArraySource(other), opts(overwrite=True))
    assert not res.already_complete and validate(dest) == []
    assert np.array_equal(read_level(dest, 0), other)


def test_foreign_content_is_not_overwritten(tmp_path):
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "notes.txt").write_text("mine")
    arr = image(shape=(1, 1, 1, 100, 100))
    with pytest.raises(TargetExistsError):
        write_image(str(tmp_path / "f"), spec_for(arr), ArraySource(arr), opts())
    assert (tmp_path / "f" / "notes.txt").read_text() == "mine"


def test_memory_store_and_fsspec_url():
    arr = image(shape=(1, 2, 1, 300, 200))
    store = MemoryStore()
    res = write_image(store, spec_for(arr), ArraySource(arr), opts(), path="nested/img")
    assert validate(store, "0.5", path="nested/img") == []
    g = zarr.open_group(store, path="nested/img", mode="r")
    assert np.array_equal(g["0"][:], arr)
    url = "memory://ngff-test/x.ome.zarr"
    res = write_image(url, spec_for(arr), ArraySource(arr), opts(ngff_version="0.4"))
    assert res.url == url
    assert validate(url, "0.4") == []


def test_source_returning_wrong_tiles(tmp_path):
    arr = image(shape=(1, 1, 1, 300, 200))

    class Bad(ArraySource):
        def read(self, *a):
            return super().read(*a)[:-1]

    with pytest.raises(SourceError):
        write_image(str(tmp_path / "x"), spec_for(arr), Bad(arr), opts())
    with pytest.raises(InvalidSpecError):
        write_image(str(tmp_path / "y"), spec_for(image(shape=(1, 1, 1, 301, 200))),
                    ArraySource(arr), opts())


def test_unwritable_destination(unprivileged_python):
    run, workdir = unprivileged_python
    result = run(
        "import os, stat, numpy as np\n"
        "from omero_cli_ngff.ngff import ImageSpec, WriteOptions, write_image\n"
        "from omero_cli_ngff.ngff.errors import StoreError\n"
        "from omero_cli_ngff.ngff.sources import ArraySource\n"
        "os.mkdir('ro'); os.chmod('ro', stat.S_IRUSR | stat.S_IXUSR)\n"
        "arr = np.zeros((1, 1, 1, 100, 100), 'uint8')\n"
        "spec = ImageSpec(name='x', dtype='uint8', size_x=100, size_y=100)\n"
        "try:\n"
        "    write_image('ro/x', spec, ArraySource(arr), WriteOptions(chunk_size=64))\n"
        "except StoreError as err:\n"
        "    print('refused:', err)\n")
    assert result.returncode == 0, result.stderr
    assert "refused:" in result.stdout


def test_unwritable_store_is_destination_error():
    arr = image(shape=(1, 1, 1, 100, 100))
    store = MemoryStore(read_only=True)
    with pytest.raises(StoreError):
        write_image(store, spec_for(arr), ArraySource(arr), opts())


def test_empty_chunks_skipped_with_fill_value(tmp_path):
    arr = np.full((1, 1, 1, 512, 512), 255, np.uint8)
    arr[..., :256, :256] = 3
    res = write_image(str(tmp_path / "e"), spec_for(arr), ArraySource(arr),
                      opts(ngff_version="0.4", fill_value=255, min_level_size=512))
    assert count_files(tmp_path / "e" / "0") == 1 + 1 + 1     # .zarray, .zattrs, one chunk
    assert np.array_equal(read_level(str(tmp_path / "e"), 0), arr)
    assert res.objects_written < 8


def test_destination_under_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    arr = image(shape=(1, 1, 1, 100, 100))
    with pytest.raises(StoreError):
        write_image(str(tmp_path / "file" / "x.zarr"), spec_for(arr), ArraySource(arr), opts())


def test_no_space_is_its_own_error():
    import errno

    from zarr.storage import WrapperStore

    from omero_cli_ngff.ngff import NoSpaceError

    class Full(WrapperStore):
        async def set(self, key, value):
            if "/c/" in key:
                raise OSError(errno.ENOSPC, "No space left on device")
            await self._store.set(key, value)

    arr = image(shape=(1, 1, 1, 100, 100))
    with pytest.raises(NoSpaceError) as exc:
        write_image(Full(MemoryStore()), spec_for(arr), ArraySource(arr), opts())
    assert "\n" not in str(exc.value)
