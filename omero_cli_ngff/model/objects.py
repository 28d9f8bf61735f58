"""Parse object arguments the way the OMERO CLI writes them: `Image:1,2,5-9`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UsageError

# The object types the commands take (each has a query for its images in omero_io).
CONTAINER_TYPES = ("Image", "Dataset", "Project", "Screen", "Plate", "Well", "Fileset")
_CANONICAL = {t.lower(): t for t in CONTAINER_TYPES}
# ASCII digits only (\d would take other scripts' digits, which int() reads as well)
_RANGE = re.compile(r"^([0-9]+)(?:-([0-9]+))?$")
# A range is expanded into ids; a typo like 1-9999999 must not eat the memory.
MAX_RANGE = 1_000_000
# OMERO ids are Java longs (omero.rlong): a larger one cannot even be sent.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class ObjectRef:
    """One OMERO object named on the command line."""

    type: str
    id: int

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


def parse_object(text: str) -> list[ObjectRef]:
    """`Project:1,3-4` -> [Project:1, Project:3, Project:4]; one clear error otherwise."""
    kind, sep, ids = text.partition(":")
    if not sep:
        raise UsageError(
            f"'{_short(text)}' is not an object: write Type:id, e.g. Image:{_short(text)}"
            if text.isdigit() else
            f"'{_short(text)}' is not an object: write Type:id, e.g. Image:123"
        )
    canonical = _CANONICAL.get(kind.strip().lower())
    if canonical is None:
        raise UsageError(
            f"unknown object type '{_short(kind)}' in '{_short(text)}': use one of "
            f"{', '.join(CONTAINER_TYPES)}"
        )
    refs: list[ObjectRef] = []
    for part in ids.split(","):
        match = _RANGE.match(part.strip())
        if not match:
            raise UsageError(f"'{_short(part)}' in '{_short(text)}' is not an id or a range "
                             "like 5-9")
        digits = [g.lstrip("0") or "0" for g in match.groups() if g]
        if any(len(d) > len(str(MAX_ID)) or int(d) > MAX_ID for d in digits):
            raise UsageError(f"'{_short(part)}' in '{_short(text)}': ids go up to {MAX_ID}")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first or last - first >= MAX_RANGE:
            raise UsageError(f"'{_short(part)}' in '{_short(text)}' is not a valid range")
        refs.extend(ObjectRef(canonical, i) for i in range(first, last + 1))
    return refs


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def parse_objects(texts: list[str]) -> list[ObjectRef]:
    """Several arguments, in order, each object once."""
    seen: dict[ObjectRef, None] = {}
    for text in texts:
        for ref in parse_object(text):
            seen.setdefault(ref, None)
    return list(seen)
