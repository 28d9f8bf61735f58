"""The order of work of one image write: passes, and the chunk reads of each pass.

Pure functions of the plan and of the shards the resume record holds, no I/O. A pass
reads one level (the full resolution, or a level the source offers) and computes the
levels below it until the next level the source offers. Its reads go shard by shard in
Z-order, plane by plane inside a shard and chunks in Z-order inside a plane, so the
pyramid's partial chunks are few (``layout.estimate_memory``).
"""

from __future__ import annotations

import itertools
from collections.abc import Set
from typing import Literal, NamedTuple

from .layout import ImagePlan, Shape5, morton_key
from .record import Key


class Task(NamedTuple):
    """One chunk to read: from the ``source``, or (resuming) back from the ``store``."""

    kind: Literal["source", "store"]
    level: int
    chunk: Shape5


def passes(plan: ImagePlan) -> list[list[int]]:
    """Levels grouped by pass: a level the source offers, then the levels computed
    from it."""
    out: list[list[int]] = []
    for lv in plan.levels:
        if lv.source_level is not None or not out:
            out.append([lv.index])
        else:
            out[-1].append(lv.index)
    return out


def children(plan: ImagePlan, k: int, chunk: Shape5) -> list[Shape5]:
    """The chunks of level k-1 that chunk ``chunk`` of level k is computed from."""
    lv, up = plan.levels[k], plan.levels[k - 1]
    y0, y1, x0, x1 = lv.chunk_region(chunk)
    cy, cx = up.chunks[3], up.chunks[4]
    ys = range(2 * y0 // cy, (min(2 * y1, up.size_y) - 1) // cy + 1)
    xs = range(2 * x0 // cx, (min(2 * x1, up.size_x) - 1) // cx + 1)
    t, c, z = chunk[:3]
    return [(t, c, z, a, b) for a in ys for b in xs]


def tasks(plan: ImagePlan, levels: list[int], done: Set[Key]) -> list[Task]:
    """The ordered reads of a pass: ('source', top, chunk) for every chunk of the top
    level's unrecorded shards; on resume also ('store', k, chunk) for each recorded
    chunk that a missing chunk of level k+1 is made from. Order: the top level's
    shards in Z-order, planes inside a shard, chunks in Z-order inside a plane (a
    read-back chunk takes the place of the top-level chunks under it)."""
    j = levels[0]
    top = plan.levels[j]
    shards = sorted(itertools.product(*map(range, top.shard_grid)),
                    key=lambda s: (s[0], s[1], s[2], morton_key(s[3], s[4])))
    rank = {s: i for i, s in enumerate(shards)}
    keyed: list[tuple[tuple[int, ...], Task]] = []
    for shard in shards:
        if (j, *shard) not in done:
            for chunk in top.chunks_of(shard):
                keyed.append(((rank[shard], *chunk[:3], morton_key(*chunk[3:]), 0),
                              Task("source", j, chunk)))
    for k in (levels[1:] if done else ()):
        keyed += _read_backs(plan, j, k, rank, done)
    keyed.sort(key=lambda kv: kv[0])
    return [task for _, task in keyed]


def _read_backs(plan: ImagePlan, j: int, k: int, rank: dict[tuple[int, ...], int],
                done: Set[Key]) -> list[tuple[tuple[int, ...], Task]]:
    """Resuming a pass whose top level is j: the recorded chunks of level k-1 that the
    missing chunks of level k are made from, keyed by where they sit in the pass."""
    top, lv, up = plan.levels[j], plan.levels[k], plan.levels[k - 1]
    scale = 2 ** (k - 1 - j)          # level k-1 pixels -> top-level pixels
    keyed: list[tuple[tuple[int, ...], Task]] = []
    for shard in itertools.product(*map(range, lv.shard_grid)):
        if (k, *shard) in done:
            continue
        for chunk in lv.chunks_of(shard):
            for child in children(plan, k, chunk):
                if (k - 1, *up.shard_of(child)) not in done:
                    continue                  # made in this pass anyway
                y0, _, x0, _ = up.chunk_region(child)
                at = (*child[:3], y0 * scale // top.chunks[3], x0 * scale // top.chunks[4])
                keyed.append(((rank[top.shard_of(at)], *at[:3], morton_key(*at[3:]), -k),
                              Task("store", k - 1, child)))
    return keyed
