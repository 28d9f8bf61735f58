"""Former home of the Google Batch engine, kept so that existing imports still work.

The engine is split by concern: settings (where jobs run, the image), job_spec (ids,
labels, the Job), status (job states), client (API client and errors), engine (submit,
find, wait), collection and bf2raw_layout (what a finished job wrote).
"""

from .client import make_batch_client
from .engine import GoogleBatchEngine
from .errors import (
                     JobFailed,
                     JobRefused,
                     RemoteConfigError,
                     RemoteCredentialsError,
                     RemoteError,
                     RemoteUnavailable,
                     WaitTimeout,
)
from .job_spec import job_id_is_valid
from .settings import DEST_MOUNT, REPO_MOUNT, BatchSettings, FilesetJob
from .status import ACTIVE_STATES, TERMINAL_STATES, JobStatus, Submission, logs_filter, logs_url

__all__ = [
    "BatchSettings", "FilesetJob", "JobStatus", "Submission", "GoogleBatchEngine",
    "make_batch_client", "job_id_is_valid", "logs_filter", "logs_url",
    "RemoteError", "RemoteConfigError", "RemoteCredentialsError", "RemoteUnavailable",
    "JobRefused", "JobFailed", "WaitTimeout",
    "ACTIVE_STATES", "TERMINAL_STATES", "REPO_MOUNT", "DEST_MOUNT",
]
