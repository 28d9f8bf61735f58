"""`locate`: where are the pixels? (or: which image is at this URL?)

Read-only: a few batched queries (the images, then the annotations of the namespace),
so a Project of 10,000 images costs a handful of round trips, never one per image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..checks.annotation import check_annotations
from ..checks.problems import Problem
from ..model.objects import ObjectRef
from ..model.records import ImageRecord
from ..omero_io import annotations
from ..omero_io.plates import load_layouts, plates_of_images
from ..omero_io.query import QueryRunner
from ..omero_io.targets import image_ids, image_names, load_records
from .origin import Home

# "not published": the word verify uses too (workflows.verify.UNPUBLISHED)
PUBLISHED, MISSING, MALFORMED, FOREIGN = "published", "not published", "malformed", "foreign"


@dataclass(frozen=True)
class PlateSpot:
    """A field image's place: its plate, well (``A1``) and field index."""

    plate_id: int
    well: str
    field: int


def plate_spots(runner: QueryRunner, ids: list[int]) -> dict[int, PlateSpot]:
    """Image id -> its place in its plate, for the plate fields among ``ids`` (a few
    queries per 1,000 images or plates)."""
    plate_of = plates_of_images(runner, ids) if ids else {}
    if not plate_of:
        return {}
    spots = {}
    for layout in load_layouts(runner, list(dict.fromkeys(plate_of.values()))):
        for image_id, path in layout.field_paths().items():
            row, column, index = path.split("/")
            spots[image_id] = PlateSpot(layout.id, row + column, int(index))
    return spots


@dataclass
class LocatedCopy:
    """One annotation of an image (or the image alone, when it has none)."""

    image_id: int
    name: str
    ngff_version: str = ""
    conversion_date: str = ""
    url: str = ""
    status: str = PUBLISHED
    problems: list[Problem] = field(default_factory=list)
    annotation_id: int | None = None
    plate: PlateSpot | None = None      # where a plate field is in its plate

    @property
    def problems_text(self) -> str:
        return "; ".join(p.message for p in self.problems)

    @property
    def status_text(self) -> str:
        return f"{self.status}: {self.problems_text}" if self.problems else self.status


@dataclass
class Located:
    rows: list[LocatedCopy] = field(default_factory=list)            # one per annotation
    missing_images: list[LocatedCopy] = field(default_factory=list)  # unpublished images
    missing_objects: list[ObjectRef] = field(default_factory=list)
    images: int = 0
    queries: int = 0
    plates: bool = False            # some images are plate fields

    @property
    def published(self) -> int:
        return len({r.image_id for r in self.rows})


def locate(conn: Any, refs: list[ObjectRef], namespace: str,
           home: Home | None = None) -> Located:
    """Every image under `refs` with what its annotations say (batched projections:
    a constant number of queries per 1,000 images); copies outside `home` are foreign."""
    home = home or Home()
    runner = QueryRunner(conn)
    ids, missing = image_ids(runner, refs)
    names = image_names(runner, ids)
    ids = [i for i in ids if i in names]
    copies = annotations.read_values(runner, ids, namespace) if ids else {}
    spots = plate_spots(runner, ids)
    result = Located(missing_objects=missing, images=len(ids), plates=bool(spots))
    for image_id in ids:
        name = names[image_id]
        found = copies.get(image_id, [])
        if not found:
            result.missing_images.append(LocatedCopy(image_id, name, status=MISSING,
                                                     plate=spots.get(image_id)))
            continue
        rows = _copies(image_id, name, found, namespace, home)
        for row in rows:
            row.plate = spots.get(image_id)
        result.rows += rows
    result.queries = runner.calls
    return result


def _copies(image_id: int, name: str, found: list[Any], namespace: str,
            home: Home) -> list[LocatedCopy]:
    """One row per annotation: foreign (outside `home`, whatever else it is), malformed
    or published."""
    rows = []
    parsed, problems = check_annotations(found, namespace)
    duplicate = [p for p in problems if p.annotation_id is None]
    for pc in parsed:
        copy = pc.copy
        mine = duplicate + list(pc.problems)
        foreign = home.problem(pc.url, copy.annotation_id) if pc.url else None
        status = FOREIGN if foreign is not None else \
            MALFORMED if any(p.is_error for p in mine) else PUBLISHED
        rows.append(LocatedCopy(
            image_id, name,
            ngff_version=copy.ngff_version or "",
            conversion_date=copy.conversion_date or "",
            url=pc.url or (copy.zarr_path or ""),
            status=status, problems=mine + ([foreign] if foreign else []),
            annotation_id=copy.annotation_id))
    return rows


def url_variants(url: str) -> list[str]:
    """The URL as annotations may hold it: with and without the trailing slash; a
    gs:// URL also as its public https URL (storage.googleapis.com)."""
    base = url.strip().rstrip("/")
    out = [base + "/", base]
    if base.startswith("gs://"):
        try:
            from ..storage import parse_destination
            public = parse_destination(base).public_url("").rstrip("/")
            out += [public + "/", public]
        except Exception:  # not a valid bucket URL: look it up as it is
            pass
    return out


def reverse(conn: Any, urls: list[str],
            namespace: str) -> tuple[dict[str, list[ImageRecord]], int]:
    """URL -> image records that point there (trailing slash or not); and query count."""
    runner = QueryRunner(conn)
    found: dict[str, list[int]] = {}
    for url in urls:
        ids: dict[int, None] = {}
        for variant in url_variants(url):
            for image_id in annotations.images_by_url(runner, variant, namespace):
                ids.setdefault(image_id, None)
        found[url] = list(ids)
    all_ids = list({i for ids in found.values() for i in ids})
    records = {r.id: r for r in load_records(runner, all_ids)} if all_ids else {}
    return {url: [records[i] for i in ids if i in records]
            for url, ids in found.items()}, runner.calls
