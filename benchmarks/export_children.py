"""The measured processes of ``bench_export.py`` and how the parent runs them.

Each measurement runs in a child process of its own (``bench_export.py --child KIND``)
that prints ``RESULT {json}``; the parent takes its peak RSS (``wait4``'s ``ru_maxrss``
and psutil sampled every 0.1 s) and CPU seconds. Kinds:

- ``warm``: read every tile the writer reads through ``OmeroTileSource`` (16 threads)
  and discard them: fills the dev server's tile cache, unmeasured;
- ``ngff``: ``omero ngff export TARGET --output DIR`` in-process (the CLI's plugins
  loaded before the clock starts), at default settings unless ``--workers N``;
- ``zarr``: ``omero zarr export Image:N`` (omero-cli-zarr, its defaults);
- ``zarr-loop``: ``omero zarr export Image:N`` for each image of a list, one after the
  other in one process (the in-process CLI: no process start-up per image), until done
  or ``--deadline`` seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------- children

def _connect(a):
    from omero.gateway import BlitzGateway
    conn = BlitzGateway(a.user, a.password, host=a.host, port=a.port)
    if not conn.connect():
        raise SystemExit(f"cannot log in: {conn.getLastError()}")
    conn.SERVICE_OPTS.setOmeroGroup(-1)
    return conn


def _writer_tiles(record, source):
    """(level, t, c, z, y, x, h, w) of every read the writer may make from the source:
    the server's tiles, and whole chunks where those are smaller (the adaptive readers
    read whole chunks when that measures cheaper: the cache must hold both)."""
    from omero_cli_ngff.ngff.spec import WriteOptions
    from omero_cli_ngff.ngff.writer import plan_for
    from omero_cli_ngff.workflows.convert import image_spec

    plan = plan_for(image_spec(record), source, WriteOptions())
    out = []
    for lv in plan.levels:
        if lv.source_level is None:
            continue
        th, tw = source.level_tile_size(lv.source_level)
        sizes = [(th, tw)] + ([lv.chunks[3:]] if th * tw < lv.chunks[3] * lv.chunks[4] else [])
        t_, c_, z_, sy, sx = lv.shape
        for (th, tw), t, c, z in itertools.product(sizes, range(t_), range(c_), range(z_)):
            for y in range(0, sy, th):
                for x in range(0, sx, tw):
                    out.append((lv.source_level, t, c, z, y, x, min(th, sy - y), min(tw, sx - x)))
    return out


def child_warm(a) -> dict:
    from omero_cli_ngff.model.objects import ObjectRef
    from omero_cli_ngff.omero_io import targets
    from omero_cli_ngff.omero_io.tile_source import OmeroTileSource

    conn = _connect(a)
    tiles = lock = None
    try:
        records = targets.resolve(conn, [ObjectRef(*a.target.split(":"))]).images
        lock, count = threading.Lock(), [0]
        for record in records:
            with OmeroTileSource(conn, record) as source:
                tiles = _writer_tiles(record, source)

                def read(tile, source=source):
                    source.read(*tile)
                    with lock:
                        count[0] += 1

                with ThreadPoolExecutor(16) as pool:
                    list(pool.map(read, tiles))
    finally:
        conn.close()
    return {"tiles": count[0]}


def _session_env(tmp: str):
    os.environ["OMERO_SESSIONDIR"] = os.path.join(tmp, "sessions")
    os.environ["OMERO_USERDIR"] = os.path.join(tmp, "user")


def _login_args(a):
    return ["-s", a.host, "-p", str(a.port), "-u", a.user, "-w", a.password]


def _cli(a, ngff=False):
    from omero.cli import CLI
    _session_env(a.output + ".session")
    cli = CLI()                    # start-up (plugin loading) outside the time
    cli.loadplugins()
    if ngff and "ngff" not in cli.controls:
        from omero_cli_ngff.cli.control import HELP, NgffControl
        cli.register("ngff", NgffControl, HELP)
    return cli


def _cpu() -> float:
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_ngff(a) -> dict:
    cli = _cli(a, ngff=True)
    workers = ["--workers", str(a.workers)] if a.workers else []
    out = io.StringIO()
    t0, cpu0 = time.perf_counter(), _cpu()
    with contextlib.redirect_stdout(out):
        cli.invoke(["ngff", "export", a.target, "--output", a.output, *workers,
                    "--style", "json", *_login_args(a)])
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    rows = _json_images(out.getvalue())
    failed = [r for r in rows if r.get("status") == "failed"]
    return {"seconds": seconds, "cpu": cpu, "rc": cli.rv, "images": len(rows),
            "failed": len(failed),
            "message": failed[0].get("message") if failed else ""}


def _json_images(text: str) -> list:
    """The ``images`` of the one JSON document ``--style json`` prints (#13)."""
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line).get("images", [])
    return []


