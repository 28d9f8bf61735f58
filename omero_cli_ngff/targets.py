"""Resolve `Project:999`-style objects to plain image records, in a few batched queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import queries
from .objects import ObjectRef
from .omero_query import QueryRunner
from .records import ImageRecord, PhysicalSize


@dataclass
class Resolution:
    images: list[ImageRecord] = field(default_factory=list)
    missing: list[ObjectRef] = field(default_factory=list)   # unknown or unreadable
    queries: int = 0


def resolve(conn, refs: list[ObjectRef]) -> Resolution:
    """Every image under the objects, each once, in the order first reached."""
    runner = QueryRunner(conn)
    by_type: dict[str, list[int]] = {}
    for ref in refs:
        by_type.setdefault(ref.type, []).append(ref.id)

    result = Resolution()
    image_ids: dict[int, None] = {}
    for kind, ids in by_type.items():
        found = {row[0] for row in runner.rows(queries.EXISTING_IDS.format(type=kind), ids)}
        result.missing.extend(ObjectRef(kind, i) for i in ids if i not in found)
        if found:
            for (image_id,) in runner.rows(queries.IMAGE_IDS[kind], found):
                image_ids.setdefault(image_id, None)

    result.images = load_records(runner, list(image_ids))
    result.queries = runner.calls
    return result


def load_records(runner: QueryRunner, image_ids: list[int]) -> list[ImageRecord]:
    images = {img.getId().getValue(): img for img in runner.objects(queries.IMAGES, image_ids)}
    fileset_ids = {img.getFileset().getId().getValue()
                   for img in images.values() if img.getFileset() is not None}
    main_files: dict[int, str] = {}
    for fileset_id, path, name in runner.rows(queries.FILESET_FILES, fileset_ids):
        main_files.setdefault(fileset_id, (path or "") + (name or ""))
    return [to_record(images[i], main_files) for i in image_ids if i in images]


def _val(rtype, default=None):
    return default if rtype is None else rtype.getValue()


def _size(length) -> PhysicalSize | None:
    if length is None:
        return None
    return PhysicalSize(float(length.getValue()), str(length.getUnit()))


def to_record(img, main_files: dict[int, str]) -> ImageRecord:
    details = img.getDetails()
    owner, group = details.getOwner(), details.getGroup()
    group_perms = group.getDetails().getPermissions() if group.isLoaded() else None
    image_perms = details.getPermissions()
    fileset = img.getFileset()
    fileset_id = fileset.getId().getValue() if fileset is not None else None
    pixels = img.getPrimaryPixels() if img.isPixelsLoaded() and img.sizeOfPixels() > 0 else None
    base = dict(
        id=img.getId().getValue(),
        name=_val(img.getName(), ""),
        series=_val(img.getSeries(), 0) or 0,
        fileset_id=fileset_id,
        repo_path=main_files.get(fileset_id),
        owner_id=owner.getId().getValue(),
        owner=_val(owner.getOmeName(), "") if owner.isLoaded() else "",
        group_id=group.getId().getValue(),
        group=_val(group.getName(), "") if group.isLoaded() else "",
        group_permissions=str(group_perms) if group_perms is not None else "",
        can_annotate=bool(image_perms.canAnnotate()) if image_perms is not None else False,
    )
    if pixels is None:
        return ImageRecord(pixels_id=None, **base)
    return ImageRecord(
        pixels_id=pixels.getId().getValue(),
        size_x=_val(pixels.getSizeX()), size_y=_val(pixels.getSizeY()),
        size_z=_val(pixels.getSizeZ()), size_c=_val(pixels.getSizeC()),
        size_t=_val(pixels.getSizeT()),
        pixel_type=_val(pixels.getPixelsType().getValue()),
        physical_x=_size(pixels.getPhysicalSizeX()),
        physical_y=_size(pixels.getPhysicalSizeY()),
        physical_z=_size(pixels.getPhysicalSizeZ()),
        **base,
    )
