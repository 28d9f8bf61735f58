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
    """The requests made while one plate was published. Plates are published one after
    another, each under its claim, and uploads name no object in their URL: requests
    are attributed by time, a plate's from the previous plate's claim released (the
    first's: from the destination's preflight probe removed, which ends the plan) to
    its own claim released."""

    plate: int
    first: float = 0.0
    last: float = 0.0
    kinds: Counter = field(default_factory=Counter)
    queries: int = 0              # OMERO queries meanwhile (set by the benchmark)
    rss: float = 0.0              # the publish process's RSS by its end, MiB (idem)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    @property
    def seconds(self) -> float:
        return self.last - self.first


def by_plate(requests: list[Request], plates: int) -> tuple[dict[int, PlateRequests], Counter]:
    """({plate: its requests}, the kinds of the others: the plan's, the end's)."""
    start = max((r.at for r in requests if r.method == "DELETE" and _PROBE in r.path),
                default=0.0)
    released = sorted((r.at, int(m.group(1))) for r in requests if r.method == "DELETE"
                      for m in [_CLAIM.search(r.path)] if m)
    found: dict[int, PlateRequests] = {}
    for at, plate in released:
        if plate <= plates:
            found[plate] = PlateRequests(plate, start, at)
            start = at
    others: Counter = Counter()
    for r in requests:
        plate = next((p for p in found.values() if p.first < r.at <= p.last), None)
        (plate.kinds if plate is not None else others)[r.kind] += 1
    return found, others


_PROBE = "/.omero-ngff-probe-"
_CLAIM = re.compile(r"/claims/[^/]+/plate-(\d+)(?:$|\?)")
