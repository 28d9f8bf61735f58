"""Export end to end against the dev server: throughput, objects, bytes, peak memory.

    .venv/bin/python benchmarks/bench_export.py [--quick] [--workers N] [--skip-zarr]
        [--tile-delay-ms 50] [--zarr-timeout S] [--skip-memory]

Starts the OMERO dev server (``test_infra/catalogues/bench_export.yaml``: realistic
``slide`` and ``fluorescence`` pixels, 1024 x 1024 server tiles) with a sleep of
``--tile-delay-ms`` per tile read (a real server's decode cost) and a tile cache (a
warm-up pass generates every tile once, unmeasured, so the runs pay the delay and the
transfer, not the dev server's pixel generator, which on a real deployment runs on
another machine). Then, per image, each in its own subprocess (peak RSS per run: the
child's ``ru_maxrss`` from ``wait4``, and psutil sampled every 0.1 s):

- ceiling: every tile the writer reads (full resolution and the levels the server
  offers), read through ``OmeroTileSource`` with the same worker count, and discarded;
- ngff 0.5 / ngff 0.4: ``omero ngff export Image:N --ngff-version V --workers N``
  (our standalone CLI, in-process in the child), into a temporary folder;
- omero-cli-zarr: ``omero zarr export Image:N --output DIR`` (serial, its defaults:
  1024 x 1024 tiles, OME-Zarr 0.5, pyramid computed on disk with dask afterwards).
  Time-boxed by ``--zarr-timeout``: if it is killed, its rate is over the tiles it
  read (from the server's tile counter), its pyramid step not included, and the row
  says so.

Seconds are the child's own: from after the CLI has loaded its plugins (the same start-up
for both CLIs; the ceiling has none), login included.
Mpixel/s counts the image's full-resolution pixels (x * y * z * c * t) per second.
Objects and bytes are the files and their apparent sizes under the output folder.
Finally the memory target: a 100,000 x 100,000 RGB image written by the writer from
``ngff.selfcheck``'s synthetic source (the dev server cannot generate 28 GiB of slide
pixels on two cores in reasonable time; the writer is the same, the source is not
OMERO), plus a time-boxed ``omero ngff export`` of the 100k slide through the dev
server without delay, reporting its peak RSS over the part it did.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

CATALOGUE = REPO / "test_infra" / "catalogues" / "bench_export.yaml"
USER = "alice"
MIB = 1024 * 1024

# (image id, label); the zarr run of a slide with server levels is also the one of
# its flat twin (omero-cli-zarr reads full resolution only: the same tiles).
FULL = dict(images=[(1, "slide 20k x 20k RGB, server levels"),
                    (2, "slide 20k x 20k RGB, no server levels"),
                    (3, "stack 2048^2 x 50z x 4c uint16")],
            zarr_twin={2: 1}, big=4, big_size=100_000, big_timeout=None)
QUICK = dict(images=[(11, "slide 4k x 4k RGB, server levels"),
                     (12, "slide 4k x 4k RGB, no server levels"),
                     (13, "stack 1024^2 x 8z x 2c uint16")],
             zarr_twin={12: 11}, big=11, big_size=8_192, big_timeout=20)


# ------------------------------------------------------------------------- children

def _connect(a):
    from omero.gateway import BlitzGateway
    conn = BlitzGateway(a.user, a.password, host=a.host, port=a.port)
    if not conn.connect():
        raise SystemExit(f"cannot log in: {conn.getLastError()}")
    conn.SERVICE_OPTS.setOmeroGroup(-1)
    return conn


def _record(conn, image_id):
    from omero_cli_ngff.omero_io import targets
    from omero_cli_ngff.model.objects import ObjectRef
    (record,) = targets.resolve(conn, [ObjectRef("Image", image_id)]).images
    return record


def ceiling_tiles(record, source, workers):
    """(level, t, c, z, y, x, h, w) of every tile the writer reads from the source."""
    from omero_cli_ngff.workflows.convert import image_spec
    from omero_cli_ngff.ngff.spec import WriteOptions
    from omero_cli_ngff.ngff.writer import plan_for

    plan = plan_for(image_spec(record), source, WriteOptions(workers=workers))
    th, tw = source.tile_size
    out = []
    for lv in plan.levels:
        if lv.source_level is None:
            continue
        t_, c_, z_, sy, sx = lv.shape
        for t in range(t_):
            for c in range(c_):
                for z in range(z_):
                    for y in range(0, sy, th):
                        for x in range(0, sx, tw):
                            out.append((lv.source_level, t, c, z, y, x,
                                        min(th, sy - y), min(tw, sx - x)))
    return out


def child_ceiling(a) -> dict:
    from omero_cli_ngff.omero_io.tile_source import OmeroTileSource

    t0 = time.perf_counter()
    conn = _connect(a)
    try:
        record = _record(conn, a.image)
        with OmeroTileSource(conn, record) as source:
            tiles = ceiling_tiles(record, source, a.workers)
            nbytes = [0]
            lock = threading.Lock()

            def read(tile):
                data = source.read(*tile)
                with lock:
                    nbytes[0] += data.nbytes

            with ThreadPoolExecutor(a.workers) as pool:
                list(pool.map(read, tiles))
    finally:
        conn.close()
    return {"seconds": time.perf_counter() - t0, "tiles": len(tiles), "raw_bytes": nbytes[0]}


def _session_env(tmp: str):
    os.environ["OMERO_SESSIONDIR"] = os.path.join(tmp, "sessions")
    os.environ["OMERO_USERDIR"] = os.path.join(tmp, "user")


def _login_args(a):
    return ["-s", a.host, "-p", str(a.port), "-u", a.user, "-w", a.password]


def child_ngff(a) -> dict:
    import contextlib
    import io

    from omero.cli import CLI
    _session_env(a.output + ".session")
    cli = CLI()                    # start-up (plugin loading) outside the time, as for zarr
    cli.loadplugins()
    if "ngff" not in cli.controls:
        from omero_cli_ngff.cli.control import HELP, NgffControl
        cli.register("ngff", NgffControl, HELP)
    out = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out):
        cli.invoke(["ngff", "export", f"Image:{a.image}", "--output", a.output,
                    "--ngff-version", a.version, "--workers", str(a.workers),
                    "--style", "json", *_login_args(a)])
    seconds = time.perf_counter() - t0
    rows = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("[")]
    return {"seconds": seconds, "rc": cli.rv, "rows": rows[-1] if rows else None}


def child_zarr(a) -> dict:
    import contextlib

    from omero.cli import CLI
    _session_env(a.output + ".session")
    cli = CLI()
    cli.loadplugins()
    t0 = time.perf_counter()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        cli.invoke(["login", *_login_args(a)], strict=True)
        cli.invoke(["zarr", "export", f"Image:{a.image}", "--output", a.output], strict=True)
    return {"seconds": time.perf_counter() - t0, "rc": cli.rv}


def child_main(argv) -> int:
    import omero.clients  # noqa: F401  (the Slice types pixel_source names)

    p = argparse.ArgumentParser()
    p.add_argument("--child", required=True)
    for name in ("--host", "--user", "--password", "--output", "--version"):
        p.add_argument(name, default="")
    for name in ("--port", "--image", "--workers"):
        p.add_argument(name, type=int, default=0)
    a = p.parse_args(argv)
    result = {"ceiling": child_ceiling, "ngff": child_ngff, "zarr": child_zarr}[a.child](a)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


# --------------------------------------------------------------------------- parent

@dataclass
class Run:
    image: str
    method: str
    seconds: float = 0.0
    pixels: int = 0                   # full-resolution pixels the rate counts
    objects: Optional[int] = None
    bytes: Optional[int] = None
    peak_rss: int = 0
    tiles: int = 0
    cpu: float = 0.0                  # the child's CPU seconds (user + system)
    server_cpu: float = 0.0           # the dev server's CPU seconds meanwhile
    note: str = ""
    ok: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def mpx_s(self) -> float:
        return self.pixels / self.seconds / 1e6 if self.seconds else 0.0


def run_child(cmd: List[str], timeout: float, env=None, log=None):
    """(rc or None if killed at the time-out, result dict, peak RSS bytes, wall s,
    CPU s (user + system))."""
    import psutil

    out = tempfile.NamedTemporaryFile("w+", prefix="bench-export-", suffix=".out", delete=False)
    err = open(log, "ab") if log else subprocess.DEVNULL
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=str(REPO),
                            start_new_session=True)
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


class Bench:
    def __init__(self, args, server, work: Path):
        self.args = args
        self.server = server
        self.work = work
        self.log = str(work / "children.log")
        self.conn = server.connect(USER)
        self.cat = server.catalogue
        self.env = dict(os.environ, PYTHONPATH=str(REPO))

    def tile_count(self) -> int:
        return int(self.conn.getConfigService().getConfigValue("omero.devserver.tile_count"))

    def child(self, kind, image_id, workers, output="", version="", timeout=24 * 3600):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind,
               "--host", self.server.connect_host, "--port", str(self.server.port),
               "--user", USER, "--password", self.server.password(USER),
               "--image", str(image_id), "--workers", str(workers),
               "--output", output, "--version", version]
        before = self.tile_count()
        cpu0 = self.server_cpu()
        rc, result, peak, wall, cpu = run_child(cmd, timeout, self.env, self.log)
        tiles = self.tile_count() - before
        self.last_cpu = (cpu, self.server_cpu() - cpu0)
        return rc, result, peak, wall, tiles

    def server_cpu(self) -> float:
        import psutil
        t = psutil.Process(self.server.process.pid).cpu_times()
        return t.user + t.system

    def _cpu(self, run: "Run") -> "Run":
        run.cpu, run.server_cpu = self.last_cpu
        return run

    def pixels(self, image_id) -> int:
        p = self.cat.image(image_id).pixels
        return p.size_x * p.size_y * p.size_z * p.size_c * p.size_t

    def level0_tiles(self, image_id) -> int:
        p = self.cat.image(image_id).pixels
        tw, th = p.tile_size
        return (-(-p.size_x // tw)) * (-(-p.size_y // th)) * p.size_z * p.size_c * p.size_t

    # -- methods ---------------------------------------------------------------------
    def warm_up(self, image_id, label):
        t0 = time.monotonic()
        rc, result, _, _, tiles = self.child("ceiling", image_id, 16)
        if rc != 0:
            raise SystemExit(f"warm-up of Image:{image_id} failed (see {self.log})")
        print(f"  warm-up {label}: {tiles} tiles generated into the server's cache in "
              f"{time.monotonic() - t0:.0f} s (unmeasured)", flush=True)

    def ceiling(self, image_id, label) -> Run:
        rc, result, peak, _, tiles = self.child("ceiling", image_id, self.args.workers)
        if rc != 0:
            raise SystemExit(f"ceiling of Image:{image_id} failed (see {self.log})")
        return self._cpu(Run(label, "ceiling (read + discard)", result["seconds"],
                             self.pixels(image_id), peak_rss=peak, tiles=tiles))

    def ngff(self, image_id, label, version, timeout=24 * 3600, workers=None) -> Run:
        out = self.work / f"ngff-{version}-{image_id}"
        shutil.rmtree(out, ignore_errors=True)
        rc, result, peak, wall, tiles = self.child("ngff", image_id, workers or self.args.workers,
                                                   str(out), version, timeout)
        objects, size = tree_size(out)
        run = Run(label, f"ngff {version}", result.get("seconds", wall), self.pixels(image_id),
                  objects, size, peak, tiles)
        if rc is None:
            run.ok = False
            run.note = f"time-boxed: killed after {wall:.0f} s"
        elif rc != 0:
            raise SystemExit(f"ngff export of Image:{image_id} failed: rc {rc} (see {self.log})")
        else:
            row = (result.get("rows") or [{}])[0]
            if row.get("status") == "failed":
                raise SystemExit(f"ngff export of Image:{image_id} failed: {row.get('message')}")
            run.extra = {"levels": row.get("levels"), "writer_objects": row.get("objects")}
        shutil.rmtree(out, ignore_errors=True)
        return self._cpu(run)

    def zarr(self, image_id, label) -> Run:
        out = self.work / f"zarr-{image_id}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        rc, result, peak, wall, tiles = self.child("zarr", image_id, 1, str(out),
                                                   timeout=self.args.zarr_timeout)
        objects, size = tree_size(out)
        run = Run(label, "omero-cli-zarr", result.get("seconds", wall), self.pixels(image_id),
                  objects, size, peak, tiles)
        if rc is None:
            total = self.level0_tiles(image_id)
            run.pixels = int(self.pixels(image_id) * min(tiles, total) / total)
            run.seconds = wall
            run.ok = False
            run.note = (f"time-boxed at {wall:.0f} s: {tiles} of {total} tiles read; "
                        f"rate over those, pyramid step not reached")
        elif rc != 0:
            raise SystemExit(f"omero zarr export of Image:{image_id} failed: rc {rc} "
                             f"(see {self.log})")
        shutil.rmtree(out, ignore_errors=True)
        return self._cpu(run)

    def selfcheck(self, size: int) -> Run:
        out = self.work / "selfcheck.ome.zarr"
        cmd = [sys.executable, "-m", "omero_cli_ngff.ngff.selfcheck", "--size", str(size),
               str(size), "--channels", "3", "--workers", str(self.args.workers),
               "--dest", str(out)]
        rc, _, peak, wall, cpu = run_child(cmd, 24 * 3600, self.env, self.log)
        objects, nbytes = tree_size(out)
        shutil.rmtree(out, ignore_errors=True)
        if rc != 0:
            raise SystemExit(f"selfcheck failed: rc {rc} (see {self.log})")
        return Run(f"{size // 1000}k x {size // 1000}k RGB, synthetic (writer only)",
                   "ngff 0.5 (ngff.selfcheck)", wall, size * size * 3, objects, nbytes, peak,
                   cpu=cpu, note="writer from a synthetic in-memory source, not through OMERO")


# ----------------------------------------------------------------------------- report

def fmt_bytes(n):
    if n is None:
        return "-"
    for unit, f in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= f:
            return f"{n / f:.1f} {unit}"
    return f"{n} B"


def table(runs: List[Run], zarr_of: dict) -> str:
    head = ["image", "method", "s", "Mpx/s", "vs ceiling", "vs cli-zarr", "objects", "bytes",
            "peak RSS MiB", "tiles", "CPU s client+server"]
    rows = []
    ceilings = {r.image: r for r in runs if r.method.startswith("ceiling")}
    for r in runs:
        ceil = ceilings.get(r.image)
        z = zarr_of.get(r.image)
        rows.append([r.image, r.method + (" *" if r.note else ""), f"{r.seconds:.1f}",
                     f"{r.mpx_s:.1f}",
                     f"{r.mpx_s / ceil.mpx_s:.2f}x" if ceil and ceil.mpx_s else "-",
                     f"{r.mpx_s / z.mpx_s:.1f}x" if z and z.mpx_s else "-",
                     "-" if r.objects is None else f"{r.objects:,}", fmt_bytes(r.bytes),
                     f"{r.peak_rss / MIB:.0f}", str(r.tiles or "-"),
                     f"{r.cpu:.0f}+{r.server_cpu:.0f}"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths)) + " |"
              for row in rows]
    notes = [f"* {r.image}, {r.method}: {r.note}" for r in runs if r.note]
    return "\n".join(lines + notes)


def targets_report(runs: List[Run], zarr_of: dict, big: Optional[Run]) -> List[str]:
    out = []
    ceilings = {r.image: r for r in runs if r.method.startswith("ceiling")}
    by = {(r.image, r.method): r for r in runs}
    for image in dict.fromkeys(r.image for r in runs):
        ours = by.get((image, "ngff 0.5"))
        v4 = by.get((image, "ngff 0.4"))
        z = zarr_of.get(image)
        ceil = ceilings.get(image)
        if ours and z and z.mpx_s:
            x = ours.mpx_s / z.mpx_s
            out.append(f"{'MET ' if x >= 5 else 'MISSED'} >= 5x omero-cli-zarr: {x:.1f}x "
                       f"({ours.mpx_s:.1f} vs {z.mpx_s:.1f} Mpx/s) -- {image}")
        if ours and ceil and ceil.mpx_s:
            x = ours.mpx_s / ceil.mpx_s
            out.append(f"{'MET ' if x >= 0.8 else 'MISSED'} >= 0.8x read ceiling: {x:.2f}x "
                       f"({ours.mpx_s:.1f} vs {ceil.mpx_s:.1f} Mpx/s) -- {image}")
        if ours and v4 and ours.objects:
            x = v4.objects / ours.objects
            out.append(f"{'MET ' if x >= 50 else 'MISSED'} >= 50x fewer objects 0.5 vs 0.4: "
                       f"{x:.0f}x ({ours.objects:,} vs {v4.objects:,}) -- {image}")
    if big is not None:
        out.append(f"{'MET ' if big.peak_rss < 2 ** 30 else 'MISSED'} peak RSS < 1 GiB: "
                   f"{big.peak_rss / MIB:.0f} MiB -- {big.image} ({big.method})")
    return out


# ------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--child" in argv:
        return child_main(argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small images (a smoke run, ~2 min)")
    ap.add_argument("--workers", type=int, default=8,
                    help="tile readers of every run (ceiling and ours; default 8)")
    ap.add_argument("--tile-delay-ms", type=float, default=50.0)
    ap.add_argument("--skip-zarr", action="store_true", help="no omero-cli-zarr runs")
    ap.add_argument("--zarr-timeout", type=float, default=900.0,
                    help="seconds before an omero-cli-zarr run is stopped (default 900)")
    ap.add_argument("--skip-memory", action="store_true", help="no 100k memory runs")
    ap.add_argument("--big-timeout", type=float, default=None,
                    help="time box of the 100k export through the dev server (default 240; "
                         "20 with --quick)")
    ap.add_argument("--cache-mib", type=int, default=3072,
                    help="dev server tile cache (default 3072: one image at a time)")
    ap.add_argument("--work", default=None, help="folder for outputs (default: a temp dir)")
    args = ap.parse_args(argv)
    conf = QUICK if args.quick else FULL
    if args.big_timeout is None:
        args.big_timeout = conf["big_timeout"] or 240.0

    from test_infra.omero_fixtures import start_devserver

    work = Path(args.work or tempfile.mkdtemp(prefix="bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"dev server: tile delay {args.tile_delay_ms:g} ms, workers {args.workers}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; work in {work}",
          flush=True)
    server = start_devserver(work / "server", CATALOGUE, read_only=False,
                             tile_delay_ms=args.tile_delay_ms,
                             extra_args=["--tile-cache-mib", str(args.cache_mib)])
    runs: List[Run] = []
    zarr_of = {}
    big = None
    loads = []
    bench = None
    try:
        bench = Bench(args, server, work)
        zarr_runs = {}
        for image_id, label in conf["images"]:
            print(f"{label} (Image:{image_id})", flush=True)
            bench.warm_up(image_id, label)
            loads.append(os.getloadavg()[0])
            for step in ("ceiling", "0.5", "0.4", "zarr"):
                if step == "ceiling":
                    run = bench.ceiling(image_id, label)
                elif step == "zarr":
                    if args.skip_zarr:
                        continue
                    twin = conf["zarr_twin"].get(image_id)
                    if twin in zarr_runs:
                        zarr_of[label] = zarr_runs[twin]
                        continue
                    run = bench.zarr(image_id, label)
                    zarr_runs[image_id] = run
                    zarr_of[label] = run
                else:
                    run = bench.ngff(image_id, label, step)
                runs.append(run)
                print(f"  {run.method:26s} {run.seconds:7.1f} s {run.mpx_s:8.1f} Mpx/s "
                      f"CPU {run.cpu:5.1f}+{run.server_cpu:5.1f} s "
                      f"peak {run.peak_rss / MIB:6.0f} MiB  objects {run.objects or '-'}  "
                      f"{run.note}", flush=True)
        for label, z in zarr_of.items():      # the twin's rows show the shared run
            if z.image != label:
                z.note = (z.note + "; " if z.note else "") + "also the reference of " + label
        if not args.skip_memory:
            size = conf["big_size"]
            print(f"memory: {size:,} x {size:,} RGB", flush=True)
            big = bench.selfcheck(size)
            runs.append(big)
            print(f"  {big.method}: {big.seconds:.0f} s, peak {big.peak_rss / MIB:.0f} MiB",
                  flush=True)
            # the same writer through OMERO: a dev server without delay or cache
            bench.conn.close()
            server.stop()
            server = start_devserver(work / "server-big", CATALOGUE, read_only=False)
            bench = Bench(args, server, work)
            side = bench.cat.image(conf["big"]).pixels.size_x
            label = f"{side // 1000}k x {side // 1000}k RGB slide via dev server, no delay"
            run = bench.ngff(conf["big"], label, "0.5", timeout=args.big_timeout)
            if not run.ok:
                done = run.tiles / max(1, bench.level0_tiles(conf["big"]))
                run.note = (f"time-boxed at {args.big_timeout:.0f} s: {run.tiles} tiles read "
                            f"(~{100 * min(done, 1):.0f}% of full resolution); peak RSS over "
                            f"that part")
                run.pixels = int(bench.pixels(conf["big"]) * min(done, 1.0))
            runs.append(run)
            print(f"  {run.method} via dev server: peak {run.peak_rss / MIB:.0f} MiB {run.note}",
                  flush=True)
    finally:
        if bench is not None:
            bench.conn.close()
        server.stop()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(runs, zarr_of))
    print()
    if args.quick:
        print("(--quick: small images; the targets are meant for the full run)")
    for line in targets_report([r for r in runs if r is not big], zarr_of, big):
        print(line)
    print(f"\nworkers {args.workers}, tile delay {args.tile_delay_ms:g} ms, "
          f"{os.cpu_count()} cores, load average (1 min, this benchmark included) at the "
          f"start of each image: "
          + ", ".join(f"{x:.1f}" for x in loads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
