"""Plates at screen scale: `omero ngff publish Screen:1` of a screen of 10 plates x 384
wells x 4 fields (64 x 64 uint16, 2 channels: 15,360 field images) against the dev
server and fake-gcs-server. How many OMERO queries, how long, how much memory?

    .venv/bin/python benchmarks/bench_plates.py [--plates 10] [--rows 16] [--columns 24]
        [--fields 4] [--size 64] [--publish-plates 1]

Runs, each `omero-ngff publish` in a subprocess of its own (its peak RSS is the
child's ru_maxrss, read with os.wait4):
- the plan of the whole screen (--dry-run): every plate and field planned;
- the publish of ``--publish-plates`` plates (Plate:1..N; all of them with
  ``--publish-plates 10``: about half a minute per plate here), then its rerun (a no-op).
Queries are those the dev server answered (its queries.log), login included.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUCKET = "bench-plates"


def screen_catalogue(folder: Path, plates: int, rows: int, columns: int, fields: int,
                     size: int) -> Path:
    per_plate = rows * columns * fields
    spec = {
        "groups": [{"id": 3, "name": "public-lab", "permissions": "rwra--"}],
        "users": [{"id": 2, "name": "alice", "password": "alice-pw",
                   "groups": ["public-lab"]}],
        "screens": [{"id": 1, "name": "bench-screen", "owner": "alice", "plates": [
            {"id": p + 1, "name": f"plate-{p + 1}", "rows": rows, "columns": columns,
             "fields": fields, "firstImageId": 100_000 + p * per_plate,
             "acquisitions": [{"id": p + 1, "name": f"run-{p + 1}"}],
             "image": {"sizeX": size, "sizeY": size, "sizeC": 2, "type": "uint16"}}
            for p in range(plates)]}],
    }
    path = folder / "bench-plates.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run_publish(args: list[str], env: dict) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak RSS in MiB, stdout) of one `omero-ngff publish`."""
    ngff = str(Path(sys.executable).parent / "omero-ngff")
    start = time.perf_counter()
    proc = subprocess.Popen([ngff, "publish", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - start, usage.ru_maxrss / 1024, out


def statuses(out: str) -> str:
    lines = [line for line in out.splitlines() if line.startswith("{")]
    rows = json.loads(lines[-1])["images"] if lines else []     # the one JSON document
    counts: dict[str, int] = {}
    for row in rows:
        key = row.get("status") or row.get("action") or "?"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plates", type=int, default=10)
    parser.add_argument("--rows", type=int, default=16)
    parser.add_argument("--columns", type=int, default=24)
    parser.add_argument("--fields", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--publish-plates", type=int, default=1)
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    from test_infra.fake_gcs import FakeGcs, create_bucket
    from test_infra.omero_fixtures import start_devserver

    work = Path(tempfile.mkdtemp(prefix="bench-plates-"))
    catalogue = screen_catalogue(work, args.plates, args.rows, args.columns, args.fields,
                                 args.size)
    t0 = time.perf_counter()
    server = start_devserver(work / "state", catalogue=catalogue)
    startup = time.perf_counter() - t0
    store = FakeGcs()
    store.start()
    rows = []
    try:
        create_bucket(store.url, BUCKET)
        env = dict(os.environ, STORAGE_EMULATOR_HOST=store.url,
                   OMERO_PASSWORD="alice-pw", OMERO_SESSIONDIR=str(work / "sessions"),
                   OMERO_USERDIR=str(work / "userdir"), PYTHONPATH=str(ROOT))
        login = ["-s", server.connect_host, "-p", str(server.port), "-u", "alice"]
        common = ["--dest", f"gs://{BUCKET}/data", "--public-url",
                  f"{store.url}/{BUCKET}/data", "--style", "json", *login]
        chosen = ",".join(str(p + 1) for p in range(args.publish_plates))
        runs = [("plan Screen:1 (--dry-run)", ["Screen:1", "--dry-run"]),
                (f"publish Plate:{chosen}", [f"Plate:{chosen}"]),
                (f"rerun Plate:{chosen} (no-op)", [f"Plate:{chosen}"])]
        for name, extra in runs:
            before = server.query_count()
            code, seconds, rss, out = run_publish([*extra, *common], env)
            rows.append((name, code, server.query_count() - before, seconds, rss,
                         statuses(out)))
    finally:
        store.stop()
        server.stop()

    fields = args.plates * args.rows * args.columns * args.fields
    table = Table(title=f"Screen of {args.plates} plates x {args.rows * args.columns} wells "
                        f"x {args.fields} fields ({fields:,} images, {args.size}x{args.size}"
                        f" x 2 c uint16); dev server started in {startup:.1f} s")
    for column in ("run", "exit", "OMERO queries", "seconds", "peak RSS MiB", "rows"):
        table.add_column(column, justify="left" if column in ("run", "rows") else "right")
    for name, code, queries, seconds, rss, counts in rows:
        table.add_row(name, str(code), str(queries), f"{seconds:.1f}", f"{rss:.0f}", counts)
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
