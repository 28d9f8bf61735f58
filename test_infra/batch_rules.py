"""Job specs the Batch stub refuses at creation (HTTP 400 INVALID_ARGUMENT), as real
Batch would. Each rule names its source; where the real service's exact behaviour is
unknown (it may accept the job and fail it later instead), the note says so.

Sources:
  [batch.proto]   google/cloud/batch/v1/batch.proto, CreateJobRequest.job_id
  [job.proto]     google/cloud/batch/v1/job.proto: Job.task_groups ("Only one TaskGroup
                  is supported now"), Job.labels, LocationPolicy.allowed_locations
  [task.proto]    google/cloud/batch/v1/task.proto: Runnable (oneof executable),
                  Runnable.Container.image_uri ("Required"), .volumes ("formatted to
                  match --volume option for the docker run command")
  [volume.proto]  google/cloud/batch/v1/volume.proto: Volume (oneof source, mount_path),
                  GCS.remote_path ("bucket_name, bucket_name/subdirectory/"),
                  mount_options ("all the mount options provided by the gcsfuse tool")
  [labels]        cloud.google.com/batch/docs/organize-resources-using-labels (at most 63
                  custom labels on a job, predefined "batch-" labels cannot be
                  overridden) and the Compute Engine label requirements it refers to
  [gcsfuse]       GoogleCloudPlatform/gcsfuse cfg/params.yaml (the flags)
  [buckets]       cloud.google.com/storage/docs/buckets#naming
"""

from __future__ import annotations

import re
import shlex
from typing import Iterator, Optional

__all__ = ["refusal", "JOB_ID_RE", "GCSFUSE_VALUE_FLAGS", "GCSFUSE_BOOL_FLAGS",
           "mount_options_of"]

JOB_ID_RE = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")              # [batch.proto]
LABEL_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")   # [labels]; ASCII only here
LABEL_VALUE_RE = re.compile(r"^[a-z0-9_-]{0,63}$")
MAX_CUSTOM_LABELS = 63
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
DOCKER_VOLUME_OPTIONS = {"ro", "rw", "z", "Z", "shared", "rshared", "slave", "rslave",
                         "private", "rprivate", "nocopy", "consistent", "cached", "delegated"}
FUSE_OPTION_RE = re.compile(r"^[a-z_]+(=[^,=\s]+)?$")

# [gcsfuse] flags that take a value, and boolean flags (a subset of cfg/params.yaml)
GCSFUSE_VALUE_FLAGS = {
    "o", "uid", "gid", "file-mode", "dir-mode", "only-dir", "rename-dir-limit", "temp-dir",
    "stat-cache-ttl", "type-cache-ttl", "stat-cache-capacity", "metadata-cache-ttl-secs",
    "stat-cache-max-size-mb", "type-cache-max-size-mb", "metadata-cache-negative-ttl-secs",
    "max-conns-per-host", "max-idle-conns-per-host", "billing-project", "key-file",
    "token-url", "client-protocol", "custom-endpoint", "http-client-timeout",
    "limit-bytes-per-sec", "limit-ops-per-sec", "sequential-read-size-mb",
    "max-retry-sleep", "max-retry-attempts", "retry-multiplier", "log-file", "log-format",
    "log-severity", "cache-dir", "file-cache-max-size-mb", "app-name", "profile",
    "kernel-list-cache-ttl-secs", "file-cache-max-parallel-downloads",
    "file-cache-parallel-downloads-per-file", "file-cache-download-chunk-size-mb",
    "prometheus-port", "cloud-metrics-export-interval-secs", "write-global-max-blocks",
    "read-global-max-blocks"}
GCSFUSE_BOOL_FLAGS = {
    "implicit-dirs", "foreground", "anonymous-access", "debug_fuse", "debug_gcs",
    "debug_invariants", "debug_mutex", "reuse-token-from-url", "ignore-interrupts",
    "enable-nonexistent-type-cache", "enable-buffered-read", "enable-streaming-writes",
    "enable-rapid-appends", "file-cache-enable-parallel-downloads",
    "file-cache-cache-file-for-range-read", "experimental-enable-json-read",
    "enable-grpc-metrics"}


def _labels(labels: dict, where: str) -> Iterator[str]:
    if len(labels) > MAX_CUSTOM_LABELS:
        yield f"{where}: {len(labels)} labels, at most {MAX_CUSTOM_LABELS} custom labels"
    for key, value in labels.items():
        if not LABEL_KEY_RE.match(key):
            yield f"{where}: label key {key!r} is invalid"
        elif key.startswith(("goog-", "google-", "batch-")):
            yield f"{where}: label key {key!r} is reserved"
        if not isinstance(value, str) or not LABEL_VALUE_RE.match(value):
            yield f"{where}: label value {value!r} of {key!r} is invalid"


