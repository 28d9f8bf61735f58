"""The plugin's storage layer (no OMERO here): destinations (an abstract `Destination`
with one class per backend: `GcsDestination`, `FolderDestination`, `MemoryDestination`),
Zarr stores, public URLs, preflight and CORS checks, claims and the journal, the
ownership records of copies (`ownership`: the one place that decides what may be
written or removed), what a host keeps about its own runs (`local_runs`), where a
published URL is stored (`locate`), and plain-HTTP checks of published copies.

    from omero_cli_ngff.storage import parse_destination, fetch_metadata
    dest = parse_destination("gs://bucket/data/0.5")
    dest.preflight()                         # raises a DestinationError subclass
    store = dest.zarr_store("123.ome.zarr")
    url = dest.public_url("123.ome.zarr")
    # https://storage.googleapis.com/bucket/data/0.5/123.ome.zarr/
    fetch_metadata(url, "0.5")               # raises a FetchError subclass
    ownership.take(dest, "123.ome.zarr", ownership.Owner(db_uuid, "Image:123"))
    # the record first; NotOwned when another object's copy is there
"""

import os

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")   # before any gcsfs

from .base import Destination, DestinationOptions, Versioned, ZarrGroupInfo  # noqa: E402
from .cors import NEEDED_HEADERS, VIEWER_ORIGINS, evaluate_cors  # noqa: E402
from .credentials import GcsCredentials, resolve_gcs_credentials  # noqa: E402
from .destination import BACKENDS, parse_destination  # noqa: E402
from .errors import (  # noqa: E402
                     BucketNotFound,
                     CredentialsError,
                     DestinationError,
                     DestinationNotFound,
                     DestinationUnreachable,
                     FetchCorrupt,
                     FetchDropped,
                     FetchError,
                     FetchForbidden,
                     FetchHttpError,
                     FetchNotFound,
                     FetchRefused,
                     FetchServerError,
                     FetchTimeout,
                     FetchTooLarge,
                     FetchUnparseable,
                     FetchUnreachable,
                     InvalidDestination,
                     PublicUrlError,
                     ReadOnlyDestination,
                     StorageWriteError,
)
from .folder import FolderDestination  # noqa: E402
from .gcs import GcsDestination  # noqa: E402
from .http import (  # noqa: E402
                     HttpPolicy,
                     MetadataProbe,
                     fetch_metadata,
                     metadata_file,
                     probe_metadata,
                     request_with_retries,
)
from .memory import MemoryDestination  # noqa: E402
from .preflight import PreflightReport  # noqa: E402
from .translate import storage_error  # noqa: E402

__all__ = [
    "Destination", "parse_destination", "ZarrGroupInfo", "PreflightReport", "storage_error",
    "DestinationOptions", "Versioned", "BACKENDS", "GcsDestination", "FolderDestination",
    "MemoryDestination",
    "GcsCredentials", "resolve_gcs_credentials",
    "evaluate_cors", "VIEWER_ORIGINS", "NEEDED_HEADERS",
    "HttpPolicy", "MetadataProbe", "fetch_metadata", "probe_metadata", "metadata_file",
    "request_with_retries",
    "DestinationError", "InvalidDestination", "CredentialsError", "DestinationNotFound",
    "BucketNotFound", "ReadOnlyDestination", "DestinationUnreachable", "PublicUrlError",
    "StorageWriteError",
    "FetchError", "FetchNotFound", "FetchForbidden", "FetchServerError", "FetchTimeout",
    "FetchUnreachable", "FetchDropped", "FetchCorrupt", "FetchUnparseable", "FetchHttpError",
    "FetchRefused", "FetchTooLarge",
]
