"""What every backend's preflight shares: the report, the probe object's name, and the
anonymous read of the probe through the public URL (as a viewer would read it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from .errors import FetchError, RangeUnsupported
from .http import HttpPolicy, request_with_retries

__all__ = ["PreflightReport", "PROBE_PREFIX", "PROBE_PAYLOAD", "new_probe_name",
           "read_probe_publicly", "check_ranges"]

PROBE_PREFIX = ".omero-ngff-probe-"
PROBE_PAYLOAD = b"omero-ngff preflight probe\n"


@dataclass
class PreflightReport:
    """What preflight found besides errors (those are raised)."""

    destination: str
    credentials: str = ""
    warnings: list[str] = field(default_factory=list)
    cors: list[Any] | None = None
    public_readable: bool | None = None


def new_probe_name() -> str:
    """A probe object's name, directly under the destination, unique to this run."""
    return f"{PROBE_PREFIX}{uuid.uuid4().hex[:12]}"


def read_probe_publicly(url: str, public_base: str | None, report: PreflightReport,
                        policy: HttpPolicy, payload: bytes = PROBE_PAYLOAD,
                        ranges: bool = True) -> None:
    """GET the probe at ``url`` (its public URL), anonymously; what went wrong becomes
    a warning of ``report`` and ``report.public_readable`` says whether it worked.
    With ``ranges``, a public URL that serves the probe but not HTTP Range requests
    of it (sharded data cannot be read without them) is refused: RangeUnsupported."""
    try:
        r = request_with_retries("GET", url, policy=policy)
    except FetchError as exc:
        report.public_readable = False
        report.warnings.append(f"the public URL {public_base} could not be read "
                               f"({exc.kind}): {exc}")
        return
    if r.status_code == 200 and r.content == payload:
        report.public_readable = True
        if ranges:
            check_ranges(url, public_base, policy, payload)
        return
    report.public_readable = False
    if r.status_code in (401, 403):
        report.warnings.append(f"{public_base} is not publicly readable (HTTP "
                               f"{r.status_code} for an object we wrote): viewers and "
                               "the published URLs will fail")
    elif r.status_code == 404:
        report.warnings.append(f"--public-url {public_base} does not serve "
                               f"{report.destination} (HTTP 404 for an object we wrote "
                               "there)")
    else:
        report.warnings.append(f"{public_base}: unexpected answer HTTP "
                               f"{r.status_code} for an object we wrote")


# a range from the start and a suffix range (shard indexes are read from the end)
RANGES = (("bytes=2-5", slice(2, 6)), ("bytes=-4", slice(-4, None)))


def check_ranges(url: str, public_base: str | None, policy: HttpPolicy,
                 payload: bytes = PROBE_PAYLOAD) -> None:
    """RangeUnsupported unless ``url`` answers Range requests with 206 and the bytes."""
    for header, part in RANGES:
        try:
            r = request_with_retries("GET", url, policy=policy, headers={"Range": header})
        except FetchError as exc:
            raise RangeUnsupported(f"{public_base}: a Range request failed ({exc.kind}): "
                                   f"{exc}") from None
        if r.status_code != 206 or r.content != payload[part]:
            raise RangeUnsupported(
                f"{public_base} does not serve HTTP Range requests (HTTP {r.status_code} "
                f"for 'Range: {header}' of an object we wrote): sharded OME-Zarr cannot "
                "be read without them; serve --dest with a web server that supports "
                "Range requests")
