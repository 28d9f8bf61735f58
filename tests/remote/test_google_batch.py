"""Google Batch jobs through the real google-cloud-batch client (REST) against the
local stub: job spec content, deterministic names, reruns, attempts, listing, polling,
and the output the stub writes into the object-store emulator."""

import json
import time
import urllib.parse

import pytest
import zarr
from google.cloud import batch_v1

from omero_cli_ngff import exit_codes
from omero_cli_ngff.remote import (
    DEST_MOUNT,
    REPO_MOUNT,
    BatchSettings,
    Bf2rawOptions,
    FilesetJob,
    GoogleBatchEngine,
    JobFailed,
    JobRefused,
    OutputUnreadable,
    RemoteConfigError,
    RemoteUnavailable,
    WaitTimeout,
    job_id_is_valid,
)
from omero_cli_ngff.storage import fetch_metadata, parse_destination
from test_infra.batch_runner import TEST_IMAGE
from test_infra.fake_gcs import free_port
from tests.remote.engine_helpers import JOB, OPTIONS, make_engine, sent_job

pytestmark = [pytest.mark.object_store]


# -- the job spec --------------------------------------------------------------------------

def test_job_spec_content(batch_stub, engine, dest):
    sub = engine.submit(JOB)
    assert sub.submitted and sub.status.state == "QUEUED"
    job = sent_job(batch_stub, sub.status.job_id)
    task = job.task_groups[0].task_spec
    assert job.task_groups[0].task_count == 1 and task.max_retry_count == 0
    container = task.runnables[0].container
    assert container.image_uri == TEST_IMAGE              # configured once (environment)
    assert not container.entrypoint                       # the image's own entrypoint
    assert list(container.commands) == OPTIONS.args(
        f"{REPO_MOUNT}/user_2/2024-01/01/12-00-00.000/slide one.ndpi",
        f"{DEST_MOUNT}/fs-12.ome.zarr")
    commands = list(container.commands)
    assert commands[commands.index("--ngff-version") + 1] == "0.5"
    assert commands[commands.index("--log-level") + 1] == "WARN"
    assert [commands[commands.index(f) + 1] for f in
            ("--tile-width", "--shard-width", "--shard-height", "--shard-depth")] == \
        ["512", "2048", "2048", "1"]
    volumes = {v.mount_path: v for v in task.volumes}
    assert volumes[REPO_MOUNT].gcs.remote_path == "repo-bucket/OMERO/ManagedRepository"
    assert list(volumes[REPO_MOUNT].mount_options) == ["-o ro", "--implicit-dirs"]
    assert volumes[DEST_MOUNT].gcs.remote_path == f"{dest.bucket}/data/0.5"
    assert not any("allow_other" in o for v in task.volumes for o in v.mount_options)
    assert list(container.volumes) == [f"{REPO_MOUNT}:{REPO_MOUNT}:ro",
                                       f"{DEST_MOUNT}:{DEST_MOUNT}:rw"]
    assert job.labels["app"] == "omero-ngff" and job.labels["omero-fileset"] == "12"
    assert job.labels["attempt"] == "1" and job.labels["ngff-version"] == "0-5"
    assert job.labels["omero-image"] == "101"
    assert job.logs_policy.destination == batch_v1.LogsPolicy.Destination.CLOUD_LOGGING
    policy = job.allocation_policy.instances[0].policy
    assert policy.machine_type == "e2-standard-4"
    assert list(job.allocation_policy.location.allowed_locations) == ["regions/us-central1"]
    assert dict(task.environment.variables) == {"JAVA_OPTS": "-Xmx11520m"}
    assert sub.status.output_url == f"gs://{dest.bucket}/data/0.5/fs-12.ome.zarr"


def test_job_spec_options(batch_stub, dest):
    engine = make_engine(batch_stub, dest, machine_type="n2-highmem-8", spot=True,
                         service_account="ngff@p.iam.gserviceaccount.com",
                         image="example.org/bf2raw:dev", labels={"Site": "JAX Lab"})
    job = engine.build_job(JOB, attempt=3)
    alloc = job.allocation_policy
    assert alloc.instances[0].policy.machine_type == "n2-highmem-8"
    assert alloc.instances[0].policy.provisioning_model == \
        batch_v1.AllocationPolicy.ProvisioningModel.SPOT
    assert alloc.service_account.email == "ngff@p.iam.gserviceaccount.com"
    assert job.task_groups[0].task_spec.runnables[0].container.image_uri == \
        "example.org/bf2raw:dev"
    assert job.labels["site"] == "jax-lab" and job.labels["attempt"] == "3"


