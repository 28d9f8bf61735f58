"""Adaptive tile readers (#16): an export at default settings follows a server whose
number of decode slots changes while it runs.

The dev server models a real one's decode capacity (``decode_cost.py``): N slots, a read
holds one for 100 ms + 40 ms per megapixel (about 103 ms for a 256 x 256 tile), so the
ceiling is N / 0.1026 tiles a second. The export runs in its own process; the test reads
the server's tile counter, changes the slots 4 -> 16 -> 4, and stops the export once it
has measured. Small tiles keep the client's own cost far below the ceiling; chunks of
the tile's size keep every read one tile (``ngff.request_size`` reads whole chunks
when server tiles are smaller).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from test_infra.omero_fixtures import REPO_ROOT, decode_args

pytestmark = pytest.mark.devserver

CALL_MS, MS_PER_MPX, TILE = 100.0, 40.0, 256 * 256
SETTLE, WINDOW = 10.0, 5.0      # measured from SETTLE to SETTLE + WINDOW s after a change


def ceiling(cores: int) -> float:
    return cores / ((CALL_MS + MS_PER_MPX * TILE / 1e6) / 1000.0)


def tiles_per_second(server, seconds: float) -> float:
    before, t0 = server.tile_count(), time.monotonic()
    time.sleep(seconds)
    return (server.tile_count() - before) / (time.monotonic() - t0)


def start_export(server, output, tmp_path):
    env = dict(os.environ, OMERO_SESSIONDIR=str(tmp_path / "sessions"),
               OMERO_USERDIR=str(tmp_path / "user"),
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-c", "from omero_cli_ngff.cli.standalone import main; main()",
           "export", "Image:1", "--output", str(output), "--style", "json",
           "--chunk-size", "256",         # one read per chunk: no whole-chunk requests
           *server.cli_login_args("alice")]
    with open(tmp_path / "export.log", "wb") as log:
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)


def test_default_readers_follow_the_servers_cores(start_omero_devserver, tmp_path):
    server = start_omero_devserver(
        "adaptive.yaml", extra_args=[*decode_args(4, CALL_MS, MS_PER_MPX), "--threads", "16"])
    export = start_export(server, tmp_path / "out", tmp_path)
    rates = {}
    try:
        time.sleep(6.0)
        for cores in (16, 4):
            server.set_decode(server_cores=cores)
            time.sleep(SETTLE)
            assert export.poll() is None, (tmp_path / "export.log").read_text()[-2000:]
            rates[cores] = tiles_per_second(server, WINDOW)
    finally:
        os.killpg(export.pid, signal.SIGTERM)
        export.wait(timeout=30)
    for cores, rate in rates.items():
        assert rate >= 0.85 * ceiling(cores), (
            f"{cores} cores: {rate:.0f} tiles/s, ceiling {ceiling(cores):.0f}; all: {rates}")
