"""Planning (levels, chunks, shards, memory) and downsampling: pure functions."""

import itertools
from fractions import Fraction

import numpy as np
import pytest

from omero_cli_ngff.ngff.downsample import downsample_mean2
from omero_cli_ngff.ngff.layout import (
    BASE_MEMORY,
    chunks_in_flight,
    estimate_memory,
    level_chunks,
    level_sizes,
    morton_order,
    plan_image,
    shard_shape,
)


def test_levels_halve_down_to_min_size():
    sizes = level_sizes(1000, 700, 256)
    assert [(y, x) for y, x, _ in sizes] == [(1000, 700), (500, 350), (250, 175)]
    assert [s for _, _, s in sizes] == [0, None, None]
    big = level_sizes(90112, 199680, 256)
    assert max(big[-1][:2]) <= 256 and max(big[-2][:2]) > 256
    assert level_sizes(101, 99, 256) == [(101, 99, 0)]
    assert level_sizes(1001, 3, 256)[1][:2] == (501, 2)      # ceil: no pixel dropped


def test_source_levels_used_when_they_match_halving():
    # floor sizes from the source are accepted; a /4 level is not a halving of level 0
    sizes = level_sizes(1001, 999, 100, [(1001, 999), (500, 499), (250, 250)])
    assert sizes[1] == (500, 499, 1) and sizes[2] == (250, 250, 2)
    assert sizes[3][2] is None and sizes[3][:2] == (125, 125)
    quarter = level_sizes(1000, 1000, 100, [(1000, 1000), (250, 250)])
    assert quarter[1] == (500, 500, None) and quarter[2] == (250, 250, 1)


@pytest.mark.parametrize("size", [1, 7, 255, 256, 257, 511, 1000, 1024, 1920, 5000, 100000])
@pytest.mark.parametrize("chunk,side", [(256, 1024), (1024, 4096), (512, 512), (1024, 1 << 20)])
def test_shard_holds_no_chunk_outside_the_level(size, chunk, side):
    shape = (1, 3, 7, size, size)
    chunks = level_chunks(shape, chunk)
    shards = shard_shape(shape, chunks, 2, 256 * 2 ** 20, side)
    for s, c, n in zip(shards, chunks, shape):
        assert s % c == 0 and s < n + c          # at most the last chunk sticks out
    assert shards[3] <= max(side, chunks[3])


def test_planes_fill_the_shard_size_in_balanced_spans():
    # 4 channels x 2 MiB planes = 8 MiB per z; 100 MiB leave room for 12 of 50 z:
    # 5 shards of 10 z, not 4 of 12 and one of 2
    shards = shard_shape((1, 4, 50, 1024, 1024), (1, 1, 1, 1024, 1024), 2, 100 * 2 ** 20, 1024)
    assert shards == (1, 4, 10, 1024, 1024)
    # channels that do not fit together are split evenly too
    shards = shard_shape((1, 40, 1, 4096, 4096), (1, 1, 1, 1024, 1024), 2, 384 * 2 ** 20, 4096)
    assert shards == (1, 10, 1, 4096, 4096)


def shards_of(plan):
    return sum(lv.n_shards for lv in plan.levels)


def test_plans_of_the_benchmark_images_give_few_objects():
    slide = plan_image((1, 3, 1, 20000, 20000), "uint8")
    assert slide.levels[0].shards == (1, 3, 1, 8192, 8192)
    assert shards_of(slide) <= 16
    stack = plan_image((1, 4, 50, 2048, 2048), "uint16")
    assert stack.levels[0].shards == (1, 4, 10, 2048, 2048)
    assert shards_of(stack) <= 9
    for plan in (slide, stack):
        for lv in plan.levels:
            assert np.prod(lv.shards) * np.dtype(plan.dtype).itemsize <= 384 * 2 ** 20


