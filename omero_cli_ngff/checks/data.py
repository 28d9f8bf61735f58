"""Checks of a copy's data as any client reads it: reachable, valid NGFF of the declared
version, every level readable. The reading is done by the caller; these functions turn
what it found into `Problem`s."""

from __future__ import annotations

from ..errors import shorten
from .problems import ERROR, Problem

# FetchError kinds (see storage.errors) -> problem codes.
FETCH_CODES = {"not_found": "data-not-found", "corrupt": "corrupt-metadata",
               "unparseable": "unknown-answer",
               "forbidden": "forbidden", "server_error": "server-error",
               "timeout": "timeout", "unreachable": "unreachable",
               "dropped": "connection-dropped", "refused": "fetch-refused",
               "too_large": "too-large"}


def _problem(url: str, annotation_id: int | None, code: str, message: str,
             fixable: bool = False) -> Problem:
    return Problem(code, shorten(message), ERROR, annotation_id=annotation_id, url=url,
                   fixable=fixable)


def unreadable_metadata(url: str, version: str, kind: str, definite: bool, message: str,
                        annotation_id: int | None = None,
                        other_version: str | None = None,
                        collection: bool = False) -> list[Problem]:
    """The metadata document could not be read: why, and whether that proves the copy
    gone (`definite`: only then may --fix act). `other_version`: the copy answers as
    another NGFF version; `collection`: the URL is a group holding images."""
    if kind == "not_found" and other_version:
        return [_problem(url, annotation_id, "version-mismatch",
                         f"the annotation says NGFF {version}, but the data at the URL "
                         f"is NGFF {other_version}")]
    if kind == "corrupt" and collection:
        return [_problem(url, annotation_id, "not-an-image",
                         f"{url} is a bioformats2raw or plate group, not an image's "
                         "multiscales group: the annotation should point at an image "
                         f"inside it (e.g. {url}0/)")]
    return [_problem(url, annotation_id, FETCH_CODES.get(kind, "http-error"), message,
                     fixable=definite)]


def invalid_content(url: str, version: str, declared: str | None, invalid: list[str],
                    annotation_id: int | None = None) -> list[Problem]:
    """The version the data declares, and what NGFF validation found."""
    problems = []
    if declared and str(declared) != version:
        problems.append(_problem(url, annotation_id, "version-mismatch",
                                 f"the annotation says NGFF {version}, the data says "
                                 f"{declared}"))
    for text in invalid:
        problems.append(_problem(url, annotation_id, "invalid-ngff",
                                 f"not valid NGFF {version}: {text}", fixable=True))
    return problems


def unopenable_level(url: str, error: str,
                     annotation_id: int | None = None) -> list[Problem]:
    return [_problem(url, annotation_id, "level-unreadable",
                     f"a pyramid level cannot be opened: {error}")]


def unreadable_chunk(url: str, level_path: str, error: str,
                     annotation_id: int | None = None) -> list[Problem]:
    return [_problem(url, annotation_id, "chunk-unreadable",
                     f"level {level_path}: a chunk cannot be read ({error})")]
