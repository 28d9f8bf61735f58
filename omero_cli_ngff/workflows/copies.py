"""Which annotations of the namespace on an image are the tool's to use, update and
merge, and which are someone else's: those are reported and left alone.

The tool's ("ours"): exactly the tool's keys, once each, with values that parse (an
http(s) URL without '.'/'..' segments, a query or a fragment; a known NGFF version;
an ISO date), that the caller may edit, written by the caller or by the image's owner
(an admin's --sudo writes as the owner). One written by another user is ours only on
the evidence of storage: its copy's ownership record names this image (or, with
--adopt, it has no record). Everything else - other keys, malformed values, other
users' annotations without that evidence - is `Foreign`. No I/O here but the
``evidence`` callable the caller gives.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from ..checks.annotation import parse_copy
from ..model.annotation import KEYS, PublishedCopy
from ..model.records import ImageRecord

# (the copy, the image) -> None when storage proves the copy is this image's, else why not
Evidence = Callable[[PublishedCopy, ImageRecord], str | None]


@dataclass
class Foreign:
    """An annotation of the namespace that is not the tool's: left alone."""

    copy: PublishedCopy
    why: str

    def describe(self) -> str:
        return f"annotation {self.copy.annotation_id} left alone ({self.why})"


def sort_copies(copies: list[PublishedCopy], record: ImageRecord, caller_id: int,
                evidence: Evidence | None = None
                ) -> tuple[list[PublishedCopy], list[Foreign]]:
    """(ours, foreign) among an image's annotations of the namespace, in order."""
    ours: list[PublishedCopy] = []
    foreign: list[Foreign] = []
    for copy in copies:
        why = malformed(copy)
        if why is None and not copy.can_edit:
            why = "you may not edit it"
        if why is None and copy.owner_id not in (caller_id, record.owner_id):
            why = evidence(copy, record) if evidence else "written by another user"
        if why is None:
            ours.append(copy)
        else:
            foreign.append(Foreign(copy, why))
    return ours, foreign


def malformed(copy: PublishedCopy) -> str | None:
    """Why an annotation is not shaped as the tool writes it, or None."""
    keys = [k for k, _ in copy.pairs]
    others = sorted(set(keys) - set(KEYS))
    if others:
        return "keys the tool does not write: " + ", ".join(repr(k) for k in others[:3])
    if sorted(keys) != sorted(KEYS):
        return "not exactly one of each of " + ", ".join(KEYS)
    errors = [p for p in parse_copy(copy).problems if p.is_error]
    if errors:
        return errors[0].message
    return unsafe_url(copy.zarr_path or "")


def unsafe_url(url: str) -> str | None:
    """Why a zarr_path cannot name a copy (segments '.'/'..', encoded or not, a query,
    a fragment), or None."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.query or parts.fragment:
        return f"zarr_path {url!r} has a query or a fragment"
    segments = urllib.parse.unquote(parts.path).split("/")
    if any(s in (".", "..") for s in segments):
        return f"zarr_path {url!r} has '.' or '..' segments"
    return None
