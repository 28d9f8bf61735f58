"""Checks of the annotation itself: its keys, one per namespace, a known version, an ISO
date, an http(s) URL; and outdated versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from ..errors import shorten
from ..model.annotation import (
    CONVERSION_DATE,
    KEYS,
    NGFF_VERSION,
    ZARR_PATH,
    PublishedCopy,
    normalise_url,
)
from ..model.ngff_versions import KNOWN, LATEST, version_key
from ..model.urls import url_problem
from .problems import ERROR, WARNING, Problem

URL_SHOWN = 200          # characters of a URL that a message quotes


@dataclass
class ParsedCopy:
    """An annotation read as far as it can be: None where a value is missing or bad."""

    copy: PublishedCopy
    url: str | None = None            # an http(s) URL, normalised to end with '/'
    version: str | None = None        # a known NGFF version
    date: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def annotation_id(self) -> int:
        return self.copy.annotation_id

    @property
    def usable(self) -> bool:
        """The data can be checked: a URL to read and a version to read it as."""
        return self.url is not None and self.version is not None

    def add(self, code: str, message: str, severity: str = ERROR) -> None:
        """One more problem of this annotation."""
        self.problems.append(Problem(code, message, severity, annotation_id=self.annotation_id))


def parse_copy(copy: PublishedCopy) -> ParsedCopy:
    parsed = ParsedCopy(copy)
    aid = copy.annotation_id
    problem = parsed.add
    keys = [k for k, _ in copy.pairs]
    for key in KEYS:
        if key not in keys:
            problem("missing-key", f"annotation {aid} has no '{key}'")
        elif len({v for k, v in copy.pairs if k == key}) > 1:
            problem("ambiguous-key", f"annotation {aid} has several different '{key}' values")
    _parse_url(parsed, keys)

    version = (copy.get(NGFF_VERSION) or "").strip()
    if version in KNOWN:
        parsed.version = version
    elif NGFF_VERSION in keys:
        problem("unknown-version", f"ngff_version {version!r} is not one of "
                f"{', '.join(KNOWN)}")

    date = (copy.get(CONVERSION_DATE) or "").strip()
    if date:
        try:
            datetime.fromisoformat(date.replace("Z", "+00:00"))
            parsed.date = date
        except ValueError:
            problem("bad-date", f"zarr_conversion_date {date!r} is not an ISO 8601 date")
    elif CONVERSION_DATE in keys:
        problem("bad-date", f"annotation {aid} has an empty zarr_conversion_date")
    return parsed


def _parse_url(parsed: ParsedCopy, keys: list[str]) -> None:
    """A zarr_path is used (fetched, linked) only when `model.urls` accepts it."""
    copy, problem = parsed.copy, parsed.add
    raw_url = (copy.get(ZARR_PATH) or "").strip()
    if raw_url:
        # a raw space (older tools wrote them) is encoded: never a separator in a list
        url = raw_url.replace(" ", "%20")
        why = url_problem(url)
        shown = shorten(raw_url, URL_SHOWN)      # messages name it; the row holds it whole
        if why is not None:
            problem("bad-url", f"zarr_path {shown!r} is not an http(s) URL that may be "
                    f"read: it {why}")
        else:
            parsed.url = normalise_url(url)
            if urlsplit(raw_url).scheme.lower() == "http":
                problem("insecure-url", f"zarr_path {shown} is plain http, not https",
                        WARNING)
            if not raw_url.endswith("/"):
                problem("url-without-slash", f"zarr_path {shown} does not end with '/'",
                        WARNING)
    elif ZARR_PATH in keys:
        problem("bad-url", f"annotation {copy.annotation_id} has an empty zarr_path")


def check_annotations(copies: list[PublishedCopy],
                      namespace: str = "") -> tuple[list[ParsedCopy], list[Problem]]:
    """(parsed copies, problems of the annotations themselves) for one image."""
    parsed = [parse_copy(c) for c in copies]
    problems = [p for pc in parsed for p in pc.problems]
    if len(copies) > 1:
        ids = ", ".join(str(c.annotation_id) for c in copies)
        problems.insert(0, Problem(
            "duplicate-annotation",
            f"{len(copies)} annotations (ids {ids}) in {namespace or 'the namespace'}, "
            "one expected"))
    return parsed, problems


def check_outdated(version: str | None, wanted: str | None) -> list[Problem]:
    """Published at an older NGFF version than `wanted` (an error when asked for),
    or than the latest (a warning)."""
    if version is None:
        return []
    target = wanted or LATEST
    if version_key(version) < version_key(target):
        return [Problem("outdated", f"published at NGFF {version}, older than {target}",
                        ERROR if wanted else WARNING)]
    return []
