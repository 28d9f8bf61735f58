"""Plates in remote publishing: which filesets one bioformats2raw job may convert as a
plate, and where a plate field's current copy lives (its plate's root, local or remote)."""

from __future__ import annotations

from typing import Any

from ..model import paths
from ..model.records import ImageRecord
from .plan import relpath_in_dest, root_in_dest

__all__ = ["copy_root", "several_plates"]


def several_plates(plate_of: dict[int, int], records: list[ImageRecord]) -> dict[int, str]:
    """Fileset id -> why it is refused, for the filesets whose images are fields of more
    than one plate (``plate_of``: image id -> plate id): one bioformats2raw output holds
    one plate layout, so such a fileset is published locally instead (one NGFF plate per
    OMERO plate)."""
    plates: dict[int, set[int]] = {}
    for record in records:
        if record.id in plate_of and record.fileset_id is not None:
            plates.setdefault(record.fileset_id, set()).add(plate_of[record.id])
    return {fs: f"fileset {fs} spans plates {', '.join(f'Plate:{p}' for p in sorted(ids))}: "
            "publish it without --remote (one NGFF plate per plate)"
            for fs, ids in plates.items() if len(ids) > 1}


def copy_root(dest: Any, copy: Any, of_plate: bool) -> str | None:
    """The root under ``dest`` a copy points into: for a plate's field, the plate's root
    (``<root>/A/1/0``, local or remote), else the image's (``<root>/N``)."""
    rel = relpath_in_dest(dest, copy) if of_plate else None
    field = paths.plate_root_of_field(rel) if rel else None
    return field[0] if field else root_in_dest(dest, copy)
