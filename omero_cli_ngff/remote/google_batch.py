"""Remote conversion on Google Batch: one bioformats2raw job per fileset, reading the
fileset's original file from the bucket that holds the managed repository (mounted
read-only with a GCS volume) and writing straight to the destination prefix (a second
GCS volume).

Job ids are deterministic: ``<prefix>-fs<fileset>-<key>-a<attempt>``, where ``key``
hashes the fileset, its input, the output location and the conversion settings. A rerun
finds the job again instead of submitting a duplicate; a failed (or cancelled) attempt is
followed by the next attempt number. Job specs never contain credentials or OMERO
session keys: the job runs as the project's (or the given) service account.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Dict, Iterable, List, Optional, Sequence

from .. import exit_codes
from ..errors import NgffError
from .bioformats2raw import DEFAULT_IMAGE, Bf2rawOptions

__all__ = [
    "BatchSettings", "FilesetJob", "JobStatus", "Submission", "GoogleBatchEngine",
    "make_batch_client", "job_id_is_valid", "logs_filter", "logs_url",
    "RemoteError", "RemoteConfigError", "RemoteCredentialsError", "RemoteUnavailable",
    "JobRefused", "JobFailed", "WaitTimeout",
    "ACTIVE_STATES", "TERMINAL_STATES", "REPO_MOUNT", "DEST_MOUNT",
]

REPO_MOUNT = "/mnt/disks/repository"
DEST_MOUNT = "/mnt/disks/destination"
APP_LABEL = "omero-ngff"
JOB_ID_RE = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
LABEL_VALUE_RE = re.compile(r"[^a-z0-9_-]")
ACTIVE_STATES = frozenset({"STATE_UNSPECIFIED", "QUEUED", "SCHEDULED", "RUNNING"})
RETRY_STATES = frozenset({"FAILED", "CANCELLED", "CANCELLATION_IN_PROGRESS",
                          "DELETION_IN_PROGRESS"})
TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


# -- errors ------------------------------------------------------------------------------

class RemoteError(NgffError):
    """The remote batch engine refused or failed; one line, exit code REMOTE."""

    exit_code = exit_codes.REMOTE
    code = exit_codes.REMOTE

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class RemoteConfigError(RemoteError):
    """The remote settings cannot work (not a gs:// destination, bad names...)."""

    exit_code = exit_codes.USAGE
    code = exit_codes.USAGE


class RemoteCredentialsError(RemoteError):
    pass


class RemoteUnavailable(RemoteError):
    pass


class JobRefused(RemoteError):
    """The Batch API rejected a job (invalid spec, permission, quota)."""


class JobFailed(RemoteError):
    pass


class WaitTimeout(RemoteError):
    def __init__(self, message: str, statuses: Optional[dict] = None):
        super().__init__(message)
        self.statuses = statuses or {}


# -- settings and records --------------------------------------------------------------------

@dataclass(frozen=True)
class BatchSettings:
    """Where and how jobs run. ``repository`` is gs://BUCKET[/PREFIX] holding the
    managed repository (repository paths are relative to it)."""

    project: str
    region: str
    repository: str
    image: str = DEFAULT_IMAGE
    machine_type: str = "e2-standard-4"
    cpu_milli: int = 4000
    memory_mib: int = 15 * 1024
    java_heap_fraction: float = 0.75
    max_run_duration_s: int = 24 * 3600
    boot_disk_mib: Optional[int] = None
    spot: bool = False
    service_account: Optional[str] = None      # email; default: Compute default SA
    network: Optional[str] = None
    subnetwork: Optional[str] = None
    no_external_ip: bool = False
    job_prefix: str = "omero-ngff"
    labels: Dict[str, str] = field(default_factory=dict)
    api_endpoint: Optional[str] = None         # e.g. a local stub; default: Google's
    max_attempts: int = 3

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.region}"

    def repository_bucket_prefix(self):
        parts = urllib.parse.urlsplit(self.repository)
        if parts.scheme != "gs" or not parts.netloc:
            raise RemoteConfigError(f"--repository-bucket {self.repository!r} must be "
                                    "gs://BUCKET[/PREFIX]")
        return parts.netloc, parts.path.strip("/")


@dataclass(frozen=True)
class FilesetJob:
    """One conversion: a fileset's main file (its managed-repository path) to an
    output folder under the destination."""

    fileset_id: int
    repo_path: str                     # relative to the repository root
    output: str                        # relative to the destination prefix
    image_ids: Sequence[int] = ()      # for the record (labels), not the job identity


