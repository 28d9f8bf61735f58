"""The requests fake-gcs-server answered, from its access log (``log_level="info"``):
counted by kind, and attributed to the plates of a screen, for bench_plates.py.

A line looks like ``time=2026-11-29T18:48:26.245Z level=INFO msg="127.0.0.1 - - [...]
\\"GET /storage/v1/b/B/o?prefix=x HTTP/1.1\\" 200 27\\n"``.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

_LINE = re.compile(r'time=(\S+) .*?\\"(\w+) (\S+) HTTP/[\d.]+\\" (\d+)')
KINDS = ("list", "metadata", "read", "public read", "upload", "delete", "other")


@dataclass(frozen=True)
class Request:
    at: float                     # seconds since the epoch
    method: str
    path: str                     # percent-decoded, query included
    status: int

    @property
    def kind(self) -> str:
        path, _, query = self.path.partition("?")
        if path.startswith("/upload/"):
            return "upload"
        if self.method == "DELETE":
            return "delete"
        if path.startswith("/download/") or "alt=media" in query:
            return "read"
        if path.startswith("/storage/v1/b/") and path.endswith("/o"):
            return "list"
        if path.startswith("/storage/v1/b/") and "/o/" in path:
            return "metadata"
        return "other" if path.startswith("/storage/") else "public read"


def parse(lines: list[str]) -> list[Request]:
    out = []
    for line in lines:
        m = _LINE.search(line)
        if m:
            when = dt.datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
            out.append(Request(when.timestamp(), m.group(2), urllib.parse.unquote(m.group(3)),
                               int(m.group(4))))
    return out


@dataclass
class PlateRequests:
    """The requests made while one plate was published: from the first request that
    names it (its claim) to the last (its thumbnails, its claim released). Plates are
    published one after another; uploads name no object in their URL, so requests
    are attributed by time."""

    plate: int
    first: float = 0.0
    last: float = 0.0
    kinds: Counter = field(default_factory=Counter)
    queries: int = 0              # OMERO queries meanwhile (set by the benchmark)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    @property
    def seconds(self) -> float:
        return self.last - self.first


def by_plate(requests: list[Request], plates: int, first_image: int,
             per_plate: int) -> tuple[dict[int, PlateRequests], Counter]:
    """({plate: its requests}, the kinds of the others: the run's own)."""
    found = {p: PlateRequests(p) for p in range(1, plates + 1)}
    for r in requests:
        plate = found.get(_plate_of(r.path, first_image, per_plate) or 0)
        if plate is not None:
            plate.first = min(plate.first or r.at, r.at)
            plate.last = max(plate.last, r.at)
    others: Counter = Counter()
    windows = [p for p in found.values() if p.first]
    for r in requests:
        plate = next((p for p in windows if p.first <= r.at <= p.last), None)
        (plate.kinds if plate is not None else others)[r.kind] += 1
    return found, others


_ROOT = re.compile(r"/plate-(\d+)(?:\.ome\.zarr|$|\?)|pending-plates/[^/]+/(\d+)\.json")
_THUMB = re.compile(r"/thumbnails/(\d+)\.png")


def _plate_of(path: str, first_image: int, per_plate: int) -> int | None:
    m = _ROOT.search(path)
    if m:
        return int(m.group(1) or m.group(2))
    m = _THUMB.search(path)
    if m:
        return (int(m.group(1)) - first_image) // per_plate + 1
    return None
