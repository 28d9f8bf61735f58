"""How long does `omero ngff locate` take for a Project of 10,000 images, in how many
queries? Runs against the dev server with the bench catalogue (test_infra/catalogues/
bench.yaml: 10,000 generated slides in two datasets), 9,000 of them annotated.

    .venv/bin/python benchmarks/bench_locate.py [--images-annotated 9000] [--repeat 3]

Prints a table: per run, the queries the server answered (from its queries.log), the
plugin's own count, images and copies found, wall time. The CLI runs in-process, as
`omero ngff locate Project:1 ...` would from a shell (login included).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NS = "jax.org/public/zarr"
BASE = "https://storage.googleapis.com/bench-bucket/data/0.5"


def bench_catalogue(folder: Path, annotated: int) -> Path:
    """bench.yaml with the first `annotated` images carrying a published-copy annotation."""
    spec = yaml.safe_load((ROOT / "test_infra" / "catalogues" / "bench.yaml").read_text())
    annotation = {"ns": NS, "values": {
        "zarr_path": BASE + "/{id}.ome.zarr/0/", "ngff_version": "0.5",
        "zarr_conversion_date": "2024-06-01T10:00:00+00:00"}}
    left = annotated
    for project in spec.get("projects") or []:
        for dataset in project.get("datasets") or []:
            items = []
            for item in dataset.get("images") or []:
                count = int(item.get("count", 1))
                if left >= count:
                    item = dict(item, annotations=[annotation])
                    items.append(item)
                    left -= count
                elif left > 0 and "count" in item:
                    first = int(item["firstId"])
                    items.append(dict(item, count=left, annotations=[annotation]))
                    items.append(dict(item, count=count - left, firstId=first + left))
                    left = 0
                else:
                    items.append(item)
            dataset["images"] = items
    path = folder / "bench-located.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run_cli(argv) -> tuple:
    from omero.cli import CLI, NonZeroReturnCode
    cli = CLI()
    cli.loadplugins()
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.invoke(argv, strict=True)
        except NonZeroReturnCode:
            pass
    return cli.rv, time.perf_counter() - start, out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images-annotated", type=int, default=9000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    from omero_cli_ngff.commands.locate import locate
    from omero_cli_ngff.model.objects import parse_objects
    from test_infra.omero_fixtures import start_devserver

    work = Path(tempfile.mkdtemp(prefix="bench-locate-"))
    os.environ["OMERO_SESSIONDIR"] = str(work / "sessions")
    os.environ["OMERO_USERDIR"] = str(work / "userdir")
    catalogue = bench_catalogue(work, args.images_annotated)
    t0 = time.perf_counter()
    server = start_devserver(work / "state", catalogue=catalogue, read_only=True)
    startup = time.perf_counter() - t0
    rows = []
    try:
        login = server.cli_login_args("alice")
        conn = server.connect("alice")
        try:
            for i in range(args.repeat):
                before = server.query_count()
                start = time.perf_counter()
                result = locate(conn, parse_objects(["Project:1"]), NS)
                seconds = time.perf_counter() - start
                rows.append(("locate() in a session", server.query_count() - before,
                             result.queries, result.images, len(result.rows),
                             len(result.missing_images), seconds))
        finally:
            conn.close()
        for style in (["--style", "json"], ["--urls"], ["--style", "table"]):
            for i in range(args.repeat):
                before = server.query_count()
                rv, seconds, out = run_cli(["ngff", "locate", "Project:1", *style] + login)
                assert rv == 0, f"locate failed ({rv})"
                lines = out.count("\n")
                rows.append((f"omero ngff locate {' '.join(style)} (login incl.)",
                             server.query_count() - before, None, None, lines, None,
                             seconds))
    finally:
        server.stop()

    table = Table(title=f"locate Project:1 - 10,000 images, {args.images_annotated} "
                        f"published (dev server started in {startup:.1f} s)")
    for column in ("run", "queries (server)", "queries (plugin)", "images", "copies/lines",
                   "missing", "seconds"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for run, server_q, plugin_q, images, copies, missing, seconds in rows:
        table.add_row(run, str(server_q), "" if plugin_q is None else str(plugin_q),
                      "" if images is None else str(images), str(copies),
                      "" if missing is None else str(missing), f"{seconds:.2f}")
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
