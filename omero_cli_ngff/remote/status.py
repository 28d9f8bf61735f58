"""What a Batch job is doing, as plain records read from the API's Job.

States are google.cloud.batch.v1 JobStatus.State names; CANCELLATION_IN_PROGRESS and
CANCELLED exist in the client from google-cloud-batch 0.17.34 (the floor in setup.cfg).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["ACTIVE_STATES", "RETRY_STATES", "TERMINAL_STATES", "JobStatus", "Submission",
           "status_from_job", "logs_filter", "logs_url"]

ACTIVE_STATES = frozenset({"STATE_UNSPECIFIED", "QUEUED", "SCHEDULED", "RUNNING"})
RETRY_STATES = frozenset({"FAILED", "CANCELLED", "CANCELLATION_IN_PROGRESS",
                          "DELETION_IN_PROGRESS"})
TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


@dataclass
class JobStatus:
    name: str
    job_id: str
    state: str
    uid: str = ""
    fileset_id: int | None = None
    attempt: int = 0
    key: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None
    events: list[str] = field(default_factory=list)
    output_url: str | None = None
    logs_url: str | None = None
    image: str = ""                    # the container image the job runs

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


def logs_filter(project: str, job_uid: str) -> str:
    """Cloud Logging filter for one job's task and agent logs."""
    return (f'logName=("projects/{project}/logs/batch_task_logs" OR '
            f'"projects/{project}/logs/batch_agent_logs") AND labels.job_uid="{job_uid}"')


def logs_url(project: str, job_uid: str) -> str:
    query = urllib.parse.quote(logs_filter(project, job_uid), safe="")
    return (f"https://console.cloud.google.com/logs/query;query={query}"
            f"?project={urllib.parse.quote(project)}")


def _int_label(labels: dict, key: str, default):
    try:
        return int(labels.get(key, ""))
    except ValueError:
        return default


def _container(job):
    try:
        return job.task_groups[0].task_spec.runnables[0].container
    except (IndexError, AttributeError):
        return None


def output_url_of(job) -> str | None:
    """The gs:// URL the job writes to (its command's second argument, under a GCS
    volume)."""
    container = _container(job)
    if container is None or len(container.commands) < 2:
        return None
    out = container.commands[1]
    for vol in job.task_groups[0].task_spec.volumes:
        mount = vol.mount_path.rstrip("/")
        if vol.gcs.remote_path and out.startswith(mount + "/"):
            return f"gs://{vol.gcs.remote_path.strip('/')}/{out[len(mount) + 1:]}"
    return None


def status_from_job(job, project: str) -> JobStatus:
    """A JobStatus from a batch_v1.Job."""
    labels = dict(job.labels)
    state = job.status.state.name if job.status else "STATE_UNSPECIFIED"
    events = [e.description for e in job.status.status_events] if job.status else []
    container = _container(job)
    return JobStatus(
        name=job.name, job_id=job.name.rsplit("/", 1)[-1], state=state, uid=job.uid,
        fileset_id=_int_label(labels, "omero-fileset", None),
        attempt=_int_label(labels, "attempt", 0), key=labels.get("ngff-job-key", ""),
        create_time=_to_dt(job.create_time), update_time=_to_dt(job.update_time),
        events=events, output_url=output_url_of(job),
        logs_url=logs_url(project, job.uid) if job.uid else None,
        image=container.image_uri if container is not None else "")


def _to_dt(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
