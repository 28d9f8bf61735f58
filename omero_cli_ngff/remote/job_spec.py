"""The Batch job for one fileset: its deterministic id, labels and spec (nothing is sent).

Job ids are ``<prefix>-fs<fileset>-<key>-a<attempt>``, where ``key`` hashes the fileset,
its input, the output location, the image and the conversion settings. Job specs never
contain credentials or OMERO session keys: the job runs as the project's (or the given)
service account.

The container runs the image's own entrypoint (the recipe's wrapper around
bioformats2raw, see containers/bioformats2raw) with the bioformats2raw arguments as
``commands``; Batch appends ``commands`` to the image's ENTRYPOINT (Runnable.Container).
"""

from __future__ import annotations

import hashlib
import json
import re

from .bioformats2raw import Bf2rawOptions
from .client import CLOUD_PLATFORM_SCOPE
from .errors import RemoteConfigError
from .settings import DEST_MOUNT, REPO_MOUNT, BatchSettings, FilesetJob

__all__ = ["JobSpecBuilder", "job_id_is_valid", "label_key", "label_value", "APP_LABEL",
           "REPO_MOUNT_OPTIONS", "DEST_MOUNT_OPTIONS"]

APP_LABEL = "omero-ngff"
# CreateJobRequest.job_id (google/cloud/batch/v1/batch.proto)
JOB_ID_RE = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
# Compute Engine labels: lowercase letters, digits, "_" and "-"; keys start with a letter
_LABEL_CHARS = re.compile(r"[^a-z0-9_-]")
RESERVED_LABEL_PREFIXES = ("goog", "batch-")
# gcsfuse flags, one element each as Nextflow's Google Batch launcher writes them. The
# container runs as root (the user that mounts), so no allow_other/uid is needed.
REPO_MOUNT_OPTIONS = ("-o ro", "--implicit-dirs")
DEST_MOUNT_OPTIONS = ("--implicit-dirs",)


def job_id_is_valid(job_id: str) -> bool:
    """Batch job ids: lowercase letter first, then lowercase letters, digits, hyphens;
    no trailing hyphen; at most 63 characters."""
    return bool(JOB_ID_RE.match(job_id))


def label_value(value) -> str:
    return _LABEL_CHARS.sub("-", str(value).lower())[:63]


def label_key(key) -> str:
    """A label key Batch accepts, or RemoteConfigError for a reserved one."""
    k = label_value(key)
    if not k[:1].isalpha():
        k = ("l-" + k)[:63]
    if k.startswith(RESERVED_LABEL_PREFIXES):
        raise RemoteConfigError(f"label {key!r}: keys starting with goog or batch- are "
                                "reserved by Google Batch")
    return k


def _sanitize_prefix(prefix: str) -> str:
    p = re.sub(r"[^a-z0-9-]+", "-", prefix.lower()).strip("-")
    if not p or not p[0].isalpha():
        p = "j" + p
    return p[:24].rstrip("-")


