"""Plates at screen scale: `omero ngff publish` of a screen of 10 plates x 384 wells x 4
fields (64 x 64 uint16, 2 channels: 15,360 field images) against the dev server and
fake-gcs-server. How many OMERO queries and object-store requests, how long, how much
memory?

    .venv/bin/python benchmarks/bench_plates.py [--plates 10] [--rows 16] [--columns 24]
        [--fields 4] [--size 64] [--publish-plates 1] [--no-plan] [--keep DIR]
        [--store-backend filesystem|memory]

Runs, each `omero-ngff publish` in a subprocess of its own (its peak RSS is the
child's ru_maxrss, read with os.wait4):
- the plan of the whole screen (--dry-run): every plate and field planned;
- the publish of ``--publish-plates`` plates (Plate:1..N, one process: all ten with
  ``--publish-plates 10``; here each plate of 1,536 fields took 70-85 s, 8-10 OMERO
  queries and 20.8 store requests per field, flat from plate to plate: the README has
  the figures), then its rerun (a no-op).
Queries are those the dev server answered (its queries.log), login included; per plate
they are read from a sample every second, as is the process's RSS. Store requests are
fake-gcs-server's access log lines, by kind, attributed to a plate by time: from the
previous plate's claim released (the first plate: from the preflight probe removed,
which ends the plan) to its own claim released (plates are published one after
another); objects per field are counted in the bucket at the end.

fake-gcs-server runs on its filesystem backend (under /dev/shm): its memory backend
finds every object by scanning a list of all the bucket's objects (findObject in
internal/backend/memory.go), so each request costs more as the bucket fills and the
emulator, not the plugin, set the pace (plate 2 took 2.5x plate 1's time there).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import store_requests  # noqa: E402  (benchmarks/ is not a package)

BUCKET = "bench-plates"
SHM = Path("/dev/shm")         # the filesystem backend's objects in memory when it exists


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


def run_publish(args: list[str], env: dict, server, out_file: Path | None = None
                ) -> tuple[int, float, float, str, list[tuple[float, int]]]:
    """(exit code, seconds, peak RSS in MiB, stdout, samples) of one `omero-ngff
    publish`; ``samples``: (time, OMERO queries so far, its RSS in MiB) every second,
    to share the queries out among the plates and see its memory plate by plate."""
    ngff = str(Path(sys.executable).parent / "omero-ngff")
    start = time.perf_counter()
    proc = subprocess.Popen([ngff, "publish", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    samples: list[tuple[float, int, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            samples.append((time.time(), server.query_count(), rss_mib(proc.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if out_file is not None:
        out_file.write_text(out)
    return proc.returncode, time.perf_counter() - start, usage.ru_maxrss / 1024, out, samples


def rss_mib(pid: int) -> float:
    """A running process's resident memory (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "0 0")
    return int(line.split()[1]) / 1024


