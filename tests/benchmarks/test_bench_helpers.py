"""The arithmetic of ``benchmarks/bench_export.py`` that its figures rest on: how the
machine's cores are split between the dev server and the measured client, which of
several runs is reported, and the attainable time (issue #16)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

from bench_export import median_run  # noqa: E402
from core_split import split  # noqa: E402
from export_children import Run  # noqa: E402
from export_model import attainable_seconds  # noqa: E402

EVERY = sorted(os.sched_getaffinity(0))


def test_the_dev_server_gets_the_last_cores_and_the_client_the_rest():
    server, client = split(1, shared=False)
    if len(EVERY) < 2:                                   # nothing to split
        assert server == client == set(EVERY)
        return
    assert server == {EVERY[-1]} and client == set(EVERY[:-1])
    assert not server & client
    server, client = split(len(EVERY) + 5, shared=False)   # never every core
    assert len(client) == 1 and server | client == set(EVERY)


def test_shared_cores_give_every_core_to_both():
    server, client = split(1, shared=True)
    assert server == client == set(EVERY)


def _run(seconds: float, note: str = "") -> Run:
    return Run("case", "ngff default", seconds=seconds, note=note)


def test_the_median_run_is_reported_with_the_spread():
    runs = [_run(3.0), _run(1.0), _run(2.0, note="time-boxed")]
    got = median_run(runs)
    assert got.seconds == 2.0
    assert got.note == "median of 3 runs (1.00-3.00 s); time-boxed"
    assert median_run([_run(4.0)]).note == ""


def test_attainable_is_the_longer_of_the_ceiling_and_the_cpu_over_the_clients_cores():
    assert attainable_seconds(1.0, 3.0, 1) == 3.0      # CPU bound on one core
    assert attainable_seconds(1.0, 3.0, 2) == 1.5
    assert attainable_seconds(2.0, 3.0, 2) == 2.0      # the server's ceiling
