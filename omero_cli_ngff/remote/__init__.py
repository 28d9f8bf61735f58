"""Remote conversion on an existing batch engine (Google Batch + bioformats2raw).

    from omero_cli_ngff.remote import (BatchSettings, Bf2rawOptions, FilesetJob,
                                       GoogleBatchEngine, resolve_image)
    settings = BatchSettings(project, region, "gs://repo-bucket/ManagedRepository",
                             image=resolve_image(args.batch_image, server_value))
    engine = GoogleBatchEngine(settings, destination,
                               Bf2rawOptions.from_settings("0.5", "zstd", 5, 512, 2048))
    sub = engine.submit(FilesetJob(fileset_id, repo_path, "fs-12.ome.zarr"))
    engine.wait([sub.name], callback=print)
    groups = engine.collect_series(job)        # {series: "fs-12.ome.zarr/A/1/0", ...}

The image is built from the repository's recipe (containers/bioformats2raw); there is
no default image.
"""

from .bf2raw_layout import column_name, row_name, series_groups
from .bioformats2raw import Bf2rawOptions
from .client import make_batch_client
from .converter_version import MIN_VERSION, VERSION_RECORD, refusal_reason
from .engine import GoogleBatchEngine
from .errors import (
                     ConverterRefused,
                     JobFailed,
                     JobRefused,
                     OutputUnreadable,
                     RemoteConfigError,
                     RemoteCredentialsError,
                     RemoteError,
                     RemoteUnavailable,
                     WaitTimeout,
)
from .job_spec import job_id_is_valid
from .settings import (
                     DEST_MOUNT,
                     IMAGE_CONFIG_KEY,
                     IMAGE_ENV,
                     REPO_MOUNT,
                     BatchSettings,
                     FilesetJob,
                     image_is_valid,
                     resolve_image,
)
from .status import ACTIVE_STATES, TERMINAL_STATES, JobStatus, Submission, logs_filter, logs_url

__all__ = [
    "Bf2rawOptions",
    "BatchSettings", "FilesetJob", "JobStatus", "Submission", "GoogleBatchEngine",
    "make_batch_client", "job_id_is_valid", "logs_filter", "logs_url",
    "resolve_image", "image_is_valid", "IMAGE_ENV", "IMAGE_CONFIG_KEY",
    "series_groups", "row_name", "column_name",
    "VERSION_RECORD", "MIN_VERSION", "refusal_reason",
    "RemoteError", "RemoteConfigError", "RemoteCredentialsError", "RemoteUnavailable",
    "JobRefused", "JobFailed", "ConverterRefused", "OutputUnreadable", "WaitTimeout",
    "ACTIVE_STATES", "TERMINAL_STATES", "REPO_MOUNT", "DEST_MOUNT",
]