def test_no_secrets_in_job_specs(batch_stub, engine, monkeypatch, tmp_path):
    secret_file = tmp_path / "sa-key.json"
    secret_file.write_text('{"private_key": "TOPSECRET"}')
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(secret_file))
    monkeypatch.setenv("OMERO_SESSION_KEY", "f1e2d3c4-session-uuid")
    monkeypatch.setenv("OMERO_PASSWORD", "hunter2")
    engine.submit(JOB)
    method, path, body, headers = next(r for r in batch_stub.requests if r[0] == "POST")
    text = json.dumps(body)
    for secret in ("TOPSECRET", "sa-key.json", "f1e2d3c4", "hunter2", "private_key"):
        assert secret not in text
    env = body["taskGroups"][0]["taskSpec"]["environment"]["variables"]
    assert set(env) == {"JAVA_OPTS"}
    assert "authorization" not in {k.lower() for k in headers}      # anonymous to the stub


# -- names -------------------------------------------------------------------------------

def test_deterministic_job_ids(batch_stub, dest):
    a, b = make_engine(batch_stub, dest), make_engine(batch_stub, dest)
    assert a.job_id(JOB) == b.job_id(JOB)
    assert a.job_id(JOB, 2) == a.job_id(JOB).replace("-a1", "-a2")
    assert a.job_id(JOB).startswith("omero-ngff-fs12-")
    other_options = make_engine(batch_stub, dest, Bf2rawOptions.from_settings("0.5", "gzip"))
    assert other_options.job_id(JOB) != a.job_id(JOB)
    more_workers = make_engine(batch_stub, dest, Bf2rawOptions.from_settings(
        "0.5", "zstd", level=5, chunk=512, shard=2048, workers=32))
    assert more_workers.job_id(JOB) == a.job_id(JOB)
    elsewhere = make_engine(batch_stub, parse_destination(f"gs://{dest.bucket}/other"))
    assert elsewhere.job_id(JOB) != a.job_id(JOB)
    moved = FilesetJob(12, JOB.repo_path, "elsewhere.ome.zarr")
    assert a.job_id(moved) != a.job_id(JOB)
    same_images_differ = FilesetJob(12, JOB.repo_path, JOB.output, image_ids=(7,))
    assert a.job_id(same_images_differ) == a.job_id(JOB)


def test_job_ids_are_valid_for_any_prefix_and_size(batch_stub, dest):
    engine = make_engine(batch_stub, dest, job_prefix="99 My Facility's NGFF Export Jobs!")
    big = FilesetJob(10 ** 15, "a/b.tif", "x.ome.zarr")
    for attempt in (1, 999):
        job_id = engine.job_id(big, attempt)
        assert job_id_is_valid(job_id) and len(job_id) <= 63, job_id
    assert not job_id_is_valid("Upper-case") and not job_id_is_valid("1abc")
    assert not job_id_is_valid("trailing-") and not job_id_is_valid("a" * 64)
    sub = engine.submit(big)            # the stub enforces Batch's rule as well
    assert sub.submitted


# -- reruns and attempts ----------------------------------------------------------------

@pytest.mark.parametrize("state", ["QUEUED", "SCHEDULED", "RUNNING", "SUCCEEDED"])
def test_rerun_never_duplicates_a_live_or_finished_job(batch_stub, dest, state):
    first = make_engine(batch_stub, dest).submit(JOB)
    if state != "QUEUED":
        batch_stub.set_state(first.status.job_id, state)
    again = make_engine(batch_stub, dest).submit(JOB)          # a new run of the plugin
    assert not again.submitted and again.name == first.name
    assert again.status.state == state
    assert batch_stub.created == [first.status.job_id]


@pytest.mark.parametrize("end", ["FAILED", "CANCELLED"])
def test_failed_job_is_resubmitted_under_the_next_attempt(batch_stub, engine, end):
    first = engine.submit(JOB)
    batch_stub.set_state(first.status.job_id, end)
    second = engine.submit(JOB)
    assert second.submitted and second.status.job_id.endswith("-a2")
    assert second.status.attempt == 2
    assert sent_job(batch_stub, second.status.job_id).labels["attempt"] == "2"
    assert engine.submit(JOB).name == second.name                # and no third one
    assert batch_stub.created == [first.status.job_id, second.status.job_id]


def test_attempts_are_bounded(batch_stub, dest):
    engine = make_engine(batch_stub, dest, max_attempts=2)
    for _ in range(2):
        batch_stub.fail(engine.submit(JOB).status.job_id, "Task failed: exit code 137")
    with pytest.raises(JobFailed) as err:
        engine.submit(JOB)
    msg = str(err.value)
    assert "2 attempts failed" in msg and "exit code 137" in msg
    assert "console.cloud.google.com/logs" in msg and err.value.exit_code == exit_codes.REMOTE
    assert len(batch_stub.created) == 2