class JobSpecBuilder:
    """Ids, labels, command line and batch_v1.Job of the conversions of one run."""

    def __init__(self, settings: BatchSettings, destination, options: Bf2rawOptions,
                 image: str):
        self.settings = settings
        self.destination = destination
        self.options = options
        self.image = image
        self.repo_bucket, self.repo_prefix = settings.repository_bucket_prefix()
        self.prefix = _sanitize_prefix(settings.job_prefix)
        self.custom_labels = {label_key(k): label_value(v)
                              for k, v in settings.labels.items()}

    # -- names ------------------------------------------------------------------------------

    def input_url(self, job: FilesetJob) -> str:
        return "gs://" + "/".join(p for p in (self.repo_bucket, self.repo_prefix,
                                               job.repo_path.strip("/")) if p)

    def job_key(self, job: FilesetJob) -> str:
        ident = {"fileset": int(job.fileset_id), "input": self.input_url(job),
                 "output": self.destination.join(job.output),
                 "image": self.image, "options": self.options.canonical()}
        digest = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()
        return digest[:12]

    def job_id(self, job: FilesetJob, attempt: int = 1) -> str:
        job_id = f"{self.prefix}-fs{int(job.fileset_id)}-{self.job_key(job)}-a{int(attempt)}"
        if not job_id_is_valid(job_id):
            raise RemoteConfigError(f"cannot build a valid Batch job id ({job_id!r})")
        return job_id

    # -- content ---------------------------------------------------------------------------

    def command(self, job: FilesetJob) -> list:
        """bioformats2raw's arguments: input and output inside the mounts, then options."""
        rel_in = job.repo_path.strip("/")
        if not rel_in or ".." in rel_in.split("/"):
            raise RemoteConfigError(f"fileset {job.fileset_id}: bad repository path "
                                    f"{job.repo_path!r}")
        output = self.destination.relpath_of(self.destination.join(job.output))
        if not output:
            raise RemoteConfigError(f"fileset {job.fileset_id}: the output must be a "
                                    "folder under the destination")
        return self.options.args(f"{REPO_MOUNT}/{rel_in}", f"{DEST_MOUNT}/{output}")

    def labels(self, job: FilesetJob, attempt: int) -> dict[str, str]:
        labels = dict(self.custom_labels)
        labels.update({"app": APP_LABEL, "omero-fileset": str(int(job.fileset_id)),
                       "ngff-job-key": self.job_key(job), "attempt": str(int(attempt)),
                       "ngff-version": label_value(self.options.ngff_version)})
        if job.image_ids:
            labels["omero-image"] = label_value(min(job.image_ids))
        return labels

    def build(self, job: FilesetJob, attempt: int = 1):
        """The batch_v1.Job for one fileset."""
        from google.cloud import batch_v1

        return batch_v1.Job(
            task_groups=[batch_v1.TaskGroup(task_spec=self._task_spec(job), task_count=1,
                                            parallelism=1)],
            allocation_policy=self._allocation_policy(),
            labels=self.labels(job, attempt),
            logs_policy=batch_v1.LogsPolicy(
                destination=batch_v1.LogsPolicy.Destination.CLOUD_LOGGING))

    def _task_spec(self, job: FilesetJob):
        from google.cloud import batch_v1

        s = self.settings
        dest_remote = "/".join(p for p in (self.destination.bucket,
                                           self.destination.prefix) if p)
        repo_remote = "/".join(p for p in (self.repo_bucket, self.repo_prefix) if p)
        heap_mib = max(512, int(s.memory_mib * s.java_heap_fraction))
        runnable = batch_v1.Runnable(
            display_name="bioformats2raw",
            container=batch_v1.Runnable.Container(
                image_uri=self.image, commands=self.command(job),
                volumes=[f"{REPO_MOUNT}:{REPO_MOUNT}:ro", f"{DEST_MOUNT}:{DEST_MOUNT}:rw"]))
        return batch_v1.TaskSpec(
            runnables=[runnable],
            compute_resource=batch_v1.ComputeResource(cpu_milli=s.cpu_milli,
                                                      memory_mib=s.memory_mib),
            max_retry_count=0,                  # attempts are ours (new job ids)
            max_run_duration=f"{int(s.max_run_duration_s)}s",
            environment=batch_v1.Environment(variables={"JAVA_OPTS": f"-Xmx{heap_mib}m"}),
            volumes=[
                batch_v1.Volume(gcs=batch_v1.GCS(remote_path=repo_remote),
                                mount_path=REPO_MOUNT, mount_options=list(REPO_MOUNT_OPTIONS)),
                batch_v1.Volume(gcs=batch_v1.GCS(remote_path=dest_remote),
                                mount_path=DEST_MOUNT, mount_options=list(DEST_MOUNT_OPTIONS)),
            ])

    def _allocation_policy(self):
        from google.cloud import batch_v1

        s = self.settings
        policy = batch_v1.AllocationPolicy.InstancePolicy(
            machine_type=s.machine_type,
            provisioning_model=(batch_v1.AllocationPolicy.ProvisioningModel.SPOT if s.spot
                                else batch_v1.AllocationPolicy.ProvisioningModel.STANDARD))
        if s.boot_disk_mib:
            policy.boot_disk = batch_v1.AllocationPolicy.Disk(size_gb=max(
                30, -(-s.boot_disk_mib // 1024)))
        allocation = batch_v1.AllocationPolicy(
            instances=[batch_v1.AllocationPolicy.InstancePolicyOrTemplate(policy=policy)],
            location=batch_v1.AllocationPolicy.LocationPolicy(
                allowed_locations=[f"regions/{s.region}"]))
        if s.service_account:
            allocation.service_account = batch_v1.ServiceAccount(
                email=s.service_account, scopes=[CLOUD_PLATFORM_SCOPE])
        if s.network or s.subnetwork or s.no_external_ip:
            allocation.network = batch_v1.AllocationPolicy.NetworkPolicy(network_interfaces=[
                batch_v1.AllocationPolicy.NetworkInterface(
                    network=s.network or "", subnetwork=s.subnetwork or "",
                    no_external_ip_address=s.no_external_ip)])
        return allocation