def test_a_pass_top_level_keeps_power_of_two_sides():
    plan = plan_image((1, 3, 1, 100000, 100000), "uint8")
    top = plan.levels[0]
    assert top.shards[3] == top.shards[4] and top.shards[3] % 1024 == 0
    assert (top.shards[3] // 1024) & (top.shards[3] // 1024 - 1) == 0


@pytest.mark.parametrize("workers", [1, 4, 8, 32])
@pytest.mark.parametrize("budget_mib", [512, 1024, 4096])
@pytest.mark.parametrize("channels,itemsize", [(3, 1), (1, 2), (40, 2), (200, 4)])
def test_memory_estimate_fits_the_budget(workers, budget_mib, channels, itemsize):
    budget = budget_mib * 2 ** 20
    dtype = {1: "uint8", 2: "uint16", 4: "float32"}[itemsize]
    plan = plan_image((1, channels, 1, 100000, 100000), dtype, workers=workers,
                      memory_budget=budget)
    assert plan.estimated_memory == estimate_memory(plan.levels, 0, itemsize, workers)
    floor = BASE_MEMORY + chunks_in_flight(workers) * 3 * 1024 * 1024 * itemsize
    if floor * 1.5 <= budget:           # feasible with room for the pyramid: it must fit
        assert plan.estimated_memory <= budget


def test_many_channels_with_a_small_budget_get_smaller_plane_spans():
    # 10 channels per shard hold 10 partial chunks per pyramid level; 400 MiB do not
    roomy = plan_image((1, 40, 1, 20000, 20000), "uint16", memory_budget=2 ** 30)
    tight = plan_image((1, 40, 1, 20000, 20000), "uint16", memory_budget=400 * 2 ** 20)
    assert tight.estimated_memory <= 400 * 2 ** 20 < roomy.estimated_memory <= 2 ** 30
    assert tight.levels[0].shards[1] < roomy.levels[0].shards[1]


def test_chunks_of_a_shard():
    lv = plan_image((2, 3, 5, 1000, 700), "uint16", chunk_size=256, shard_size=512,
                    shard_bytes=2 ** 21).levels[0]
    seen = []
    for shard in itertools.product(*map(range, lv.shard_grid)):
        chunks = list(lv.chunks_of(shard))
        assert len(chunks) == lv.chunk_count(shard)
        assert all(lv.shard_of(ch) == shard for ch in chunks)
        seen += chunks
    assert sorted(seen) == sorted(itertools.product(*map(range, lv.chunk_grid)))
    assert sum(lv.shard_pixels(s) for s in itertools.product(*map(range, lv.shard_grid))) \
        == lv.n_pixels


def test_morton_order_groups_quads():
    order = morton_order(5, 6)
    assert sorted(order) == [(r, c) for r in range(5) for c in range(6)]
    assert order[:4] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    # every 2x2 parent's children are contiguous among the existing cells
    pos = {rc: i for i, rc in enumerate(order)}
    for pr in range(3):
        for pc in range(3):
            kids = sorted(pos[(r, c)] for r in (2 * pr, 2 * pr + 1) for c in (2 * pc, 2 * pc + 1)
                          if (r, c) in pos)
            assert kids == list(range(kids[0], kids[0] + len(kids)))


INTS = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"]


@pytest.mark.parametrize("dtype", INTS)
def test_downsample_integer_mean_exact(dtype):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(1)
    a = rng.integers(info.min, info.max, size=(9, 7), dtype=dtype, endpoint=True)
    a[:2, :2] = info.max                       # overflow bait
    a[2:4, :2] = info.min
    d = downsample_mean2(a)
    assert d.dtype == a.dtype and d.shape == (5, 4)
    p = np.pad(a, ((0, 1), (0, 1)), mode="edge")
    for i in range(5):
        for j in range(4):
            s = sum(int(p[2 * i + u, 2 * j + v]) for u in (0, 1) for v in (0, 1))
            assert int(d[i, j]) == round(Fraction(s, 4))     # round half to even


def test_downsample_rounding_and_floats():
    a = np.array([[1, 2], [2, 1]], np.uint8)                 # 1.5 -> 2
    assert downsample_mean2(a)[0, 0] == 2
    a = np.array([[0, 1], [1, 0]], np.uint8)                 # 0.5 -> 0
    assert downsample_mean2(a)[0, 0] == 0
    a = np.array([[1, 1], [1, 2]], np.uint8)                 # 1.25 -> 1
    assert downsample_mean2(a)[0, 0] == 1
    f = np.arange(12, dtype=np.float32).reshape(3, 4)
    d = downsample_mean2(f)
    assert d.dtype == np.float32
    assert d[0, 0] == pytest.approx(2.5) and d[1, 0] == pytest.approx(8.5)
    h = downsample_mean2(np.full((4, 4), 60000, np.float16))
    assert h.dtype == np.float16 and np.isfinite(h).all()


def test_downsample_by_shards_equals_whole_plane():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 65535, size=(301, 257), dtype=np.uint16)
    whole = downsample_mean2(a)
    parts = np.empty_like(whole)
    for y in range(0, 301, 64):
        for x in range(0, 257, 128):
            d = downsample_mean2(a[y:y + 64, x:x + 128])
            parts[y // 2:y // 2 + d.shape[0], x // 2:x // 2 + d.shape[1]] = d
    assert np.array_equal(whole, parts)


def test_a_given_shard_size_is_kept_even_over_shard_bytes():
    plan = plan_image((1, 2, 1, 8192, 8192), "uint8", shard_size=4096, shard_bytes=2 ** 20)
    assert plan.levels[0].shards == (1, 1, 1, 4096, 4096)
    assert all(lv.shards[3] <= 4096 for lv in plan.levels)
