"""`omero ngff publish` when things go wrong: read-only or missing bucket, object-store
failures mid-upload, kill -9 in the middle, two publishes at once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omero_cli_ngff import exit_codes

from tests.helpers.publish import (CATALOGUE, MANY, World, assert_no_secrets,
                             assert_nothing_orphaned, assert_published_once,
                             env_isolated)

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    server = start_omero_devserver(CATALOGUE)
    return World(server, gcs_emulator, bucket, capsys)


@pytest.fixture
def proxied(world, fault_proxy, monkeypatch):
    """The same world, with the object store reached through the fault proxy."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fault_proxy.url)
    world.public_base = fault_proxy.url
    return world, fault_proxy


def test_read_only_bucket_fails_before_any_conversion(proxied):
    world, proxy = proxied
    proxy.read_only()
    rv, _, err = world.publish("Project:1")
    assert rv == exit_codes.DESTINATION, err
    assert "read-only" in err
    assert world.objects("") == [] and world.copies([1, 2, 3, 11, 12]) == {}


def test_missing_bucket_fails_before_any_conversion(world):
    world.bucket = "no-such-bucket-x1"
    rv, _, err = world.publish("Project:1")
    assert rv == exit_codes.DESTINATION, err
    assert world.copies([1, 2, 3, 11, 12]) == {}


def test_transient_upload_failures_are_retried(proxied, fast_gcsfs_retries):
    world, proxy = proxied
    proxy.fail(503, method="POST|PUT", path=r"^/upload/", skip=4, times=3)
    proxy.drop(method="POST|PUT", path=r"^/upload/", skip=12, times=2)
    rv, rows, err = world.publish("Image:1,2", "--parallel-images", "1")
    assert rv == 0, err
    assert sum(r.applied for r in proxy.rules) >= 4
    assert_published_once(world, [1, 2])


def test_persistent_upload_failure_is_reported_never_annotated(proxied, fast_gcsfs_retries):
    world, proxy = proxied
    proxy.fail(503, method="POST|PUT", path=r"^/upload/", skip=4)
    rv, rows, err = world.publish("Image:1", "--parallel-images", "1")
    assert rv == exit_codes.DESTINATION, err
    assert rows[0]["status"] == "failed"
    assert world.copies([1]) == {}
    proxy.clear()
    rv, rows, err = world.publish("Image:1")            # a rerun finishes it
    assert rv == 0, err
    urls = assert_published_once(world, [1])
    assert_nothing_orphaned(world, urls)


def _subprocess_publish(world, *extra, session_dir=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    if session_dir is not None:
        # omero-py creates a session store's folders without exist_ok: two processes
        # logging in at once into one store race (FileExistsError)
        env["OMERO_SESSIONDIR"] = str(session_dir)
    argv = [sys.executable, "-m", "omero_cli_ngff", "publish", "Project:3",
            "--dest", world.dest, "--style", "json", "--parallel-images", "2",
            *world.server.cli_login_args("alice"), *extra]
    return subprocess.Popen(argv, cwd=str(REPO), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("seed", [7])
def test_kill_9_mid_publish_then_rerun(start_omero_devserver, gcs_emulator, bucket, capsys,
                                       monkeypatch, tmp_path, seed):
    env_isolated(monkeypatch, tmp_path)
    server = start_omero_devserver(CATALOGUE, tile_delay_ms=30)
    world = World(server, gcs_emulator, bucket, capsys)
    threshold = random.Random(seed).randint(6, 40)     # objects written before the kill
    proc = _subprocess_publish(world)
    deadline = time.time() + 60
    try:
        while time.time() < deadline and proc.poll() is None:
            if len(world.objects("")) >= threshold:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the publish ended before the kill point"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(20)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    left = world.objects("")
    assert any("/.omero-ngff/" in n for n in left)           # interrupted for real
    rv, rows, err = world.publish("Project:3")
    assert rv == 0, err
    urls = assert_published_once(world, MANY)
    assert_nothing_orphaned(world, urls)
    rv, rows, _ = world.publish("Project:3")
    assert {r["status"] for r in rows} == {"skipped"}


def test_two_concurrent_publishes_end_consistent(start_omero_devserver, gcs_emulator,
                                                 bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    server = start_omero_devserver(CATALOGUE, tile_delay_ms=10)
    world = World(server, gcs_emulator, bucket, capsys)
    procs = [_subprocess_publish(world, session_dir=tmp_path / f"sessions-{i}")
             for i in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    rows = [json.loads(out.strip().splitlines()[-1])["images"] for out, _ in outputs]
    for p, run_rows, (out, err) in zip(procs, rows, outputs):
        # a run that skipped images another live run held says so, per image and in
        # its exit code (all of them: a code of its own)
        claimed = [r for r in run_rows if r["status"] == "claimed"]
        expected = (exit_codes.OK if not claimed else exit_codes.CLAIMED
                    if len(claimed) == len(run_rows) else exit_codes.PARTIAL_FAILURE)
        assert p.returncode == expected, err
        assert all("another run is publishing it" in r["message"] for r in claimed)
    published = [r["image_id"] for rs in rows for r in rs if r["status"] == "published"]
    assert sorted(published) == MANY                          # each image once
    urls = assert_published_once(world, MANY)
    assert_nothing_orphaned(world, urls)
    assert_no_secrets(world, [o for pair in outputs for o in pair])