def test_rerun_succeeded_when_asked(batch_stub, engine):
    first = engine.submit(JOB)
    batch_stub.succeed(first.status.job_id)
    forced = engine.submit(JOB, rerun_succeeded=True)
    assert forced.submitted and forced.status.job_id.endswith("-a2")


def test_concurrent_submission_is_not_an_error(batch_stub, engine, monkeypatch):
    engine.submit(JOB)
    monkeypatch.setattr(engine, "find", lambda job: [])          # the race: not seen yet
    again = engine.submit(JOB)
    assert not again.submitted and len(batch_stub.created) == 1


def test_refused_job_is_a_clear_error(batch_stub, engine):
    batch_stub.fail_create = (403, "PERMISSION_DENIED", "batch.jobs.create denied")
    with pytest.raises(JobRefused) as err:
        engine.submit(JOB)
    assert "permission denied" in str(err.value) and "\n" not in str(err.value)
    assert err.value.exit_code == exit_codes.REMOTE


def test_unreachable_api(dest):
    engine = GoogleBatchEngine(BatchSettings(
        "p", "us-central1", "gs://repo-bucket", image=TEST_IMAGE,
        api_endpoint=f"http://127.0.0.1:{free_port()}"), dest, OPTIONS, api_deadline=1.0)
    t0 = time.monotonic()
    with pytest.raises(RemoteUnavailable):
        engine.submit(JOB)
    assert time.monotonic() - t0 < 5


def test_configuration_errors(batch_stub, tmp_path, dest):
    with pytest.raises(RemoteConfigError) as err:
        make_engine(batch_stub, parse_destination(str(tmp_path)))
    assert err.value.exit_code == exit_codes.USAGE
    with pytest.raises(RemoteConfigError):
        make_engine(batch_stub, dest, repository="/local/ManagedRepository")
    engine = make_engine(batch_stub, dest)
    with pytest.raises(RemoteConfigError):
        engine.build_job(FilesetJob(1, "../etc/passwd", "x.ome.zarr"))
    with pytest.raises(RemoteConfigError):
        engine.build_job(FilesetJob(1, "a.tif", ""))


# -- listing, polling, collecting ------------------------------------------------------------

def test_list_our_jobs(batch_stub, engine):
    subs = [engine.submit(FilesetJob(fs, f"u/{fs}.tif", f"fs-{fs}.ome.zarr")) for fs in (3, 1, 2)]
    batch_stub.fail(subs[0].status.job_id)
    retry = engine.submit(FilesetJob(3, "u/3.tif", "fs-3.ome.zarr"))
    # a job that is not ours, in the same project
    script = batch_v1.Runnable(script=batch_v1.Runnable.Script(text="echo hi"))
    batch_stub.client().create_job(
        parent="projects/test-project/locations/us-central1", job_id="someone-else",
        job=batch_v1.Job(task_groups=[batch_v1.TaskGroup(
            task_spec=batch_v1.TaskSpec(runnables=[script]))]))
    listed = engine.list(page_size=2)                          # exercises paging
    assert [(s.fileset_id, s.attempt, s.state) for s in listed] == [
        (1, 1, "QUEUED"), (2, 1, "QUEUED"), (3, 1, "FAILED"), (3, 2, "QUEUED")]
    assert [s.name for s in engine.list(fileset_id=3)] == [subs[0].name, retry.name]
    assert [s.fileset_id for s in engine.list(states={"FAILED"})] == [3]
    list_calls = [p for m, p, b, h in batch_stub.requests if m == "GET" and "filter=" in p]
    assert any("labels.app" in p for p in list_calls)


def test_wait_reports_progress_until_done(batch_stub, engine):
    a = engine.submit(JOB)
    b = engine.submit(FilesetJob(13, "u/other.tif", "fs-13.ome.zarr"))
    batch_stub.outcome = lambda job_id, job: "FAILED" if "fs13" in job_id else "SUCCEEDED"
    batch_stub.auto_advance = True
    rounds = []
    result = engine.wait([a.name, b.name], poll_interval=0,
                         callback=lambda sts: rounds.append({s.job_id: s.state for s in sts}))
    assert result[a.name].succeeded and result[b.name].failed
    assert [r[a.status.job_id] for r in rounds] == ["SCHEDULED", "RUNNING", "SUCCEEDED"]
    assert result[b.name].logs_url and result[b.name].uid in \
        urllib.parse.unquote(result[b.name].logs_url)
    assert "exit code 1" in result[b.name].last_event


