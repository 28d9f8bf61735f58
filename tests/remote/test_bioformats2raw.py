"""bioformats2raw command lines: the same NGFF settings as a local conversion, and only
options bioformats2raw has."""

import pytest

from omero_cli_ngff.remote import Bf2rawOptions

KNOWN_OPTIONS = {"--ngff-version", "--compression", "--compression-properties",
                 "--tile-width", "--tile-height", "--chunk-depth", "--shard-width",
                 "--shard-height", "--shard-depth", "--resolutions", "--target-min-size",
                 "--max-workers", "--series", "--memo-directory", "--overwrite",
                 "--log-level"}


def flags(args):
    return {a for a in args if a.startswith("--")}


def value(args, flag):
    return args[args.index(flag) + 1]


def test_ngff_05_zstd_sharded():
    opts = Bf2rawOptions.from_settings("0.5", "zstd", level=5, chunk=512, shard=2048,
                                       min_level_size=256, workers=4)
    args = opts.args("/in/slide one.ndpi", "/out/fs-1.ome.zarr")
    assert args[:2] == ["/in/slide one.ndpi", "/out/fs-1.ome.zarr"]
    assert value(args, "--ngff-version") == "0.5"
    assert value(args, "--compression") == "zstd"
    assert value(args, "--compression-properties") == "level=5"
    assert (value(args, "--tile-width"), value(args, "--tile-height")) == ("512", "512")
    assert (value(args, "--shard-width"), value(args, "--shard-height")) == ("2048", "2048")
    assert value(args, "--target-min-size") == "256"
    assert value(args, "--max-workers") == "4"
    assert "--overwrite" in args and value(args, "--memo-directory") == "/tmp"
    assert flags(args) <= KNOWN_OPTIONS


def test_blosc_with_cname_and_level():
    args = Bf2rawOptions.from_settings("0.5", "blosc-lz4", level=3).args("i", "o")
    props = [args[i + 1] for i, a in enumerate(args) if a == "--compression-properties"]
    assert value(args, "--compression") == "blosc" and props == ["cname=lz4", "clevel=3"]


def test_ngff_04_uses_zarr_v2_codecs_and_no_shards():
    args = Bf2rawOptions.from_settings("0.4", "zstd", level=5, chunk=256,
                                       shard=1024).args("i", "o")
    assert value(args, "--ngff-version") == "0.4"
    assert value(args, "--compression") == "blosc"
    assert "cname=zstd" in args and "clevel=5" in args
    assert "--shard-width" not in args
    assert value(Bf2rawOptions.from_settings("0.4", "gzip").args("i", "o"),
                 "--compression") == "zlib"
    assert value(Bf2rawOptions.from_settings("0.5", "zlib").args("i", "o"),
                 "--compression") == "gzip"
    assert value(Bf2rawOptions.from_settings("0.5", "none").args("i", "o"),
                 "--compression") == "raw"


@pytest.mark.parametrize("kwargs", [
    dict(ngff_version="0.6"),
    dict(ngff_version="0.4", compression="zstd"),
    dict(ngff_version="0.5", compression="zlib"),
    dict(compression="lzma"),
    dict(ngff_version="0.4", shard_width=2048),
    dict(tile_width=512, shard_width=1000),
    dict(resolutions=5, target_min_size=256),
    dict(tile_height=0),
])
def test_invalid_combinations(kwargs):
    with pytest.raises(ValueError):
        Bf2rawOptions(**kwargs)


def test_unknown_codec():
    with pytest.raises(ValueError):
        Bf2rawOptions.from_settings("0.5", "jpeg-xl")


def test_canonical_ignores_what_does_not_change_the_output():
    a = Bf2rawOptions.from_settings("0.5", "zstd", 5, 512, 2048, workers=2)
    b = Bf2rawOptions.from_settings("0.5", "zstd", 5, 512, 2048, workers=16)
    c = Bf2rawOptions.from_settings("0.5", "zstd", 6, 512, 2048, workers=2)
    assert a.canonical() == b.canonical() != c.canonical()


def test_series_and_resolutions():
    args = Bf2rawOptions(series=(0, 2), resolutions=4).args("i", "o")
    assert value(args, "--series") == "0,2" and value(args, "--resolutions") == "4"
    assert "--target-min-size" not in args


def test_ngff_05_always_gives_shards_one_chunk_each_when_unsharded():
    args = Bf2rawOptions.from_settings("0.5", "zstd", chunk=512).args("i", "o")
    # bioformats2raw's own default is 1024 x 1024 x 1 shards (Converter --shard-*)
    assert [value(args, f) for f in ("--tile-width", "--tile-height", "--chunk-depth")] == \
        ["512", "512", "1"]
    assert [value(args, f) for f in ("--shard-width", "--shard-height", "--shard-depth")] == \
        ["512", "512", "1"]
    sharded = Bf2rawOptions.from_settings("0.5", "zstd", chunk=512, shard=2048)
    assert sharded.shards() == (2048, 2048, 1)
    assert sharded.canonical() != Bf2rawOptions.from_settings("0.5", "zstd",
                                                              chunk=512).canonical()
    assert Bf2rawOptions(ngff_version="0.5", tile_width=256, tile_height=128,
                         chunk_depth=4).shards() == (256, 128, 4)
    assert Bf2rawOptions.from_settings("0.4", "blosc", chunk=512).shards() is None


def test_logs_at_warn():
    # at INFO bioformats2raw logs several lines per chunk (Converter.processChunk)
    args = Bf2rawOptions.from_settings("0.5", "zstd").args("i", "o")
    assert value(args, "--log-level") == "WARN"
