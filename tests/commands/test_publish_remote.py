"""`omero ngff publish --remote google-batch`: the real google-cloud-batch client against
the Batch REST stub, outputs written by the stub into the object-store emulator."""

from __future__ import annotations

import json

import pytest
import requests

from omero_cli_ngff import exit_codes

from tests.helpers.publish import (CATALOGUE, World, assert_no_secrets, assert_published_once,
                             env_isolated)

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

REPO = "gs://repo-bucket/ManagedRepository"


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path,
          batch_stub):
    env_isolated(monkeypatch, tmp_path)
    monkeypatch.setenv("OMERO_NGFF_BATCH_POLL", "0.05")
    server = start_omero_devserver(CATALOGUE)
    w = World(server, gcs_emulator, bucket, capsys)
    w.stub = batch_stub
    w.remote = ["--remote", "google-batch", "--batch-project", "proj",
                "--batch-region", "us-east1", "--batch-endpoint", batch_stub.endpoint,
                "--repository-bucket", REPO]
    return w


def _rows(rows):
    return {int(r["fileset"]): r for r in rows}


def test_dry_run_prints_job_specs_and_submits_nothing(world):
    rv, text, err = world.publish("Project:4", *world.remote, "--dry-run", style="table")
    assert rv == 0, err
    assert "alice_3/2024-06/01/11-00-00.000/scan.vsi" in text and "--ngff-version" in text
    rv, text, err = world.publish("Project:4", *world.remote, "--dry-run", style="text")
    assert rv == exit_codes.USAGE                      # not a style
    rv, text, err = world.publish("Project:4", *world.remote, "--dry-run", style="csv")
    assert rv == 0, err
    rv, rows, err = world.publish("Project:4", *world.remote, "--dry-run", style="json")
    assert rv == 0 and rows and all("fileset" in r for r in rows), err   # the one shape
    assert world.stub.created == []
    assert world.objects("") == [] and world.copies([60, 61, 62]) == {}


def test_jobs_submitted_once_then_collected_and_annotated(world):
    rv, rows, err = world.publish("Project:4", *world.remote)
    assert rv == 0, err
    assert len(world.stub.created) == 2                      # one job per fileset
    assert {r["status"] for r in rows} == {"submitted"}
    job = world.stub.jobs[world.stub.created[0]]
    command = job["taskGroups"][0]["taskSpec"]["runnables"][0]["container"]["commands"]
    assert "--ngff-version" in command and "0.5" in command
    # a rerun never duplicates a running job
    rv, rows, err = world.publish("Project:4", *world.remote)
    assert rv == 0 and len(world.stub.created) == 2
    assert {r["status"] for r in rows} == {"running"}
    # fileset 10: the job fails, the next attempt is submitted
    by_fs = {int(j["labels"]["omero-fileset"]): jid for jid, j in world.stub.jobs.items()}
    world.stub.fail(by_fs[10])
    world.stub.succeed(by_fs[11])
    world.stub.series_for = {}
    rv, rows, err = world.publish("Project:4", *world.remote)
    assert rv == 0, err
    rows = _rows(rows)
    assert rows[10]["status"] == "submitted" and rows[10]["job"].endswith("-a2")
    assert rows[11]["status"] == "published"
    assert_published_once(world, [62])
    # --wait: the stub moves the job on at every poll; then each series is annotated
    world.stub.auto_advance = True
    rv, rows, err = world.publish("Project:4", *world.remote, "--wait")
    assert rv == 0, err
    urls = assert_published_once(world, [60, 61])
    assert urls[60].endswith("/0.5/alice_3/2024-06/01/11-00-00.000/scan.vsi.zarr/0/")
    assert urls[61].endswith("/scan.vsi.zarr/1/")
    assert len(world.stub.created) == 3
    # the public index lists every image the jobs published (workflows/index.py)
    index = requests.get(world.public("index.json"), timeout=10).json()
    assert index["entries"] == 3
    rv, rows, err = world.publish("Project:4", *world.remote)
    assert rv == 0 and {r["status"] for r in rows} == {"skipped"}
    specs = json.dumps(world.stub.jobs)
    assert_no_secrets(world, [specs])


def test_failed_job_with_wait_reports_logs(world):
    world.stub.auto_advance = True
    world.stub.outcome = lambda job_id, job: "FAILED"
    rv, rows, err = world.publish("Image:62", *world.remote, "--wait")
    assert rv == exit_codes.REMOTE, err
    assert rows[0]["status"] == "failed" and "logs" in rows[0]["message"]
    assert world.copies([62]) == {}


def test_the_submitter_writes_the_ownership_record_before_the_job(world):
    from omero_cli_ngff.storage.ownership import OWNER_RECORD, Owner
    from test_infra.fake_gcs import get_object, put_object

    root = "data/0.5/alice_3/2024-06/01/11-05-00.000/other.tif.zarr"
    # fileset 10's root holds another object's copy: that fileset alone is refused
    other = "data/0.5/alice_3/2024-06/01/11-00-00.000/scan.vsi.zarr"
    put_object(world.emulator.url, world.bucket, f"{other}/{OWNER_RECORD}",
               Owner("another-server", "Image:60").to_bytes())
    rv, rows, err = world.publish("Project:4", *world.remote)
    rows = _rows(rows)
    assert rv == exit_codes.DESTINATION, err
    assert rows[10]["status"] == "failed" and "another-server" in rows[10]["message"]
    assert rows[11]["status"] == "submitted" and len(world.stub.created) == 1
    # submitted, not run yet: the record is there, and nothing else
    assert [n for n in world.objects("") if n.startswith(root + "/")] == \
        [f"{root}/{OWNER_RECORD}"]
    record = Owner.parse(get_object(world.emulator.url, world.bucket,
                                    f"{root}/{OWNER_RECORD}"))
    assert record.object == "Fileset:11" and record.namespace == "jax.org/public/zarr"
