"""The README's demo: publish the dev server's demo project to the local object store,
then locate and verify it, with the commands an admin would type.

    python -m test_infra.demo [--serve] [--workdir demo-data]

Starts the OMERO dev server (seeded demo catalogue) and fake-gcs-server on free ports,
runs `omero-ngff publish / locate / verify` as subprocesses (the console script: the
`omero` launcher refuses root), reads one published image back with ome-zarr-py, then
its ROIs as NGFF labels, and stops both servers, or keeps them until Ctrl-C with --serve.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from test_infra.fake_gcs import FakeGcs
from test_infra.omero_fixtures import start_devserver

REPO = Path(__file__).resolve().parent.parent
INDEX_NS = "openmicroscopy.org/omero/client/mapAnnotation"   # its pairs in the index
PROJECT = "Project:3"          # demo-publish: the demo's small images
SCREEN = "Screen:1"            # demo-screen: one plate of 2 x 3 wells, 2 fields each
USER = "alice"
BUCKET = "demo"


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def run(command: list[str], env: dict) -> int:
    """Print the command as typed (no password: it comes from OMERO_PASSWORD), run it."""
    print("$ " + " ".join(shlex.quote(c) for c in command), flush=True)
    return subprocess.run(command, env=env).returncode


class Stopped(Exception):
    """SIGTERM or SIGHUP: stop the servers as Ctrl-C does."""


def _stop(signum, frame):
    raise Stopped(signal.Signals(signum).name)


def serve(store, server, login: list[str], workdir: Path) -> None:
    """Keep both servers until Ctrl-C, SIGTERM or SIGHUP, with commands to try that work
    as printed in another shell (the password is the demo user's, from the catalogue)."""
    banner("serving: try these in another shell (Ctrl-C here stops both servers)")
    print(f"cd {shlex.quote(str(REPO))} && source .venv/bin/activate")
    print(f"export STORAGE_EMULATOR_HOST={store.url}")
    print(f"export OMERO_PASSWORD={server.password(USER)}   # the demo user {USER}'s")
    print(f"export OMERO_SESSIONDIR={shlex.quote(str(workdir / 'sessions'))}")
    print("omero-ngff locate " + " ".join(login) + f" {PROJECT}")
    print("omero-ngff verify " + " ".join(login) + f" {PROJECT}")
    print("omero-ngff -h", flush=True)
    while True:
        time.sleep(1)


def demo(store, server, workdir: Path, codes: list[int]) -> list[str]:
    """The commands an admin would type, then a scientist reading the pixels; their exit
    codes go to `codes`. Returns the login arguments used."""
    ngff = str(Path(sys.executable).parent / "omero-ngff")
    env = dict(os.environ, STORAGE_EMULATOR_HOST=store.url,
               OMERO_PASSWORD=server.password(USER),
               OMERO_SESSIONDIR=str(workdir / "sessions"), PYTHONPATH=str(REPO))
    login = ["-s", server.connect_host, "-p", str(server.port), "-u", USER]
    public = f"{store.url}/{BUCKET}/data"
    banner(f"publish {PROJECT} to gs://{BUCKET}/data")
    codes.append(run([ngff, "publish", PROJECT, "--dest", f"gs://{BUCKET}/data",
                      "--public-url", public, "--index-namespace", INDEX_NS, *login], env))
    banner("where are the pixels?")
    codes.append(run([ngff, "locate", PROJECT, *login], env))
    codes.append(run([ngff, "locate", PROJECT, "--urls", *login], env))
    banner("is every published copy sound?")
    codes.append(run([ngff, "verify", PROJECT, *login], env))
    banner("a scientist reads the pixels straight from the bucket")
    url = subprocess.run([ngff, "locate", PROJECT, "--urls", *login], env=env,
                         capture_output=True, text=True).stdout.split()[0]
    snippet = (
        "from ome_zarr.io import parse_url\n"
        "from ome_zarr.reader import Reader\n"
        f"image = list(Reader(parse_url({url!r}))())[0]\n"
        "print([level.shape for level in image.data])")
    print(snippet)
    codes.append(subprocess.run([sys.executable, "-c", snippet], env=env).returncode)
    banner("and the ROIs, as NGFF labels beside the pixels")
    codes.append(read_labels(url, env))
    publish_screen(ngff, login, env, public, codes)
    banner("the public index beside the data: a searchable page, no server needed")
    codes.append(0 if requests.get(f"{public}/index.json", timeout=10).ok else 1)
    print(f"index page: {public}/index.html", flush=True)
    return login


PLATE_SNIPPET = """\
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader
plate = list(Reader(parse_url({url!r}))())[0]
attrs = plate.zarr.root_attrs.get("ome", plate.zarr.root_attrs)["plate"]
print("plate", attrs["name"], "wells:", [w["path"] for w in attrs["wells"]])
print("first field:", [level.shape for level in plate.data])"""


def publish_screen(ngff: str, login: list[str], env: dict, public: str,
                   codes: list[int]) -> None:
    """A screen: one NGFF plate per OMERO plate, every field annotated with its field."""
    banner(f"publish {SCREEN}: one NGFF plate per plate, each field annotated")
    codes.append(run([ngff, "publish", SCREEN, "--dest", f"gs://{BUCKET}/data",
                      "--public-url", public, "--index-namespace", INDEX_NS, *login], env))
    codes.append(run([ngff, "locate", SCREEN, *login], env))
    codes.append(run([ngff, "verify", SCREEN, *login], env))
    banner("a scientist opens the plate with ome-zarr-py")
    field = subprocess.run([ngff, "locate", SCREEN, "--urls", *login], env=env,
                           capture_output=True, text=True).stdout.split()[0]
    snippet = PLATE_SNIPPET.format(url=field.rstrip("/").rsplit("/", 3)[0] + "/")
    print(snippet)
    codes.append(subprocess.run([sys.executable, "-c", snippet], env=env).returncode)


LABELS_SNIPPET = """\
import numpy as np
from ome_zarr.io import parse_url
from ome_zarr.reader import Label, Reader
nodes = list(Reader(parse_url({url!r}))())
label = next(n for n in nodes if any(isinstance(s, Label) for s in n.specs))
attrs = label.zarr.root_attrs.get("ome", label.zarr.root_attrs)["image-label"]
names = {{p["label-value"]: p.get("omero:name", "overlap") for p in attrs["properties"]}}
data = np.asarray(label.data[0])
for value, count in zip(*np.unique(data[data > 0], return_counts=True)):
    print(f"label {{value}} ({{names[int(value)]}}): {{count}} pixels")"""


def read_labels(url: str, env: dict) -> int:
    """A scientist reads the ROIs of the first image back as labels with ome-zarr-py."""
    snippet = LABELS_SNIPPET.format(url=url)
    print(snippet)
    return subprocess.run([sys.executable, "-c", snippet], env=env).returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m test_infra.demo")
    parser.add_argument("--workdir", default=str(REPO / "demo-data"))
    parser.add_argument("--serve", action="store_true",
                        help="keep the servers running after the demo (Ctrl-C stops)")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    for signum in (signal.SIGTERM, signal.SIGHUP):   # stop the servers as Ctrl-C does
        signal.signal(signum, _stop)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    server = store = None
    codes: list[int] = []
    try:
        banner("starting the OMERO dev server and the object-store emulator")
        server = start_devserver(workdir / "omero")
        store = FakeGcs(data_dir=str(workdir / "gcs")).start()
        store.create_bucket(BUCKET)
        print(f"OMERO dev server: tcp://127.0.0.1:{server.port} (users: root, alice, bob)")
        print(f"object store:     {store.url} (fake-gcs-server), bucket gs://{BUCKET}")
        login = demo(store, server, workdir, codes)
        if args.serve:
            serve(store, server, login, workdir)
    except (KeyboardInterrupt, Stopped):
        pass
    finally:
        for running in (store, server):
            if running is not None:
                running.stop()
    failed = [c for c in codes if c]
    banner("demo finished" + (f" with failures: exit codes {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