def mount_options_of(volume: dict) -> list:
    """The volume's gcsfuse arguments: each mountOptions element split like a shell
    line (Nextflow's launcher writes '-o rw' and '--billing-project P' as one element)."""
    return [t for opt in volume.get("mountOptions") or [] for t in shlex.split(opt)]


def _gcsfuse_options(tokens: list, where: str) -> Iterator[str]:
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name, eq, value = token.lstrip("-").partition("=")
        if not token.startswith("-") or name not in GCSFUSE_VALUE_FLAGS | GCSFUSE_BOOL_FLAGS:
            yield f"{where}: {token!r} is not a gcsfuse option"
        elif name in GCSFUSE_VALUE_FLAGS and not eq:
            i += 1
            if i >= len(tokens):
                yield f"{where}: gcsfuse option {token!r} needs a value"
                return
            value = tokens[i]
        if name == "o" and not all(FUSE_OPTION_RE.match(v) for v in value.split(",")):
            yield f"{where}: {value!r} is not a list of mount options"
        i += 1


def _volumes(task: dict) -> Iterator[str]:
    for n, vol in enumerate(task.get("volumes") or []):
        where = f"taskSpec.volumes[{n}]"
        path = vol.get("mountPath") or ""
        if not path.startswith("/"):
            yield f"{where}: mountPath {path!r} must be an absolute path"
        sources = [k for k in ("gcs", "nfs", "deviceName") if vol.get(k)]
        if len(sources) != 1:
            yield f"{where}: exactly one of gcs, nfs, deviceName is needed"
        if "gcs" in sources:
            remote = (vol["gcs"].get("remotePath") or "")
            bucket = remote.split("/", 1)[0]
            if "://" in remote or not BUCKET_RE.match(bucket):
                yield (f"{where}: gcs.remotePath {remote!r} must be BUCKET or "
                       "BUCKET/SUBDIRECTORY")
            yield from _gcsfuse_options(mount_options_of(vol), where)


def _runnables(task: dict) -> Iterator[str]:
    runnables = task.get("runnables") or []
    if not runnables:
        yield "taskSpec.runnables: at least one runnable is needed"
    for n, run in enumerate(runnables):
        where = f"runnables[{n}]"
        kinds = [k for k in ("container", "script", "barrier") if k in run]
        if len(kinds) != 1:
            yield f"{where}: exactly one of container, script, barrier is needed"
        container = run.get("container")
        if container is None:
            continue
        if not container.get("imageUri"):
            yield f"{where}.container.imageUri is required"
        for spec in container.get("volumes") or []:
            parts = spec.split(":")
            if not (2 <= len(parts) <= 3 and all(p.startswith("/") for p in parts[:2])
                    and (len(parts) == 2 or set(parts[2].split(",")) <= DOCKER_VOLUME_OPTIONS)):
                yield f"{where}.container.volumes: {spec!r} is not /HOST:/CONTAINER[:ro|rw]"
        yield from _labels(run.get("labels") or {}, f"{where}.labels")


def _locations(body: dict, region: str) -> Iterator[str]:
    location = (body.get("allocationPolicy") or {}).get("location") or {}
    for loc in location.get("allowedLocations") or []:
        kind, _, name = loc.partition("/")
        in_region = name == region if kind == "regions" else name.startswith(region + "-")
        if kind not in ("regions", "zones") or not in_region:
            yield (f"allowedLocations: {loc!r} is not regions/{region} or a zone of it "
                   "(the job's region)")


def _problems(region: str, job_id: str, body: dict) -> Iterator[str]:
    if not JOB_ID_RE.match(job_id or ""):
        yield f"job_id {job_id!r} does not match ^[a-z]([a-z0-9-]{{0,61}}[a-z0-9])?$"
    groups = body.get("taskGroups") or []
    if len(groups) != 1:
        yield f"taskGroups: exactly one task group is supported, not {len(groups)}"
        return
    task = groups[0].get("taskSpec") or {}
    yield from _runnables(task)
    yield from _volumes(task)
    yield from _labels(body.get("labels") or {}, "labels")
    yield from _locations(body, region)


def refusal(region: str, job_id: str, body: dict) -> Optional[str]:
    """The INVALID_ARGUMENT message for a CreateJob request, None when it is accepted."""
    problems = list(_problems(region, job_id, body))
    return "; ".join(problems) if problems else None
