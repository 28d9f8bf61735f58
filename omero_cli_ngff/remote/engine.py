"""Remote conversion on Google Batch: one bioformats2raw job per fileset, reading the
fileset's original file from the bucket that holds the managed repository (mounted
read-only with a GCS volume) and writing straight to the destination prefix (a second
GCS volume).

A rerun finds a job again instead of submitting a duplicate (ids are deterministic,
see job_spec); a failed (or cancelled) attempt is followed by the next attempt number.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterable

from .bioformats2raw import Bf2rawOptions
from .client import api_error, make_batch_client
from .collection import OutputCollector
from .errors import JobFailed, RemoteConfigError, RemoteError, RemoteUnavailable, WaitTimeout
from .job_spec import APP_LABEL, JobSpecBuilder
from .settings import BatchSettings, FilesetJob, resolve_image
from .status import ACTIVE_STATES, JobStatus, Submission, status_from_job

__all__ = ["GoogleBatchEngine"]


class GoogleBatchEngine:
    """Build, submit, find, poll and collect bioformats2raw jobs.

    ``destination`` is a storage `Destination` in a GCS bucket (the jobs write there
    through a GCS volume); ``options`` the conversion settings shared by the run. The
    image is ``settings.image``, else the environment's (`resolve_image`): without one
    the engine refuses to start (RemoteConfigError, a usage error).
    """

    def __init__(self, settings: BatchSettings, destination, options: Bf2rawOptions,
                 client=None, call_timeout: float = 60.0, api_deadline: float = 60.0):
        if getattr(destination, "bucket", None) is None:       # Batch mounts a bucket
            raise RemoteConfigError("remote conversion writes to gs:// destinations only, "
                                    f"not {getattr(destination, 'url', destination)}")
        self.settings = settings
        self.destination = destination
        self.options = options
        self.image = resolve_image(settings.image)
        self.specs = JobSpecBuilder(settings, destination, options, self.image)
        self.outputs = OutputCollector(destination, options.ngff_version)
        self.call_timeout = call_timeout
        self.api_deadline = api_deadline      # retries of reads on HTTP 503, in total
        self.repo_bucket, self.repo_prefix = self.specs.repo_bucket, self.specs.repo_prefix
        self.prefix = self.specs.prefix
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

    # -- names and specs (see job_spec) ----------------------------------------------------

    def job_key(self, job: FilesetJob) -> str:
        return self.specs.job_key(job)

    def job_id(self, job: FilesetJob, attempt: int = 1) -> str:
        return self.specs.job_id(job, attempt)

    def job_name(self, job_id: str) -> str:
        return f"{self.settings.parent}/jobs/{job_id}"

    def command(self, job: FilesetJob) -> list:
        return self.specs.command(job)

    def labels(self, job: FilesetJob, attempt: int) -> dict[str, str]:
        return self.specs.labels(job, attempt)

    def build_job(self, job: FilesetJob, attempt: int = 1):
        """The batch_v1.Job for one fileset (nothing is sent)."""
        return self.specs.build(job, attempt)

    # -- API calls -------------------------------------------------------------------------

    def _status(self, job) -> JobStatus:
        return status_from_job(job, self.settings.project)

    def _name(self, name_or_id: str) -> str:
        return name_or_id if "/" in name_or_id else self.job_name(name_or_id)

    def get(self, name_or_id: str):
        """The batch_v1.Job, or None when it does not exist."""
        from google.api_core import exceptions as gexc
        name = self._name(name_or_id)
        try:
            return self.client.get_job(name=name, timeout=self.call_timeout,
                                       retry=self._read_retry())
        except gexc.NotFound:
            return None
        except Exception as exc:
            raise api_error(exc, f"reading job {name.rsplit('/', 1)[-1]}") from None

    def status(self, name_or_id: str) -> JobStatus:
        job = self.get(name_or_id)
        if job is None:
            raise RemoteError(f"job {name_or_id.rsplit('/', 1)[-1]} does not exist")
        return self._status(job)

    def find(self, job: FilesetJob) -> builtins.list[JobStatus]:
        """Existing attempts of this conversion, attempt 1 upwards (stops at the first
        attempt number that does not exist)."""
        found = []
        while True:
            existing = self.get(self.job_id(job, len(found) + 1))
            if existing is None:
                return found
            found.append(self._status(existing))

    def latest(self, job: FilesetJob) -> JobStatus:
        """The status of the last attempt of this conversion."""
        attempts = self.find(job)
        if not attempts:
            raise RemoteError(f"fileset {job.fileset_id}: no job was submitted")
        return attempts[-1]

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
            raise api_error(exc, f"submitting fileset {job.fileset_id} ({job_id})") from None
        return Submission(self._status(created), submitted=True)

    def list(self, fileset_id: int | None = None, states: Iterable[str] | None = None,
             page_size: int = 100) -> builtins.list[JobStatus]:
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
            raise api_error(exc, "listing jobs") from None
        return sorted(out, key=lambda s: (s.fileset_id or 0, s.attempt, s.job_id))

    def delete(self, name_or_id: str) -> None:
        name = self._name(name_or_id)
        try:
            self.client.delete_job(name=name, timeout=self.call_timeout)
        except Exception as exc:
            raise api_error(exc, f"deleting job {name.rsplit('/', 1)[-1]}") from None

    def wait(self, names: Iterable[str], poll_interval: float = 30.0,
             timeout: float | None = None,
             callback: Callable[[builtins.list[JobStatus]], None] | None = None,
             sleep: Callable[[float], None] = time.sleep,
             max_api_failures: int = 5) -> dict[str, JobStatus]:
        """Poll until every job is SUCCEEDED, FAILED or CANCELLED; ``callback`` gets the
        statuses after each round (for progress). Transient API errors are tolerated
        up to ``max_api_failures`` rounds in a row. Raises WaitTimeout (with the last
        statuses) when ``timeout`` seconds pass."""
        pending = list(dict.fromkeys(names))
        results: dict[str, JobStatus] = {}
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

    # -- collection (see collection) ---------------------------------------------------------

    def failure(self, job: FilesetJob, status: JobStatus) -> RemoteError:
        """The error to report for a job that did not succeed (a too-old converter is
        named with its image; otherwise the last event and the logs' location)."""
        return self.outputs.failure(job, status)

    def collect(self, job: FilesetJob, status: JobStatus | None = None) -> list:
        """The image groups a succeeded job wrote (storage ZarrGroupInfo list, relative
        to the destination). Raises the job's failure when it did not succeed,
        ConverterRefused when its bioformats2raw cannot write the requested version,
        OutputUnreadable when it wrote no OME-Zarr image."""
        return self.outputs.groups(job, status or self.latest(job))

    def collect_series(self, job: FilesetJob,
                       status: JobStatus | None = None) -> dict[int, str]:
        """Series index -> image group path relative to the destination, from the
        output's own metadata (plates: ``<output>/<row>/<column>/<field>``), after the
        same checks as `collect`."""
        return self.outputs.series(job, status or self.latest(job))
