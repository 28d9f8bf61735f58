"""Whole-chunk reads instead of native tiles, when they measure cheaper per pixel."""

from __future__ import annotations

from omero_cli_ngff.ngff.concurrency import ConcurrencyController
from omero_cli_ngff.ngff.request_size import PROBES, RequestSizes

NATIVE, CHUNK = (512, 512), (1024, 1024)


def feed(ctrl, call_ms, ms_per_mpx, n=PROBES):
    """Reads of both sizes under a cost model of call + per-pixel milliseconds."""
    for size in (NATIVE, CHUNK):
        px = size[0] * size[1]
        for i in range(n):
            ctrl.observe(float(i), (call_ms + ms_per_mpx * px / 1e6) / 1000.0, px)


def test_probes_alternate_until_both_sizes_are_measured():
    sizes = RequestSizes(ConcurrencyController(maximum=8))
    seen = [sizes.size(0, NATIVE, CHUNK) for _ in range(6)]
    assert seen == [CHUNK, NATIVE] * 3


def test_whole_chunks_when_calls_cost_something():
    ctrl = ConcurrencyController(maximum=8)
    sizes = RequestSizes(ctrl)
    feed(ctrl, call_ms=5.0, ms_per_mpx=40.0)
    assert [sizes.size(0, NATIVE, CHUNK) for _ in range(3)] == [CHUNK] * 3


def test_native_tiles_when_big_reads_cost_more_per_pixel():
    ctrl = ConcurrencyController(maximum=8)
    sizes = RequestSizes(ctrl)
    for i in range(PROBES):
        ctrl.observe(float(i), 0.010, NATIVE[0] * NATIVE[1])
        ctrl.observe(float(i), 0.080, CHUNK[0] * CHUNK[1])      # 2x per pixel
    assert sizes.size(0, NATIVE, CHUNK) == NATIVE


def test_a_tile_as_big_as_a_chunk_is_never_probed():
    sizes = RequestSizes(ConcurrencyController(maximum=8))
    assert sizes.size(0, CHUNK, CHUNK) == CHUNK
    assert sizes.size(1, (64, 20000), CHUNK) == (64, 20000)     # ROMIO rows, wide
    assert not sizes.choice


def test_an_adaptive_write_reads_the_same_pixels_in_whole_chunks(tmp_path):
    """Small source tiles and adaptive readers: the probes read whole chunks, the rest
    whatever was chosen; the image is the source's, level by level."""
    from omero_cli_ngff.ngff import WriteOptions, write_image
    from omero_cli_ngff.ngff.sources import ArraySource
    from tests.ngff.test_writer import expected_pyramid, image, read_level, spec_for

    arr = image(shape=(1, 2, 1, 700, 900))
    source = ArraySource(arr, (100, 128))
    dest = str(tmp_path / "img.ome.zarr")
    write_image(dest, spec_for(arr), source,
                WriteOptions(chunk_size=256, workers=6, adaptive_workers=True))
    reads_if_native = 2 * 9 * 8   # 100 x 128 tiles cut at 256 chunks: 9 x 8 per channel
    assert source.reads < reads_if_native          # the probes at least read whole chunks
    expected = expected_pyramid(arr, 3)
    for k in range(3):
        assert (read_level(dest, k) == expected[k]).all()


def test_adaptive_readers_fit_the_memory_budget(tmp_path):
    """A budget too small for 32 readers' chunks in flight: fewer of them, and the plan
    fits."""
    from omero_cli_ngff.ngff import WriteOptions
    from omero_cli_ngff.ngff.sources import ArraySource
    from omero_cli_ngff.ngff.store import open_store
    from omero_cli_ngff.ngff.writer import ImageWriter, plan_for
    from tests.ngff.test_writer import image, spec_for

    arr = image(dtype="float64", shape=(1, 1, 1, 2048, 2048))
    options = WriteOptions(workers=32, adaptive_workers=True, memory_budget=600 * 1024 ** 2)
    source = ArraySource(arr, (512, 512))
    assert plan_for(spec_for(arr), source, options).estimated_memory > options.memory_budget
    store, url = open_store(str(tmp_path / "img.ome.zarr"), None)
    writer = ImageWriter(store, url, spec_for(arr), source, options)
    writer.run()
    assert 4 <= writer.options.workers < 32
    assert writer.gate is not None and writer.gate.controller.maximum == writer.options.workers
    assert plan_for(spec_for(arr), source, writer.options).estimated_memory <= 600 * 1024 ** 2
