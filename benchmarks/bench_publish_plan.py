"""Planning a publish, and a no-op rerun, over a generated catalogue on the dev server.

    .venv/bin/python benchmarks/bench_publish_plan.py [--images 10000]

The catalogue (written to a temporary folder) holds one project of N tiny images; in
the "published" variant every image already carries its annotation, pointing at a
local HTTP server that answers every `zarr.json` with a valid multiscales group (so
the rerun's HTTP checks are real requests). Measured through the real CLI in-process:
wall time, OMERO queries (from the dev server's query log) per image, HTTP probes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GROUP_DOC = json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {"ome": {
    "version": "0.5", "multiscales": [{"name": "x", "datasets": [{"path": "0"}],
                                       "axes": []}]}}}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without TCP_NODELAY a keep-alive client
    # waits ~40 ms (Nagle + delayed ACK) for every answer, which no real server does
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.hits += 1
        if self.path.endswith("/zarr.json"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(GROUP_DOC)))
            self.end_headers()
            self.wfile.write(GROUP_DOC)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


def catalogue(n: int, public: str, published: bool) -> str:
    image = {"count": n, "firstId": 1000, "name": "img-{i}.tif", "sizeX": 16,
             "sizeY": 16, "type": "uint8"}
    if published:
        image["annotations"] = [{"ns": "jax.org/public/zarr", "values": {
            "zarr_path": public + "/0.5/{id}.ome.zarr/0/", "ngff_version": "0.5",
            "zarr_conversion_date": "2026-01-01T00:00:00+00:00"}}]
    spec = {"groups": [{"id": 3, "name": "public-lab", "permissions": "rwra--"}],
            "users": [{"id": 2, "name": "alice", "password": "alice-pw",
                       "groups": ["public-lab"]}],
            "projects": [{"id": 1, "name": "big", "owner": "alice",
                          "datasets": [{"id": 1, "name": "big", "images": [image]}]}]}
    import yaml
    path = Path(tempfile.mkdtemp()) / ("published.yaml" if published else "fresh.yaml")
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def run_cli(argv):
    from omero.cli import CLI, NonZeroReturnCode
    cli = CLI()
    cli.loadplugins()
    saved = sys.stdout
    sys.stdout = open(os.devnull, "w")
    try:
        cli.invoke(argv, strict=True)
    except NonZeroReturnCode:
        pass
    finally:
        sys.stdout.close()
        sys.stdout = saved
    return cli.rv


def measure(n: int, published: bool, http, public: str, label: str, extra=()):
    from test_infra.omero_fixtures import start_devserver
    state = Path(tempfile.mkdtemp())
    server = start_devserver(state / "state", catalogue(n, public, published))
    try:
        login = server.cli_login_args("alice")
        run_cli(["ngff", "exit-codes"])                 # imports out of the timing
        before, hits = server.query_count(), http.hits
        start = time.perf_counter()
        rv = run_cli(["ngff", "publish", "Project:1", "--dest", "memory://bench",
                      "--public-url", public, "--style", "json", *extra, *login])
        seconds = time.perf_counter() - start
        queries = server.query_count() - before
        return [label, n, rv, round(seconds, 2), queries, round(queries / n, 4),
                http.hits - hits]
    finally:
        server.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("OMERO_SESSIONDIR", tempfile.mkdtemp())
    os.environ.setdefault("OMERO_USERDIR", tempfile.mkdtemp())
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    http.daemon_threads = True
    http.hits = 0
    threading.Thread(target=http.serve_forever, daemon=True).start()
    public = f"http://127.0.0.1:{http.server_address[1]}/bench"
    rows = [
        measure(args.images, False, http, public, "plan (dry run), nothing published",
                ["--dry-run"]),
        measure(args.images, True, http, public, "no-op rerun, all published"),
    ]
    from rich.console import Console
    from rich.table import Table
    table = Table(title=f"publish planning over {args.images} images (dev server)")
    for col in ("case", "images", "exit", "seconds", "OMERO queries", "queries/image",
                "HTTP probes"):
        table.add_column(col)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    Console().print(table)
    http.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
