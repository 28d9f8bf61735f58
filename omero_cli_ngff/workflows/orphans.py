"""Orphans: Zarr image groups under a destination that no annotation points at.
Found and reported, never deleted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ..model.annotation import normalise_url


@dataclass
class Orphan:
    url: str
    relpath: str
    ngff_version: str
    size: int | None
    objects: int | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _url_parts(url: str) -> list[str]:
    return [p for p in unquote(urlsplit(url).path).split("/") if p]


def _points_at(url_parts: list[str], rel_parts: list[str], folder: str) -> bool:
    """The URL's path ends with the group's path under the listed prefix, and what
    comes before it is nothing (a folder served at its root) or the prefix's own
    last folder (so that `data/0.4/1.ome.zarr` is not taken for `data/0.5/1.ome.zarr`)."""
    n = len(rel_parts)
    if n == 0 or url_parts[-n:] != rel_parts:
        return False
    head = url_parts[:-n]
    return not head or head[-1] == folder


def find_orphans(dest: Any, annotated_urls: list[str]) -> list[Orphan]:
    """Zarr image groups under `dest` that no annotated URL points at.

    A group is pointed at when an annotation's URL is its public URL (gs://: known),
    or, for local folders and custom domains, when the URL's path ends with the
    group's path under the listed prefix as `_points_at` says. Nothing is deleted.
    """
    exact = {normalise_url(u) for u in annotated_urls}
    parts = [_url_parts(u) for u in annotated_urls]
    folder = dest.root_name
    orphans = []
    for group in dest.list_groups(sizes=True):
        public = None
        if dest.public_base:
            try:
                public = dest.public_url(group.relpath)
            except Exception:
                public = None
        if public and public in exact:
            continue
        rel_parts = [p for p in group.relpath.split("/") if p]
        if any(_points_at(u, rel_parts, folder) for u in parts):
            continue
        orphans.append(Orphan(public or group.url, group.relpath, group.ngff_version,
                              group.size, group.objects))
    return orphans
