"""The Batch stub is as strict as Batch where it matters: it refuses the job specs real
Batch refuses (test_infra.batch_rules, each rule with its source) and ends runs the way
they would end (test_infra.batch_runner). Jobs are sent by the real client."""

import pytest
from google.api_core import exceptions as gexc
from google.cloud import batch_v1

from omero_cli_ngff.remote import DEST_MOUNT, REPO_MOUNT, VERSION_RECORD
from test_infra.batch_runner import StubImage
from tests.remote.engine_helpers import JOB, make_engine

pytestmark = [pytest.mark.object_store]

PARENT = "projects/test-project/locations/us-central1"
NON_ROOT = "registry.example/micromamba/bioformats2raw:0.12.1"


def spec(engine):
    """Our own job for JOB, to be bent into what Batch refuses."""
    return engine.build_job(JOB)


def container(job):
    return job.task_groups[0].task_spec.runnables[0].container


def volume(job, mount):
    return next(v for v in job.task_groups[0].task_spec.volumes if v.mount_path == mount)


def create(stub, job, job_id="job-under-test"):
    return stub.client().create_job(parent=PARENT, job=job, job_id=job_id)


def bad_labels(job, labels):
    job.labels.clear()
    job.labels.update(labels)


REFUSED = {
    "job id": (lambda j: None, "Bad_ID", "job_id"),
    "two task groups": (lambda j: j.task_groups.append(j.task_groups[0]), None,
                        "exactly one task group"),
    "runnable without executable": (
        lambda j: j.task_groups[0].task_spec.runnables.append(batch_v1.Runnable()), None,
        "exactly one of container, script, barrier"),
    "no image": (lambda j: setattr(container(j), "image_uri", ""), None, "imageUri"),
    "container volume options": (
        lambda j: container(j).volumes.append(f"{DEST_MOUNT}:{DEST_MOUNT}:rx"), None,
        "is not /HOST:/CONTAINER"),
    "container volume relative": (lambda j: container(j).volumes.append("data:/data"), None,
                                  "is not /HOST:/CONTAINER"),
    "gs:// remote path": (
        lambda j: setattr(volume(j, DEST_MOUNT).gcs, "remote_path", "gs://bucket/x"), None,
        "gcs.remotePath"),
    "relative mount path": (lambda j: setattr(volume(j, DEST_MOUNT), "mount_path", "mnt/x"),
                            None, "absolute"),
    "not a gcsfuse option": (
        lambda j: volume(j, DEST_MOUNT).mount_options.append("--allow-other"), None,
        "not a gcsfuse option"),
    "gcsfuse option without value": (
        lambda j: volume(j, DEST_MOUNT).mount_options.append("--uid"), None, "needs a value"),
    "bad fuse option": (lambda j: volume(j, DEST_MOUNT).mount_options.append("-o ro;rm"),
                        None, "not a list of mount options"),
    "upper-case label": (lambda j: bad_labels(j, {"Site": "x"}), None, "label key"),
    "reserved label": (lambda j: bad_labels(j, {"goog-x": "1"}), None, "reserved"),
    "predefined label": (lambda j: bad_labels(j, {"batch-job-id": "x"}), None, "reserved"),
    "label value": (lambda j: bad_labels(j, {"app": "A" * 3}), None, "label value"),
    "too many labels": (lambda j: bad_labels(j, {f"l{i}": "v" for i in range(64)}), None,
                        "at most 63"),
    "other region": (lambda j: j.allocation_policy.location.allowed_locations.append(
        "regions/us-east1"), None, "the job's region"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_specs(batch_stub, engine, case):
    bend, job_id, message = REFUSED[case]
    job = spec(engine)
    bend(job)
    with pytest.raises(gexc.BadRequest) as err:
        create(batch_stub, job, job_id or "job-under-test")
    assert message in str(err.value)
    assert batch_stub.jobs == {}


@pytest.mark.parametrize("options", [
    ["-o rw", "-implicit-dirs", "--billing-project my-project"],      # Nextflow's form
    ["-o rw,allow_other", "--uid 1000", "--gid=1000", "--file-mode=664"],
])
def test_gcsfuse_options_batch_accepts(batch_stub, engine, options):
    job = spec(engine)
    volume(job, DEST_MOUNT).mount_options[:] = options
    assert create(batch_stub, job).name.endswith("/job-under-test")


def test_every_spec_the_engine_builds_is_accepted(batch_stub, dest):
    engine = make_engine(batch_stub, dest, machine_type="n2-highmem-8", spot=True,
                         service_account="ngff@p.iam.gserviceaccount.com", boot_disk_mib=60000,
                         labels={"Site": "JAX Lab", "2nd": "x"}, no_external_ip=True,
                         job_prefix="99 My Facility's NGFF Export Jobs!")
    assert engine.submit(JOB).submitted


# -- runs --------------------------------------------------------------------------------

def submitted(batch_stub, engine, job=None):
    created = create(batch_stub, job or spec(engine), f"run-{len(batch_stub.created) + 1}")
    return created.name.rsplit("/", 1)[-1]


def last_event(batch_stub, job_id):
    return batch_stub.jobs[job_id]["status"]["statusEvents"][-1]["description"]


def test_an_image_that_is_not_in_the_registry_fails(batch_stub, dest):
    engine = make_engine(batch_stub, dest, image="registry.example/typo/bioformats2raw:1")
    job_id = submitted(batch_stub, engine)
    assert batch_stub.complete(job_id) == "FAILED"
    assert "manifest unknown" in last_event(batch_stub, job_id)


def test_a_non_root_container_cannot_use_mounts_without_allow_other(batch_stub, dest,
                                                                     gcs_objects):
    batch_stub.images[NON_ROOT] = StubImage(user="mambauser")
    engine = make_engine(batch_stub, dest, image=NON_ROOT)
    job_id = submitted(batch_stub, engine)
    assert batch_stub.complete(job_id) == "FAILED"
    assert "Permission denied" in last_event(batch_stub, job_id)
    assert gcs_objects(dest.bucket, "data/0.5/fs-12.ome.zarr/") == []
    job = spec(engine)                              # the documented alternative to root
    for mount in (REPO_MOUNT, DEST_MOUNT):
        volume(job, mount).mount_options.extend(["-o allow_other", "--uid 57439"])
    job_id = submitted(batch_stub, engine, job)
    assert batch_stub.complete(job_id) == "SUCCEEDED"


def test_the_container_user_can_be_overridden_by_options(batch_stub, engine):
    job = spec(engine)
    container(job).options = "--user 1000:1000"
    job_id = submitted(batch_stub, engine, job)
    assert batch_stub.complete(job_id) == "FAILED"
    assert "runs as 1000:1000" in last_event(batch_stub, job_id)


def test_output_on_a_read_only_mount_fails(batch_stub, engine):
    job = spec(engine)
    commands = container(job).commands
    commands[1] = f"{REPO_MOUNT}/converted.zarr"
    job_id = submitted(batch_stub, engine, job)
    assert batch_stub.complete(job_id) == "FAILED"
    assert "Read-only file system" in last_event(batch_stub, job_id)


def test_commands_follow_the_images_entrypoint(batch_stub, engine, dest):
    job_id = submitted(batch_stub, engine)          # the recipe's wrapper records
    assert batch_stub.complete(job_id) == "SUCCEEDED"
    assert dest.read_bytes(f"fs-12.ome.zarr/{VERSION_RECORD}").startswith(b"Version = ")
    dest.remove("fs-12.ome.zarr")
    job = spec(engine)                              # entrypoint overridden: no wrapper
    container(job).entrypoint = "bioformats2raw"
    job_id = submitted(batch_stub, engine, job)
    assert batch_stub.complete(job_id) == "SUCCEEDED"
    assert dest.list_groups("fs-12.ome.zarr")
    assert dest.read_bytes(f"fs-12.ome.zarr/{VERSION_RECORD}") is None
    job = spec(engine)                              # a shell entrypoint: commands are its args
    container(job).entrypoint = "/bin/sh"
    job_id = submitted(batch_stub, engine, job)
    assert batch_stub.complete(job_id) == "FAILED"


def test_old_bioformats2raw_refuses_the_new_options(batch_stub, dest):
    image = "registry.example/omero-ngff/bioformats2raw:0.9.4"
    batch_stub.images[image] = StubImage(bioformats2raw="0.9.4")
    engine = make_engine(batch_stub, dest, image=image)
    job_id = submitted(batch_stub, engine)
    assert batch_stub.complete(job_id) == "FAILED"
    assert "exit code 2" in last_event(batch_stub, job_id)
    assert "Unknown option: '--ngff-version'" in last_event(batch_stub, job_id)
    assert b"Version = 0.9.4" in dest.read_bytes(f"fs-12.ome.zarr/{VERSION_RECORD}")