@dataclass
class JobStatus:
    name: str
    job_id: str
    state: str
    uid: str = ""
    fileset_id: Optional[int] = None
    attempt: int = 0
    key: str = ""
    create_time: Optional[datetime] = None
    update_time: Optional[datetime] = None
    events: List[str] = field(default_factory=list)
    output_url: Optional[str] = None
    logs_url: Optional[str] = None

    @property
    def done(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "SUCCEEDED"

    @property
    def failed(self) -> bool:
        return self.state in ("FAILED", "CANCELLED")

    @property
    def last_event(self) -> str:
        return self.events[-1] if self.events else ""


@dataclass
class Submission:
    status: JobStatus
    submitted: bool                    # False: an existing job was found and kept

    @property
    def name(self) -> str:
        return self.status.name


# -- helpers ---------------------------------------------------------------------------------

def job_id_is_valid(job_id: str) -> bool:
    """Batch job ids: lowercase letter first, then lowercase letters, digits, hyphens;
    no trailing hyphen; at most 63 characters."""
    return bool(JOB_ID_RE.match(job_id))


def _label_value(value) -> str:
    return LABEL_VALUE_RE.sub("-", str(value).lower())[:63]


def _sanitize_prefix(prefix: str) -> str:
    p = re.sub(r"[^a-z0-9-]+", "-", prefix.lower()).strip("-")
    if not p or not p[0].isalpha():
        p = "j" + p
    return p[:24].rstrip("-")


def logs_filter(project: str, job_uid: str) -> str:
    """Cloud Logging filter for one job's task and agent logs."""
    return (f'logName=("projects/{project}/logs/batch_task_logs" OR '
            f'"projects/{project}/logs/batch_agent_logs") AND labels.job_uid="{job_uid}"')


def logs_url(project: str, job_uid: str) -> str:
    query = urllib.parse.quote(logs_filter(project, job_uid), safe="")
    return (f"https://console.cloud.google.com/logs/query;query={query}"
            f"?project={urllib.parse.quote(project)}")


def make_batch_client(api_endpoint: Optional[str] = None, credentials=None):
    """A BatchServiceClient over REST. A non-Google endpoint (a local stub) gets
    anonymous credentials; otherwise application default credentials."""
    from google.api_core.client_options import ClientOptions
    from google.cloud import batch_v1

    if credentials is None:
        host = urllib.parse.urlsplit(api_endpoint or "").hostname or ""
        if api_endpoint and not host.endswith("googleapis.com"):
            from google.auth.credentials import AnonymousCredentials
            credentials = AnonymousCredentials()
        else:
            import google.auth
            import google.auth.exceptions
            try:
                credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
            except google.auth.exceptions.GoogleAuthError:
                raise RemoteCredentialsError(
                    "no Google credentials for the Batch API: run `gcloud auth "
                    "application-default login` or set GOOGLE_APPLICATION_CREDENTIALS")
    options = ClientOptions(api_endpoint=api_endpoint) if api_endpoint else None
    return batch_v1.BatchServiceClient(transport="rest", credentials=credentials,
                                       client_options=options)


def _api_message(exc) -> str:
    """The API's own message, without the "POST http://...: " prefix of REST errors."""
    msg = getattr(exc, "message", "") or str(exc)
    return re.sub(r"^(GET|POST|DELETE|PATCH|PUT) \S+: ", "", str(msg))


def _api_error(exc: Exception, what: str) -> RemoteError:
    """One-line RemoteError for a google.api_core error. The REST transport maps HTTP
    statuses (Unauthorized, Forbidden, Conflict), gRPC the codes (Unauthenticated,
    PermissionDenied, AlreadyExists, subclasses of those): catch the HTTP ones."""
    from google.api_core import exceptions as gexc
    if isinstance(exc, gexc.Unauthorized):
        return RemoteCredentialsError(f"{what}: the Batch API rejected the credentials")
    if isinstance(exc, gexc.Forbidden):
        return JobRefused(f"{what}: permission denied by the Batch API "
                          f"({_api_message(exc)})")
    if isinstance(exc, (gexc.ServiceUnavailable, gexc.DeadlineExceeded,
                        gexc.InternalServerError, gexc.GatewayTimeout)):
        return RemoteUnavailable(f"{what}: the Batch API is unavailable "
                                 f"({exc.__class__.__name__})")
    if isinstance(exc, gexc.GoogleAPICallError):
        return JobRefused(f"{what}: {exc.__class__.__name__}: {_api_message(exc)}")
    if isinstance(exc, gexc.RetryError):
        return RemoteUnavailable(f"{what}: the Batch API kept failing")
    import requests
    if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError)):
        return RemoteUnavailable(f"{what}: the Batch API endpoint is unreachable")
    return RemoteError(f"{what}: {exc.__class__.__name__}: {exc}")