def child_zarr(a) -> dict:
    cli = _cli(a)
    t0, cpu0 = time.perf_counter(), _cpu()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        cli.invoke(["login", *_login_args(a)], strict=True)
        cli.invoke(["zarr", "export", a.target, "--output", a.output], strict=True)
    return {"seconds": time.perf_counter() - t0, "cpu": _cpu() - cpu0, "rc": cli.rv}


def child_zarr_loop(a) -> dict:
    cli = _cli(a)
    ids = [int(i) for i in a.ids.split(",")]
    t0, cpu0 = time.perf_counter(), _cpu()
    done = 0
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        cli.invoke(["login", *_login_args(a)], strict=True)
        for image_id in ids:
            if time.perf_counter() - t0 > a.deadline:
                break
            cli.invoke(["zarr", "export", f"Image:{image_id}", "--output", a.output],
                       strict=True)
            done += 1
    return {"seconds": time.perf_counter() - t0, "cpu": _cpu() - cpu0, "rc": cli.rv,
            "images": done}


def child_main(argv) -> int:
    import omero.clients  # noqa: F401  (the Slice types the tile source names)

    p = argparse.ArgumentParser()
    p.add_argument("--child", required=True)
    for name in ("--host", "--user", "--password", "--output", "--target", "--ids"):
        p.add_argument(name, default="")
    for name in ("--port", "--workers"):
        p.add_argument(name, type=int, default=0)
    p.add_argument("--deadline", type=float, default=1e9)
    a = p.parse_args(argv)
    kinds = {"warm": child_warm, "ngff": child_ngff, "zarr": child_zarr,
             "zarr-loop": child_zarr_loop}
    print("RESULT " + json.dumps(kinds[a.child](a)), flush=True)
    return 0


# --------------------------------------------------------------------------- parent

@dataclass
class Run:
    image: str
    method: str
    seconds: float = 0.0
    pixels: int = 0                   # full-resolution pixels the rate counts
    images: int = 1
    objects: Optional[int] = None
    bytes: Optional[int] = None
    peak_rss: int = 0
    tiles: int = 0
    cpu: float = 0.0                  # the child's CPU seconds of the run (user + system)
    server_cpu: float = 0.0           # the dev server's CPU seconds meanwhile
    cores: int = 0                    # of the server model
    note: str = ""
    ok: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def mpx_s(self) -> float:
        return self.pixels / self.seconds / 1e6 if self.seconds else 0.0

    @property
    def cpu_per_gpx(self) -> float:
        return self.cpu / (self.pixels / 1e9) if self.pixels else 0.0


def run_child(cmd: List[str], timeout: float, env=None, log=None, cpus=None):
    """(rc or None if killed at the time-out, result dict, peak RSS bytes, wall s,
    CPU s (user + system)); the child runs on ``cpus`` when given."""
    import psutil

    out = tempfile.NamedTemporaryFile("w+", prefix="bench-export-", suffix=".out", delete=False)
    err = open(log, "ab") if log else subprocess.DEVNULL
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=str(REPO),
                            start_new_session=True,
                            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
    ps = psutil.Process(proc.pid)
    peak = 0
    killed = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.Error:
            pass
        if not killed and time.monotonic() - t0 > timeout:
            os.killpg(proc.pid, signal.SIGTERM)
            killed = True
        time.sleep(0.1)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    peak = max(peak, usage.ru_maxrss * 1024)
    if log:
        err.close()
    out.seek(0)
    text = out.read()
    out.close()
    os.unlink(out.name)
    result = {}
    for line in text.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
    cpu = usage.ru_utime + usage.ru_stime
    return (None if killed else proc.returncode), result, peak, wall, cpu


def tree_size(path: Path):
    objects = size = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            objects += 1
            size += os.path.getsize(os.path.join(dirpath, f))
    return objects, size
