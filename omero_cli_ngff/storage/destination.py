"""Where converted images go: a local folder, gs://BUCKET/PREFIX or memory:// (tests).

`parse_destination()` gives the `Destination` (see base.py) of the backend the URL
names: `GcsDestination`, `FolderDestination` or `MemoryDestination`. No OMERO here.
"""

from __future__ import annotations

import os
import urllib.parse

from ..model.urls import has_control
from .base import Destination, DestinationOptions, ZarrGroupInfo
from .errors import InvalidDestination
from .folder import FolderDestination
from .gcs import GOOGLE_PUBLIC_BASE, GcsDestination
from .http import DEFAULT_POLICY, HttpPolicy
from .memory import MemoryDestination
from .preflight import PROBE_PREFIX, PreflightReport
from .translate import storage_error

__all__ = ["Destination", "parse_destination", "ZarrGroupInfo", "PreflightReport",
           "storage_error", "GOOGLE_PUBLIC_BASE", "PROBE_PREFIX", "BACKENDS"]

#: URL scheme -> backend; a plain path is a folder
BACKENDS: dict[str, type[Destination]] = {
    GcsDestination.scheme: GcsDestination,
    FolderDestination.scheme: FolderDestination,
    MemoryDestination.scheme: MemoryDestination,
}


def parse_destination(dest: str | None, public_url: str | None = None, *,
                      credentials_file: str | None = None,
                      anonymous: bool | None = None,
                      endpoint_url: str | None = None, project: str | None = None,
                      policy: HttpPolicy = DEFAULT_POLICY) -> Destination:
    """Parse a destination: a local folder (path or file://), gs://BUCKET[/PREFIX] or
    memory://PATH. Credentials are resolved lazily (first storage access or preflight),
    so URL mapping works without them. Raises InvalidDestination / PublicUrlError (usage
    errors: nothing is contacted, so they come before any login)."""
    if dest is None or not str(dest).strip():
        raise InvalidDestination("no destination given")
    text = str(dest).strip()
    if has_control(text):
        raise InvalidDestination(f"{text!r}: a destination has no control characters")
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if len(scheme) == 1 and os.name == "nt":         # C:\... on Windows
        scheme = ""
    options = DestinationOptions(public_url, credentials_file, anonymous, endpoint_url,
                                 project, policy)
    if not scheme:
        return FolderDestination.from_path(text, options)
    backend = BACKENDS.get(scheme)
    if backend is None:
        raise InvalidDestination(f"{text}: unsupported destination (use a folder, "
                                 "gs://BUCKET/PREFIX or memory://)")
    return backend.from_url(text, parts, options)
