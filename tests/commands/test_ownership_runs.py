"""Runs that die (kill -9 at enumerated points: after the claim, mid-shard, before the
annotation, mid-delete of the old copy) and reruns from another host: the claim holds
until it is stale (reported, exit 10 when every image is held), is then taken over
(reported), and the rerun finishes the work. Spool files of a dead run are removed by
the next run of its host. Bookkeeping objects reveal no host, user, pid or path."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from omero_cli_ngff import exit_codes
from test_infra.fake_gcs import get_object
from tests.helpers.ownership import (
    OwnWorld,
    assert_annotations_point_at_own_copies,
    assert_unchanged,
)
from tests.helpers.publish import env_isolated

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

REPO = Path(__file__).resolve().parents[2]
KILLED = 40            # the image whose publish is killed
OTHER = 41             # published before: its data must not change
OTHER_HOST = "rerun-host.example.org"
CHUNKS = ("--chunk-size", "32")     # several chunks per shard: a shard stays open a while


@pytest.fixture
def world(ownership_server, gcs_emulator, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))      # this process' TMPDIR
    monkeypatch.delenv("OMERO_NGFF_HOST", raising=False)
    monkeypatch.delenv("OMERO_NGFF_CLAIM_STALE_AFTER", raising=False)
    w = OwnWorld(ownership_server, gcs_emulator, capsys)
    w.tmp = tmp
    rv, rows, err = w.publish(f"Image:{OTHER}")
    assert rv == 0, err
    return w


def killed_publish(world, point, *args):
    """`publish Image:40` in a subprocess that SIGKILLs itself at ``point``."""
    env = dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(world.tmp),
               OMERO_NGFF_FAILPOINT=point)
    argv = [sys.executable, "-m", "omero_cli_ngff", "publish", f"Image:{KILLED}",
            "--dest", world.dest, "--namespace", world.namespace, "--style", "json",
            *CHUNKS, *args, *world.server.cli_login_args("root"), "-g", "-1"]
    proc = subprocess.run(argv, cwd=str(REPO), env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    return proc


def bookkeeping(world):
    """Every bookkeeping object (claims, journal, ownership records): name -> JSON."""
    names = [n for n in world.objects() if "/.omero-ngff" in n]
    return {n: json.loads(get_object(world.emulator.url, world.bucket, n)) for n in names}


def assert_private(world, docs):
    """No host name, user name, pid or local path in any bookkeeping object."""
    secrets = [socket.gethostname(), OTHER_HOST, str(world.tmp), tempfile.gettempdir(),
               "alice", "mallory", str(REPO)]
    for name, doc in docs.items():
        assert not {"host", "pid", "user", "path"} & set(doc), (name, doc)
        text = json.dumps(doc)
        for secret in secrets:
            assert secret not in text, (name, secret)
        assert doc.get("user") is None and doc.get("run", "x").isalnum()


SETUP = {
    "after-claim": (),
    "mid-shard": (),
    "before-annotation": (),
    "mid-delete": ("--ngff-version", "0.4"),      # published at 0.4 first: replaced later
}


@pytest.mark.parametrize("point", list(SETUP))
def test_kill_9_then_reruns_from_another_host(world, point, monkeypatch):
    if SETUP[point]:
        rv, rows, err = world.publish(f"Image:{KILLED}", *SETUP[point], *CHUNKS)
        assert rv == 0, err
    before = world.objects()
    killed_publish(world, point)
    left = bookkeeping(world)
    assert any("/.omero-ngff/claims/" in n for n in left), left
    assert_private(world, left)

    # another host, at once: the dead run's claim is live for all it knows
    monkeypatch.setenv("OMERO_NGFF_HOST", OTHER_HOST)
    rv, rows, err = world.publish(f"Image:{KILLED}", *CHUNKS)
    assert rv == exit_codes.CLAIMED, err
    assert rows[0]["status"] == "claimed" and "another run" in rows[0]["message"]

    # once the claim is stale (shortened here from 5 minutes), any host takes it over
    monkeypatch.setenv("OMERO_NGFF_CLAIM_STALE_AFTER", "0.5")
    time.sleep(0.6)
    rv, rows, err = world.publish(f"Image:{KILLED}", *CHUNKS)
    assert rv == exit_codes.OK, err
    assert "took over the claim" in rows[0]["message"] and "took over the claim" in err
    assert rows[0]["status"] in ("published", "updated", "skipped")

    after = world.objects()
    assert_unchanged(before, after, f"{world.prefix}/0.5/{OTHER}.ome.zarr")
    assert_annotations_point_at_own_copies(world, [KILLED, OTHER])
    assert not [n for n in after if "/.omero-ngff/" in n]          # nothing left over
    index = ("index.json", "index.html", "index")          # the public index beside them
    roots = {n.split("/")[1] + "/" + n.split("/")[2] for n in after
             if n.split("/")[1] not in index}
    assert roots == {f"0.5/{OTHER}.ome.zarr", f"0.5/{KILLED}.ome.zarr"}   # old one gone
    assert_private(world, bookkeeping(world))


def test_spool_files_of_a_dead_run_are_removed_by_the_next_run_of_its_host(world,
                                                                           monkeypatch):
    before = world.objects()
    killed_publish(world, "mid-shard")
    spooled = sorted(world.tmp.glob("omero-ngff-runs/*/spool/*.spool"))
    assert spooled and all(p.stat().st_size > 0 for p in spooled)
    monkeypatch.setenv("OMERO_NGFF_HOST", OTHER_HOST)       # not its host: not judged
    monkeypatch.setenv("OMERO_NGFF_CLAIM_STALE_AFTER", "0.5")
    time.sleep(0.6)
    rv, rows, err = world.publish(f"Image:{KILLED}", *CHUNKS)
    assert rv == 0, err
    assert all(p.exists() for p in spooled)
    monkeypatch.delenv("OMERO_NGFF_HOST")                   # its own host: removed
    rv, rows, err = world.publish(f"Image:{KILLED}", *CHUNKS)
    assert rv == 0 and rows[0]["status"] == "skipped", err
    assert not any(p.exists() for p in spooled)
    assert "spool files" in err and str(world.tmp) in err
    assert list(world.tmp.glob("omero-ngff-runs/*/spool/*")) == []
    assert_unchanged(before, world.objects(), f"{world.prefix}/0.5/{OTHER}.ome.zarr")
    assert_annotations_point_at_own_copies(world, [KILLED, OTHER])