def test_wait_times_out_with_statuses(batch_stub, engine):
    sub = engine.submit(JOB)
    sleeps = []
    with pytest.raises(WaitTimeout) as err:
        engine.wait([sub.name], poll_interval=0.01, timeout=0.05, sleep=sleeps.append)
    assert err.value.statuses[sub.name].state == "QUEUED"
    assert "run again" in str(err.value)


def test_succeeded_job_output_is_readable_in_the_emulator(batch_stub, engine, dest,
                                                          gcs_objects):
    sub = engine.submit(JOB)
    batch_stub.run(sub.status.job_id)
    with pytest.raises(JobFailed):
        engine.collect(JOB)                                       # still running
    batch_stub.succeed(sub.status.job_id)
    groups = engine.collect(JOB)
    assert [g.relpath for g in groups] == ["fs-12.ome.zarr/0", "fs-12.ome.zarr/1"]
    names = gcs_objects(dest.bucket, "data/0.5/fs-12.ome.zarr/")
    assert "data/0.5/fs-12.ome.zarr/OME/METADATA.ome.xml" in names
    root = fetch_metadata(dest.public_url("fs-12.ome.zarr"), "0.5", validate=False)
    assert root["attributes"]["ome"]["bioformats2raw.layout"] == 3
    for g in groups:
        doc = fetch_metadata(dest.public_url(g.relpath), "0.5")
        assert [d["path"] for d in doc["attributes"]["ome"]["multiscales"][0]["datasets"]] \
            == ["0", "1"]
    image = zarr.open_group(dest.public_url("fs-12.ome.zarr/1"), mode="r")
    assert image["0"].shape == (1, 1, 1, 64, 64) and image["0"][0, 0, 0, 1, 2] == 6


def test_ngff_04_job_output(batch_stub, dest, gcs_objects):
    engine = make_engine(batch_stub, dest, Bf2rawOptions.from_settings("0.4", "zstd"))
    batch_stub.series = 1
    sub = engine.submit(JOB)
    batch_stub.succeed(sub.status.job_id)
    groups = engine.collect(JOB)
    assert [(g.relpath, g.zarr_format) for g in groups] == [("fs-12.ome.zarr/0", 2)]
    assert fetch_metadata(dest.public_url("fs-12.ome.zarr/0"), "0.4")["multiscales"]


def test_failed_job_collect_names_the_logs(batch_stub, engine):
    sub = engine.submit(JOB)
    batch_stub.fail(sub.status.job_id, "Task failed with exit code 2")
    with pytest.raises(JobFailed) as err:
        engine.collect(JOB)
    assert "exit code 2" in str(err.value) and "logs:" in str(err.value)


def test_succeeded_without_output_is_an_error(batch_stub, engine):
    batch_stub.write_outputs = False              # the job "succeeded" but wrote no image
    sub = engine.submit(JOB)
    batch_stub.succeed(sub.status.job_id)
    with pytest.raises(OutputUnreadable) as err:
        engine.collect(JOB)
    assert "holds no OME-Zarr image" in str(err.value)
    assert err.value.exit_code == exit_codes.UNSOUND


def test_status_and_delete(batch_stub, engine):
    sub = engine.submit(JOB)
    st = engine.status(sub.status.job_id)
    assert st.name == sub.name and st.fileset_id == 12 and st.key == engine.job_key(JOB)
    engine.delete(sub.name)
    assert sub.status.job_id not in batch_stub.jobs
    assert engine.get(sub.status.job_id) is None


def test_transient_api_errors_are_retried(batch_stub, dest):
    from test_infra.fault_proxy import FaultProxy
    with FaultProxy(batch_stub.endpoint) as proxy:
        engine = make_engine(batch_stub, dest, api_endpoint=proxy.url)
        sub = engine.submit(JOB)
        proxy.fail(503, method="GET", times=2)
        assert engine.status(sub.name).state == "QUEUED"
        assert proxy.count("GET", action="respond") == 2
        proxy.fail(503, method="GET")                           # now for good
        engine.api_deadline = 0.5
        t0 = time.monotonic()
        with pytest.raises(RemoteUnavailable):
            engine.status(sub.name)
        assert time.monotonic() - t0 < 3
        # wait() rides out a bad round, then gives up after max_api_failures rounds
        rounds = []
        with pytest.raises(RemoteUnavailable):
            engine.wait([sub.name], poll_interval=0, max_api_failures=2,
                        callback=rounds.append)
        assert len(rounds) == 1
