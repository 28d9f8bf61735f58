"""Soak: kill -9 an export at random moments, again and again, then let it finish; the
result must equal an uninterrupted export, level by level, and validate.

    .venv/bin/python benchmarks/soak_export_kill.py [--kills 10] [--seed 1] [--image 40]

Runs against a dev server (demo catalogue, 20 ms per tile) in a temporary folder and
prints one line per kill and a verdict. Exit 0 when the results are identical.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from omero_cli_ngff.ngff import read_level, validate  # noqa: E402
from test_infra.omero_fixtures import start_devserver  # noqa: E402


def export(server, output: Path, image: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMERO_SESSIONDIR=str(output) + ".sessions")
    return subprocess.Popen(
        [sys.executable, "-m", "omero_cli_ngff", "export", f"Image:{image}", "--output",
         str(output), "--chunk-size", "256", "--shard-size", "256", "--workers", "2", "-q",
         "--style", "json", *server.cli_login_args("alice")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--image", type=int, default=40)
    parser.add_argument("--tile-delay-ms", type=float, default=20)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="ngff-soak-"))
    server = start_devserver(work / "omero", tile_delay_ms=args.tile_delay_ms)
    try:
        started = time.monotonic()
        reference = work / "reference"
        assert export(server, reference, args.image).wait() == 0
        full = time.monotonic() - started
        print(f"uninterrupted export: {full:.1f} s")

        target = work / "killed"
        for kill in range(1, args.kills + 1):
            proc = export(server, target, args.image)
            delay = rng.uniform(0.3, max(0.4, full))
            time.sleep(delay)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                print(f"kill {kill:2d}: after {delay:.2f} s")
            else:
                print(f"kill {kill:2d}: export had finished ({delay:.2f} s): rc {proc.returncode}")
                break
        rc = export(server, target, args.image).wait()
        image = f"{args.image}.ome.zarr/0"
        problems = validate(str(target / image), "0.5", kind="image")
        same = rc == 0 and not problems
        level = 0
        while same:
            try:
                want = read_level(str(reference / image), level)
            except (IndexError, KeyError, ValueError):
                break
            same = np.array_equal(read_level(str(target / image), level), want)
            level += 1
        print(f"final rerun rc={rc}, problems={problems}, levels compared={level}")
        print("IDENTICAL to the uninterrupted export" if same else "DIFFERENT: a bug")
        return 0 if same else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
