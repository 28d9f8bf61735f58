"""Where a published URL is stored: the destination and the relative path of the
group it names, when that can be known (for checking a copy's ownership record, or
removing a copy published somewhere other than today's destination).

Known: URLs under a given destination's public URL, and GCS public URLs
(``https://storage.googleapis.com/BUCKET/NAME``, or the emulator's address when
STORAGE_EMULATOR_HOST is set), whose object names are the URL's path, percent-decoded.
Anything else (a CDN, a web server in front of a folder) is not known: None.
"""

from __future__ import annotations

import urllib.parse

from .base import Destination
from .credentials import emulator_endpoint
from .errors import DestinationError
from .gcs import GOOGLE_PUBLIC_BASE, GcsDestination
from .http import DEFAULT_POLICY, HttpPolicy
from .paths import clean_rel

__all__ = ["Locations"]


class Locations:
    """Maps published URLs to (destination, relative path), ``dest`` first."""

    def __init__(self, dest: Destination, policy: HttpPolicy = DEFAULT_POLICY) -> None:
        self.dest = dest
        self.policy = policy
        self._buckets: dict[str, Destination] = {}

    def find(self, url: str | None) -> tuple[Destination, str] | None:
        """(destination, relpath) of ``url``, or None when its storage is not known or
        the URL leaves it ('..')."""
        if not url:
            return None
        try:
            rel = self.dest.relpath_of_public_url(url)
            if rel is not None:
                return self.dest, rel
            return self._gcs(url)
        except DestinationError:
            return None

    def _gcs(self, url: str) -> tuple[Destination, str] | None:
        for base in filter(None, (GOOGLE_PUBLIC_BASE, emulator_endpoint())):
            base = base.rstrip("/")
            if not url.startswith(base + "/"):
                continue
            path = urllib.parse.urlsplit(url).path[len(urllib.parse.urlsplit(base).path):]
            bucket, _, name = path.lstrip("/").partition("/")
            if not bucket:
                return None
            if bucket not in self._buckets:
                self._buckets[bucket] = GcsDestination(bucket, "", policy=self.policy)
            return self._buckets[bucket], clean_rel(urllib.parse.unquote(name))
        return None
