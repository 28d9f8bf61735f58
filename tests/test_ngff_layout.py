"""Planning (levels, chunks, shards, memory) and downsampling: pure functions."""

from fractions import Fraction

import numpy as np
import pytest

from omero_cli_ngff.ngff.downsample import downsample_mean2
from omero_cli_ngff.ngff.layout import (chunk_and_shard, estimate_memory, level_sizes,
                                        morton_order, plan_image, plan_memory)


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
@pytest.mark.parametrize("chunk,side", [(256, 1024), (1024, 4096), (512, 512)])
def test_shard_never_exceeds_level_and_is_chunk_multiple(size, chunk, side):
    c, s = chunk_and_shard(size, chunk, side)
    assert s <= size and c <= size
    assert s % c == 0 and s <= max(side, c)


def test_plan_shards_per_level():
    plan = plan_image((1, 3, 1, 1000, 700), "uint8", chunk_size=256)
    for lv in plan.levels:
        assert all(s <= n for s, n in zip(lv.shards, lv.shape))
        assert all(s % c == 0 for s, c in zip(lv.shards, lv.chunks))
    assert plan.levels[-1].chunks[3:] == (250, 175)        # a level smaller than a chunk


@pytest.mark.parametrize("workers", [1, 2, 4, 8, 16, 32])
@pytest.mark.parametrize("budget_mib", [256, 512, 1024, 4096])
@pytest.mark.parametrize("itemsize", [1, 2, 4])
def test_memory_plan_fits_budget(workers, budget_mib, itemsize):
    levels = [(100000 // 2 ** k, 100000 // 2 ** k) for k in range(10)]
    budget = budget_mib * 2 ** 20
    side, inflight, est = plan_memory(levels, 1024, itemsize, workers, budget,
                                      256 * 2 ** 20, 1024 * 1024 * itemsize)
    assert 1 <= inflight <= workers and side % 1024 == 0
    assert side * side * itemsize <= 256 * 2 ** 20
    assert est == estimate_memory(levels, side, 1024, itemsize, inflight, workers,
                                  1024 * 1024 * itemsize)
    smallest = estimate_memory(levels, 1024, 1024, itemsize, 1, workers, 1024 * 1024 * itemsize)
    if smallest <= budget:           # feasible at all: the plan must fit
        assert est <= budget
        # in-flight shards times their cost stay within the budget
        assert inflight * side * side * itemsize <= budget


def test_more_workers_or_less_budget_shrink_shards():
    levels = [(100000 // 2 ** k, 100000 // 2 ** k) for k in range(10)]
    a = plan_memory(levels, 1024, 1, 2, 2 ** 30, 2 ** 28, 2 ** 20)
    b = plan_memory(levels, 1024, 1, 16, 2 ** 30, 2 ** 28, 2 ** 20)
    c = plan_memory(levels, 1024, 1, 2, 2 ** 28, 2 ** 28, 2 ** 20)
    assert b[0] <= a[0] and c[0] <= a[0]
    assert b[0] < a[0]


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
    assert d.dtype == np.float32 and d[0, 0] == pytest.approx(2.5) and d[1, 0] == pytest.approx(8.5)
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
