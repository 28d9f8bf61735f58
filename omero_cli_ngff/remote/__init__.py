"""Remote conversion on an existing batch engine (Google Batch + bioformats2raw).

    from omero_cli_ngff.remote import (BatchSettings, Bf2rawOptions, FilesetJob,
                                       GoogleBatchEngine)
    engine = GoogleBatchEngine(BatchSettings(project, region, "gs://repo-bucket/ManagedRepository"),
                               destination, Bf2rawOptions.from_settings("0.5", "zstd", 5, 512, 2048))
    sub = engine.submit(FilesetJob(fileset_id, repo_path, "fs-12.ome.zarr"))
    engine.wait([sub.name], callback=print)
    groups = engine.collect(job)
"""

from .bioformats2raw import DEFAULT_IMAGE, Bf2rawOptions
from .google_batch import (ACTIVE_STATES, DEST_MOUNT, REPO_MOUNT, TERMINAL_STATES,
                           BatchSettings, FilesetJob, GoogleBatchEngine, JobFailed,
                           JobRefused, JobStatus, RemoteConfigError, RemoteCredentialsError,
                           RemoteError, RemoteUnavailable, Submission, WaitTimeout,
                           job_id_is_valid, logs_filter, logs_url, make_batch_client)

__all__ = [
    "Bf2rawOptions", "DEFAULT_IMAGE",
    "BatchSettings", "FilesetJob", "JobStatus", "Submission", "GoogleBatchEngine",
    "make_batch_client", "job_id_is_valid", "logs_filter", "logs_url",
    "RemoteError", "RemoteConfigError", "RemoteCredentialsError", "RemoteUnavailable",
    "JobRefused", "JobFailed", "WaitTimeout",
    "ACTIVE_STATES", "TERMINAL_STATES", "REPO_MOUNT", "DEST_MOUNT",
]
