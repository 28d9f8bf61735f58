"""What a finished job left in the destination: its converter's version record, and
where each series of the fileset was written.

Nothing is published from a job whose image does not record its bioformats2raw
version, or records one that cannot write the requested NGFF version.
"""

from __future__ import annotations

from .bf2raw_layout import group_attrs, series_groups
from .converter_version import VERSION_RECORD, refusal_reason
from .errors import ConverterRefused, JobFailed, OutputUnreadable, RemoteError
from .settings import FilesetJob
from .status import JobStatus

__all__ = ["OutputCollector"]

RECIPE = "containers/bioformats2raw"


class OutputCollector:
    """Reads job outputs under ``destination`` (a storage Destination)."""

    def __init__(self, destination, ngff_version: str):
        self.destination = destination
        self.ngff_version = ngff_version

    def _read(self, job: FilesetJob):
        base = job.output.strip("/")
        return lambda rel: self.destination.read_bytes(f"{base}/{rel}" if rel else base)

    def version_record(self, job: FilesetJob) -> str | None:
        """The job's ``bioformats2raw --version`` record, None when it left none."""
        raw = self._read(job)(VERSION_RECORD)
        return None if raw is None else raw.decode("utf-8", "replace")

    def converter_refusal(self, job: FilesetJob, status: JobStatus,
                          record_required: bool = True) -> ConverterRefused | None:
        """The one-line refusal naming the image, when the job's bioformats2raw cannot
        write the requested NGFF version (or, ``record_required``, did not say which it
        is); None when it can."""
        record = self.version_record(job)
        if record is None and not record_required:
            return None
        reason = refusal_reason(record, self.ngff_version)
        if reason is None:
            return None
        image = status.image or "the job's image"
        return ConverterRefused(f"fileset {job.fileset_id}: {image} {reason}; nothing is "
                                f"published from job {status.job_id} (build the image from "
                                f"{RECIPE})")

    def failure(self, job: FilesetJob, status: JobStatus) -> RemoteError:
        """Why a job did not succeed, best explanation first: a converter too old for
        the job's options, else the job's last event and where its logs are."""
        if status.failed:
            refused = self.converter_refusal(job, status, record_required=False)
            if refused is not None:
                return refused
        return JobFailed(f"fileset {job.fileset_id}: job {status.job_id} is {status.state}"
                         + (f": {status.last_event}" if status.last_event else "")
                         + (f"; logs: {status.logs_url}" if status.logs_url else ""))

    def _check_succeeded(self, job: FilesetJob, status: JobStatus) -> None:
        if not status.succeeded:
            raise self.failure(job, status)
        refused = self.converter_refusal(job, status)
        if refused is not None:
            raise refused

    def groups(self, job: FilesetJob, status: JobStatus) -> list:
        """The image groups (storage ZarrGroupInfo, relative to the destination) of a
        succeeded job from an accepted converter."""
        self._check_succeeded(job, status)
        groups = self.destination.list_groups(job.output)
        if not groups:
            raise OutputUnreadable(f"fileset {job.fileset_id}: job {status.job_id} "
                                   f"succeeded but {self.destination.join(job.output)} "
                                   "holds no OME-Zarr image")
        return groups

    def series(self, job: FilesetJob, status: JobStatus) -> dict[int, str]:
        """Series index -> image group path relative to the destination (for a plate
        ``<output>/B/3/0``), each checked to be an image group."""
        self._check_succeeded(job, status)
        read = self._read(job)
        try:
            mapping = series_groups(read)
        except OutputUnreadable as err:
            raise OutputUnreadable(f"fileset {job.fileset_id}: job {status.job_id}: "
                                   f"{self.destination.join(job.output)}: {err}") from None
        missing: list[str] = []
        for s, path in sorted(mapping.items()):
            version = _ngff_version(group_attrs(read, path) or {})
            if version is None:
                missing.append(f"series {s} ({path})")
            elif version != self.ngff_version:
                raise OutputUnreadable(f"fileset {job.fileset_id}: job {status.job_id} "
                                       f"wrote NGFF {version} at {path}, not "
                                       f"{self.ngff_version}")
        if not mapping or missing:
            raise OutputUnreadable(f"fileset {job.fileset_id}: job {status.job_id}: "
                                   f"{self.destination.join(job.output)} has no image for "
                                   + (", ".join(missing[:5]) if missing else "any series"))
        base = job.output.strip("/")
        return {s: f"{base}/{p}" for s, p in mapping.items()}


def _ngff_version(attrs: dict) -> str | None:
    """The NGFF version of an image group's attributes, None when it is no image."""
    multiscales = attrs.get("multiscales")
    if not isinstance(multiscales, list) or not multiscales:
        return None
    first = multiscales[0] if isinstance(multiscales[0], dict) else {}
    return str(attrs.get("version") or first.get("version") or "")