def queries_between(samples: list[tuple[float, int, float]], first: float,
                    last: float) -> int:
    """OMERO queries answered between two moments (to the second)."""
    def at(moment: float) -> int:
        before = [n for t, n, _ in samples if t <= moment]
        return before[-1] if before else 0
    return at(last + 1.0) - at(first)


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
    parser.add_argument("--no-plan", action="store_true", help="skip the --dry-run plan")
    parser.add_argument("--keep", help="a folder for the JSON output of each run")
    parser.add_argument("--store-backend", choices=("filesystem", "memory"),
                        default="filesystem", help="fake-gcs-server's backend (memory: "
                        "every object operation scans the bucket; see the docstring)")
    args = parser.parse_args(argv)

    from test_infra.fake_gcs import FakeGcs, create_bucket, list_objects
    from test_infra.omero_fixtures import start_devserver

    work = Path(tempfile.mkdtemp(prefix="bench-plates-"))
    keep = Path(args.keep) if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    catalogue = screen_catalogue(work, args.plates, args.rows, args.columns, args.fields,
                                 args.size)
    t0 = time.perf_counter()
    server = start_devserver(work / "state", catalogue=catalogue)
    startup = time.perf_counter() - t0
    data = Path(tempfile.mkdtemp(prefix="bench-plates-gcs-", dir=SHM if SHM.is_dir() else None)) \
        if args.store_backend == "filesystem" else None
    store = FakeGcs(log_level="info", data_dir=data)    # its access log counts requests
    store.start()
    rows, plates, others, objects = [], {}, None, {}
    try:
        create_bucket(store.url, BUCKET)
        env = dict(os.environ, STORAGE_EMULATOR_HOST=store.url,
                   OMERO_PASSWORD="alice-pw", OMERO_SESSIONDIR=str(work / "sessions"),
                   OMERO_USERDIR=str(work / "userdir"), PYTHONPATH=str(ROOT))
        login = ["-s", server.connect_host, "-p", str(server.port), "-u", "alice"]
        common = ["--dest", f"gs://{BUCKET}/data", "--public-url",
                  f"{store.url}/{BUCKET}/data", "--style", "json", *login]
        chosen = ",".join(str(p + 1) for p in range(args.publish_plates))
        runs = [] if args.no_plan else [("plan Screen:1 (--dry-run)", ["Screen:1", "--dry-run"])]
        runs += [(f"publish Plate:{chosen}", [f"Plate:{chosen}"]),
                 (f"rerun Plate:{chosen} (no-op)", [f"Plate:{chosen}"])]
        for n, (name, extra) in enumerate(runs):
            before, logged = server.query_count(), len(store.log_lines())
            started = time.time()
            code, seconds, rss, out, samples = run_publish(
                [*extra, *common], env, server, keep / f"run-{n}.json" if keep else None)
            requests = store_requests.parse(store.log_lines()[logged:])
            rows.append((name, code, server.query_count() - before, seconds, rss,
                         len(requests), statuses(out)))
            print(f"{time.strftime('%H:%M:%S')} {name}: exit {code}, {seconds:.1f} s",
                  flush=True)
            if name.startswith("publish"):
                if keep:
                    (keep / "store-access.log").write_text("\n".join(store.log_lines()))
                plates, others = store_requests.by_plate(requests, args.plates)
                for p in plates.values():
                    p.rss = max((r for t, _, r in samples if t <= p.last + 1.0), default=0)
                    p.queries = queries_between([(started, before, 0.0), *samples],
                                                p.first, p.last)
                objects = {p: len(list_objects(store.url, BUCKET,
                                               f"data/0.5/plate-{p}.ome.zarr/"))
                           for p in range(1, args.publish_plates + 1)}
    finally:
        store.stop()
        server.stop()
        if data is not None:
            shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)       # the dev server's state, sessions
    report(args, startup, rows, plates, others, objects)


def report(args, startup: float, rows: list, plates: dict, others, objects: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    fields = args.plates * args.rows * args.columns * args.fields
    per_plate = args.rows * args.columns * args.fields
    console = Console(width=160)
    table = Table(title=f"Screen of {args.plates} plates x {args.rows * args.columns} wells "
                        f"x {args.fields} fields ({fields:,} images, {args.size}x{args.size}"
                        f" x 2 c uint16); dev server started in {startup:.1f} s")
    for column in ("run", "exit", "OMERO queries", "seconds", "peak RSS MiB",
                   "store requests", "rows"):
        table.add_column(column, justify="left" if column in ("run", "rows") else "right")
    for name, code, queries, seconds, rss, requests, counts in rows:
        table.add_row(name, str(code), str(queries), f"{seconds:.1f}", f"{rss:.0f}",
                      f"{requests:,}", counts)
    console.print(table)
    if not plates:
        return
    table = Table(title=f"The publish, plate by plate ({per_plate:,} fields each; requests "
                        "by kind from fake-gcs-server's access log)")
    kinds = store_requests.KINDS
    for column in ("plate", "seconds", "OMERO queries", "RSS MiB", "requests", "per field",
                   "objects per field", *kinds):
        table.add_column(column, justify="right")
    for p in plates.values():
        if not p.total:
            continue
        table.add_row(str(p.plate), f"{p.seconds:.1f}", str(p.queries), f"{p.rss:.0f}",
                      f"{p.total:,}", f"{p.total / per_plate:.1f}",
                      f"{objects.get(p.plate, 0) / per_plate:.2f}",
                      *(f"{p.kinds[k]:,}" for k in kinds))
    table.add_row("other", "", "", "", f"{sum(others.values()):,}", "", "",
                  *(f"{others[k]:,}" for k in kinds))
    console.print(table)


if __name__ == "__main__":
    main()
