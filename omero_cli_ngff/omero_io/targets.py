"""Resolve `Project:999`-style objects to plain image records, in a few batched queries.

Records are built from projections of scalars (ids, names, sizes, pixel type, owner
name, fileset), never from object graphs: per 1,000 images one IMAGE_ROWS, one
PHYSICAL_SIZES and one FILESET_FILES query, plus one GROUPS query for the groups met
(their permissions). `can_annotate` follows OMERO's rule (permissions.py) from the
session's event context, the image's owner and its group's permissions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..model.objects import ObjectRef
from ..model.records import ImageRecord, PhysicalSize
from . import queries
from .permissions import Caller, GroupInfo
from .query import BATCH, QueryRunner, chunks

# Batches of records fetched at once (the server answers one while the client decodes
# another): 2 keeps both cores of a small machine busy without crowding the server.
PIPELINE = 2


@dataclass
class Resolution:
    images: list[ImageRecord] = field(default_factory=list)
    missing: list[ObjectRef] = field(default_factory=list)   # unknown or unreadable
    queries: int = 0


def image_ids(runner: QueryRunner, refs: list[ObjectRef]) -> tuple[list[int], list[ObjectRef]]:
    """(ids of the images under `refs`, each once, in the order first reached; the refs
    that do not exist or are not readable), in one query per type and one per batch."""
    by_type: dict[str, list[int]] = {}
    for ref in refs:
        by_type.setdefault(ref.type, []).append(ref.id)
    ids: dict[int, None] = {}
    missing: list[ObjectRef] = []
    for kind, wanted in by_type.items():
        found = {row[0] for row in runner.rows(queries.EXISTING_IDS.format(type=kind),
                                               wanted)}
        missing.extend(ObjectRef(kind, i) for i in wanted if i not in found)
        if found:
            for (image_id,) in runner.rows(queries.IMAGE_IDS[kind], found):
                ids.setdefault(image_id, None)
    return list(ids), missing


def image_names(runner: QueryRunner, ids: list[int]) -> dict[int, str]:
    """Image id -> name, for the readable images among `ids` (a projection: no records)."""
    return {row[0]: row[1] or "" for row in runner.rows(queries.IMAGE_NAMES, ids)}


def resolve(conn, refs: list[ObjectRef]) -> Resolution:
    """Every image under the objects, each once, in the order first reached."""
    runner = QueryRunner(conn)
    ids, missing = image_ids(runner, refs)
    result = Resolution(missing=missing)
    result.images = load_records(runner, ids)
    result.queries = runner.calls
    return result


def load_records(runner: QueryRunner, image_ids: list[int],
                 caller: Caller | None = None) -> list[ImageRecord]:
    """Records of the readable images among `image_ids`, in that order."""
    if not image_ids:
        return []
    caller = caller or Caller.of(runner.conn)
    batches = list(chunks(sorted(set(image_ids)), BATCH))
    if len(batches) == 1:
        parts = [_batch(runner, batches[0])]
    else:
        with ThreadPoolExecutor(PIPELINE) as pool:
            parts = list(pool.map(lambda b: _batch(runner, b), batches))
    groups = GroupInfo(runner).load({row[5] for rows, _, _ in parts for row in rows})
    records: dict[int, ImageRecord] = {}
    for rows, physical, main_files in parts:
        for row in rows:
            if row[0] not in records:
                records[row[0]] = _record(row, physical, main_files, groups, caller)
    return [records[i] for i in image_ids if i in records]


def _batch(runner: QueryRunner, ids: list[int]):
    """One batch: its rows, physical sizes and the main files of its filesets."""
    rows = runner.rows(queries.IMAGE_ROWS, ids)
    physical = {row[0]: row[1:] for row in runner.rows(queries.PHYSICAL_SIZES, ids)}
    main_files: dict[int, str] = {}
    fileset_ids = {row[6] for row in rows if row[6] is not None}
    if fileset_ids:
        for fileset_id, path, name in runner.rows(queries.FILESET_FILES, fileset_ids):
            main_files.setdefault(fileset_id, (path or "") + (name or ""))
    return rows, physical, main_files


def _record(row, physical, main_files, groups, caller: Caller) -> ImageRecord:
    (image_id, name, series, owner_id, owner, group_id, fileset_id, pixels_id,
     size_x, size_y, size_z, size_c, size_t, pixel_type) = row
    group, perms = groups.get(group_id, ("", ""))
    base = dict(
        id=image_id, name=name or "", series=series or 0, fileset_id=fileset_id,
        repo_path=main_files.get(fileset_id), owner_id=owner_id, owner=owner or "",
        group_id=group_id, group=group, group_permissions=perms,
        can_annotate=caller.can_annotate(owner_id, group_id, perms),
    )
    if pixels_id is None:
        return ImageRecord(pixels_id=None, **base)
    px, py, pz = physical.get(image_id, (None, None, None))
    return ImageRecord(
        pixels_id=pixels_id, size_x=size_x, size_y=size_y, size_z=size_z, size_c=size_c,
        size_t=size_t, pixel_type=pixel_type, physical_x=physical_size(px),
        physical_y=physical_size(py), physical_z=physical_size(pz), **base)


_UNITS: dict[str, str] = {}


def _unit_names() -> dict[str, str]:
    """UnitsLength name and symbol -> name (MICROMETER, µm -> MICROMETER)."""
    if not _UNITS:
        import omero.model
        from omero.model.enums import UnitsLength
        for unit in UnitsLength._enumerators.values():
            _UNITS[str(unit)] = str(unit)
            _UNITS[omero.model.LengthI.lookupSymbol(unit)] = str(unit)
    return _UNITS


def physical_size(value) -> PhysicalSize | None:
    """A projected Length ({value, unit, symbol, ...}) -> PhysicalSize."""
    if value is None:
        return None
    if isinstance(value, dict):
        number = value.get("value")
        if number is None:
            return None
        names = _unit_names()
        unit = names.get(str(value.get("unit"))) or names.get(str(value.get("symbol")))
        return PhysicalSize(float(number), unit or "MICROMETER")
    return PhysicalSize(float(value), "MICROMETER")