def _to_dt(value) -> Optional[datetime]:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


# -- the engine ------------------------------------------------------------------------------

class GoogleBatchEngine:
    """Build, submit, find, poll and collect bioformats2raw jobs.

    ``destination`` is a storage `Destination` with scheme gs (the jobs write there
    through a GCS volume); ``options`` the conversion settings shared by the run.
    """

    def __init__(self, settings: BatchSettings, destination, options: Bf2rawOptions,
                 client=None, call_timeout: float = 60.0, api_deadline: float = 60.0):
        if getattr(destination, "scheme", None) != "gs":
            raise RemoteConfigError("remote conversion writes to gs:// destinations only, "
                                    f"not {getattr(destination, 'url', destination)}")
        self.settings = settings
        self.destination = destination
        self.options = options
        self.call_timeout = call_timeout
        self.api_deadline = api_deadline      # retries of reads on HTTP 503, in total
        self.repo_bucket, self.repo_prefix = settings.repository_bucket_prefix()
        self.prefix = _sanitize_prefix(settings.job_prefix)
        self._client = client

    def _read_retry(self):
        from google.api_core import exceptions as gexc
        from google.api_core import retry as gretry
        return gretry.Retry(initial=0.2, maximum=5.0, multiplier=2.0,
                            predicate=gretry.if_exception_type(gexc.ServiceUnavailable),
                            timeout=self.api_deadline)

    @property
    def client(self):
        if self._client is None:
            self._client = make_batch_client(self.settings.api_endpoint)
        return self._client

    # -- names ------------------------------------------------------------------------------

    def job_key(self, job: FilesetJob) -> str:
        ident = {"fileset": int(job.fileset_id), "input": self._input_url(job),
                 "output": self.destination.join(job.output),
                 "image": self.settings.image, "options": self.options.canonical()}
        digest = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()
        return digest[:12]

    def job_id(self, job: FilesetJob, attempt: int = 1) -> str:
        job_id = f"{self.prefix}-fs{int(job.fileset_id)}-{self.job_key(job)}-a{int(attempt)}"
        if not job_id_is_valid(job_id):
            raise RemoteConfigError(f"cannot build a valid Batch job id ({job_id!r})")
        return job_id

    def job_name(self, job_id: str) -> str:
        return f"{self.settings.parent}/jobs/{job_id}"

    def _input_url(self, job: FilesetJob) -> str:
        return "gs://" + "/".join(p for p in (self.repo_bucket, self.repo_prefix,
                                               job.repo_path.strip("/")) if p)

    # -- the job spec ------------------------------------------------------------------------

    def command(self, job: FilesetJob) -> list:
        rel_in = job.repo_path.strip("/")
        if not rel_in or ".." in rel_in.split("/"):
            raise RemoteConfigError(f"fileset {job.fileset_id}: bad repository path "
                                    f"{job.repo_path!r}")
        output = self.destination.relpath_of(self.destination.join(job.output))
        if not output:
            raise RemoteConfigError(f"fileset {job.fileset_id}: the output must be a "
                                    "folder under the destination")
        return self.options.args(f"{REPO_MOUNT}/{rel_in}", f"{DEST_MOUNT}/{output}")

    def labels(self, job: FilesetJob, attempt: int) -> Dict[str, str]:
        labels = {_label_value(k)[:63]: _label_value(v) for k, v in self.settings.labels.items()}
        labels.update({"app": APP_LABEL, "omero-fileset": str(int(job.fileset_id)),
                       "ngff-job-key": self.job_key(job), "attempt": str(int(attempt)),
                       "ngff-version": _label_value(self.options.ngff_version)})
        if job.image_ids:
            labels["omero-image"] = _label_value(min(job.image_ids))
        return labels

    def build_job(self, job: FilesetJob, attempt: int = 1):
        """The batch_v1.Job for one fileset (nothing is sent)."""
        from google.cloud import batch_v1

        s = self.settings
        dest_remote = "/".join(p for p in (self.destination.bucket,
                                           self.destination.prefix) if p)
        repo_remote = "/".join(p for p in (self.repo_bucket, self.repo_prefix) if p)
        heap_mib = max(512, int(s.memory_mib * s.java_heap_fraction))
        runnable = batch_v1.Runnable(
            display_name="bioformats2raw",
            container=batch_v1.Runnable.Container(
                image_uri=s.image,
                commands=self.command(job),
                volumes=[f"{REPO_MOUNT}:{REPO_MOUNT}:ro", f"{DEST_MOUNT}:{DEST_MOUNT}"]))
        task = batch_v1.TaskSpec(
            runnables=[runnable],
            compute_resource=batch_v1.ComputeResource(cpu_milli=s.cpu_milli,
                                                      memory_mib=s.memory_mib),
            max_retry_count=0,                  # attempts are ours (new job ids)
            max_run_duration=f"{int(s.max_run_duration_s)}s",
            environment=batch_v1.Environment(variables={"JAVA_OPTS": f"-Xmx{heap_mib}m"}),
            volumes=[
                batch_v1.Volume(gcs=batch_v1.GCS(remote_path=repo_remote),
                                mount_path=REPO_MOUNT,
                                mount_options=["-o ro", "--implicit-dirs"]),
                batch_v1.Volume(gcs=batch_v1.GCS(remote_path=dest_remote),
                                mount_path=DEST_MOUNT,
                                mount_options=["--implicit-dirs"]),
            ])
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
        return batch_v1.Job(
            task_groups=[batch_v1.TaskGroup(task_spec=task, task_count=1, parallelism=1)],
            allocation_policy=allocation,
            labels=self.labels(job, attempt),
            logs_policy=batch_v1.LogsPolicy(
                destination=batch_v1.LogsPolicy.Destination.CLOUD_LOGGING))

    # -- API calls -------------------------------------------------------------------------

    def _status(self, job) -> JobStatus:
        """A JobStatus from a batch_v1.Job."""
        labels = dict(job.labels)
        job_id = job.name.rsplit("/", 1)[-1]
        try:
            fileset = int(labels.get("omero-fileset", ""))
        except ValueError:
            fileset = None
        try:
            attempt = int(labels.get("attempt", "0"))
        except ValueError:
            attempt = 0
        state = job.status.state.name if job.status else "STATE_UNSPECIFIED"
        events = [e.description for e in job.status.status_events] if job.status else []
        return JobStatus(
            name=job.name, job_id=job_id, state=state, uid=job.uid, fileset_id=fileset,
            attempt=attempt, key=labels.get("ngff-job-key", ""),
            create_time=_to_dt(job.create_time), update_time=_to_dt(job.update_time),
            events=events, output_url=self._output_of(job),
            logs_url=logs_url(self.settings.project, job.uid) if job.uid else None)

    def _output_of(self, job) -> Optional[str]:
        """The gs:// URL the job writes to (from its command and volumes)."""
        try:
            task = job.task_groups[0].task_spec
            out = task.runnables[0].container.commands[1]
            for vol in task.volumes:
                mount = vol.mount_path.rstrip("/")
                if vol.gcs.remote_path and out.startswith(mount + "/"):
                    return f"gs://{vol.gcs.remote_path.strip('/')}/{out[len(mount) + 1:]}"
        except (IndexError, AttributeError):
            pass
        return None

    def get(self, name_or_id: str):
        """The batch_v1.Job, or None when it does not exist."""
        from google.api_core import exceptions as gexc
        name = name_or_id if "/" in name_or_id else self.job_name(name_or_id)
        try:
            return self.client.get_job(name=name, timeout=self.call_timeout,
                                       retry=self._read_retry())
        except gexc.NotFound:
            return None
        except Exception as exc:
            raise _api_error(exc, f"reading job {name.rsplit('/', 1)[-1]}") from None

    def status(self, name_or_id: str) -> JobStatus:
        job = self.get(name_or_id)
        if job is None:
            raise RemoteError(f"job {name_or_id.rsplit('/', 1)[-1]} does not exist")
        return self._status(job)

    def find(self, job: FilesetJob) -> List[JobStatus]:
        """Existing attempts of this conversion, attempt 1 upwards (stops at the first
        attempt number that does not exist)."""
        found = []
        attempt = 1
        while True:
            existing = self.get(self.job_id(job, attempt))
            if existing is None:
                return found
            found.append(self._status(existing))
            attempt += 1

    def submit(self, job: FilesetJob, rerun_succeeded: bool = False) -> Submission:
        """Submit the conversion unless an attempt is queued, running or succeeded
        (then that job is returned, ``submitted=False``). After a failed or cancelled
        attempt the next attempt is submitted, up to ``settings.max_attempts``."""
        from google.api_core import exceptions as gexc

        attempts = self.find(job)
        for st in attempts:
            if st.state in ACTIVE_STATES or (st.state == "SUCCEEDED" and not rerun_succeeded):
                return Submission(st, submitted=False)
        attempt = len(attempts) + 1
        if attempt > self.settings.max_attempts:
            last = attempts[-1]
            raise JobFailed(f"fileset {job.fileset_id}: {len(attempts)} attempts failed "
                            f"(last: {last.job_id}, {last.state}: "
                            f"{last.last_event or 'no event'}); logs: {last.logs_url}")
        job_id = self.job_id(job, attempt)
        spec = self.build_job(job, attempt)
        try:
            created = self.client.create_job(parent=self.settings.parent, job=spec,
                                             job_id=job_id, timeout=self.call_timeout)
        except gexc.Conflict:                # another run submitted it a moment ago
            return Submission(self.status(job_id), submitted=False)
        except Exception as exc:
            raise _api_error(exc, f"submitting fileset {job.fileset_id} ({job_id})") from None
        return Submission(self._status(created), submitted=True)

    def list(self, fileset_id: Optional[int] = None, states: Optional[Iterable[str]] = None,
             page_size: int = 100) -> List[JobStatus]:
        """This plugin's jobs in the project/region (label app=omero-ngff), optionally
        of one fileset and in some states. Filtered on our side too."""
        from google.cloud import batch_v1

        terms = [f'labels.app="{APP_LABEL}"']
        if fileset_id is not None:
            terms.append(f'labels.omero-fileset="{int(fileset_id)}"')
        request = batch_v1.ListJobsRequest(parent=self.settings.parent,
                                           filter=" AND ".join(terms), page_size=page_size)
        wanted = set(states) if states else None
        out = []
        try:
            for job in self.client.list_jobs(request=request, timeout=self.call_timeout,
                                             retry=self._read_retry()):
                st = self._status(job)
                if job.labels.get("app") != APP_LABEL:
                    continue
                if fileset_id is not None and st.fileset_id != int(fileset_id):
                    continue
                if wanted and st.state not in wanted:
                    continue
                out.append(st)
        except Exception as exc:
            raise _api_error(exc, "listing jobs") from None
        return sorted(out, key=lambda s: (s.fileset_id or 0, s.attempt, s.job_id))

    def delete(self, name_or_id: str) -> None:
        name = name_or_id if "/" in name_or_id else self.job_name(name_or_id)
        try:
            self.client.delete_job(name=name, timeout=self.call_timeout)
        except Exception as exc:
            raise _api_error(exc, f"deleting job {name.rsplit('/', 1)[-1]}") from None

    def wait(self, names: Iterable[str], poll_interval: float = 30.0,
             timeout: Optional[float] = None,
             callback: Optional[Callable[[List[JobStatus]], None]] = None,
             sleep: Callable[[float], None] = time.sleep,
             max_api_failures: int = 5) -> Dict[str, JobStatus]:
        """Poll until every job is SUCCEEDED, FAILED or CANCELLED; ``callback`` gets the
        statuses after each round (for progress). Transient API errors are tolerated
        up to ``max_api_failures`` rounds in a row. Raises WaitTimeout (with the last
        statuses) when ``timeout`` seconds pass."""
        pending = list(dict.fromkeys(names))
        results: Dict[str, JobStatus] = {}
        deadline = None if timeout is None else time.monotonic() + timeout
        failures = 0
        while True:
            try:
                for name in list(pending):
                    st = self.status(name)
                    results[name] = st
                    if st.done:
                        pending.remove(name)
                failures = 0
            except RemoteUnavailable:
                failures += 1
                if failures >= max_api_failures:
                    raise
            if callback:
                callback(list(results.values()))
            if not pending:
                return results
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"{len(pending)} job(s) still running after "
                                  f"{timeout:g} s; run again to keep waiting", results)
            sleep(poll_interval)

    def collect(self, job: FilesetJob, status: Optional[JobStatus] = None) -> list:
        """The image groups a succeeded job wrote (storage ZarrGroupInfo list, relative
        to the destination). Raises JobFailed when it did not succeed, RemoteError when
        it succeeded but wrote no OME-Zarr image."""
        status = status or self.status(self.job_id(job, max(1, len(self.find(job)))))
        if not status.succeeded:
            raise JobFailed(f"fileset {job.fileset_id}: job {status.job_id} is "
                            f"{status.state}" + (f": {status.last_event}" if status.last_event
                                                 else "") +
                            (f"; logs: {status.logs_url}" if status.logs_url else ""))
        groups = self.destination.list_groups(job.output)
        if not groups:
            raise RemoteError(f"fileset {job.fileset_id}: job {status.job_id} succeeded "
                              f"but {self.destination.join(job.output)} holds no OME-Zarr "
                              "image")
        return groups
