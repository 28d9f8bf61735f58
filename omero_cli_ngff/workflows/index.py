"""The public index beside the data: which images to list, their entries, thumbnails,
and the page (`publish` keeps it up to date; `verify` compares it with OMERO; `locate
--style html` renders the page for any selection).

What an entry says comes from OMERO's annotations (the truth about where an image's
copy is), never from the index itself: an entry is computed afresh and written only
when it differs from the stored one, so a publish that changed nothing writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..model.annotation import PublishedCopy, normalise_url
from ..model.index_entry import (
    PAGE,
    THUMBNAILS_DIR,
    ImageFacts,
    IndexChoices,
    IndexEntry,
    thumbnail_path,
)
from ..model.objects import ObjectRef
from ..model.records import ImageRecord
from ..model.reporting import Reporter
from ..model.urls import is_under
from ..ngff.thumbnail import thumbnail_png
from ..omero_io.annotations import read_values
from ..omero_io.index_facts import index_facts
from ..omero_io.query import QueryRunner
from ..storage.base import Destination
from ..storage.errors import DestinationError
from ..storage.index_store import IndexStore
from .failures import describe, is_connection_lost
from .index_page import render_page

log = logging.getLogger(__name__)
THUMBNAIL_WORKERS = 4      # thumbnails made at once

__all__ = ["IndexUpdate", "update_index", "expected_entries", "make_entry"]


@dataclass
class IndexUpdate:
    """What an update of the index did."""

    entries: int = 0                  # entries written (new or changed)
    removed: int = 0
    thumbnails: int = 0
    url: str = ""                     # the page's public URL
    problems: list[str] = field(default_factory=list)


def _physical(record: ImageRecord) -> dict[str, list]:
    sizes = {"x": record.physical_x, "y": record.physical_y, "z": record.physical_z}
    return {axis: [s.value, s.unit] for axis, s in sizes.items() if s is not None}


def make_entry(record: ImageRecord, copy: PublishedCopy, facts: ImageFacts,
               thumbnail: str, choices: IndexChoices) -> IndexEntry:
    """An image's entry: its record, what its annotation says, and OMERO's facts."""
    return IndexEntry(
        image_id=record.id, name=record.name, zarr_path=normalise_url(copy.zarr_path or ""),
        ngff_version=copy.ngff_version or "", conversion_date=copy.conversion_date or "",
        containers=list(facts.containers), size_x=record.size_x, size_y=record.size_y,
        size_z=record.size_z, size_c=record.size_c, size_t=record.size_t,
        pixel_type=record.pixel_type, physical_sizes=_physical(record),
        channels=list(facts.channels), thumbnail=thumbnail, pairs=dict(facts.pairs),
        owner=record.owner if choices.owners else "",
        group=record.group if choices.owners else "")


def copies_here(dest: Destination, conn: Any, image_ids: list[int],
                namespace: str) -> dict[int, PublishedCopy]:
    """Image id -> its annotation whose copy is under this destination (the first)."""
    found: dict[int, PublishedCopy] = {}
    for image_id, copies in read_values(QueryRunner(conn), image_ids, namespace).items():
        for copy in copies:
            url = copy.zarr_path
            if url and dest.relpath_of_public_url(url) is not None:
                found.setdefault(image_id, copy)
    return found


def expected_entries(conn: Any, dest: Destination, records: Iterable[ImageRecord],
                     namespace: str, choices: IndexChoices) -> dict[int, IndexEntry]:
    """Image id -> the entry OMERO says it should have (images published here only);
    thumbnails named by URL, whether written yet or not."""
    by_id = {r.id: r for r in records}
    copies = copies_here(dest, conn, sorted(by_id), namespace)
    facts = index_facts(conn, sorted(copies), list(choices.namespaces))
    return {i: make_entry(by_id[i], copy, facts.get(i, ImageFacts()),
                          dest.public_url(thumbnail_path(i), group=False), choices)
            for i, copy in copies.items()}


def write_thumbnail(dest: Destination, store: IndexStore, entry: IndexEntry,
                    zarr_root: Any) -> bool:
    """Write the image's thumbnail from its lowest level; True when written
    (``zarr_root``: the destination's root as a zarr store, shared by many calls)."""
    rel = dest.relpath_of_public_url(entry.zarr_path)
    if rel is None:
        return False
    with dest.translate_errors("reading " + dest.join(rel), write=False):
        png = thumbnail_png(zarr_root, rel)
    return store.put(thumbnail_path(entry.image_id), png)


def update_index(conn: Any, dest: Destination, records: list[ImageRecord], namespace: str,
                 choices: IndexChoices, reporter: Reporter, fresh: Iterable[int] = (),
                 expected: dict[int, IndexEntry] | None = None) -> IndexUpdate:
    """Bring the entries of these images up to date (``fresh``: images whose data was
    just written, whose thumbnails are made again; ``expected``: their entries when
    computed already); the page too. Problems are reported as warnings: the images
    are published whatever becomes of the index."""
    update = IndexUpdate(url=dest.public_url(PAGE, group=False))
    store = IndexStore(dest)
    try:
        if expected is None:
            expected = expected_entries(conn, dest, records, namespace, choices)
        _thumbnails(dest, store, expected, set(fresh), update, reporter)
        stored = store.read_entries(expected)
        changed = [e for i, e in expected.items() if stored.get(i) != e]
        store.upsert(changed, choices)
        update.entries = len(changed)
        store.put(PAGE, render_page().encode())
    except DestinationError as err:
        update.problems.append(f"the index at {dest.url} was not updated: {err}")
        reporter.warn(update.problems[-1])
    return update


def _thumbnails(dest: Destination, store: IndexStore, expected: dict[int, IndexEntry],
                fresh: set[int], update: IndexUpdate, reporter: Reporter) -> None:
    # one listing, not a request per image: a rerun over 17,000 images stays cheap
    have = set(dest.list_names(THUMBNAILS_DIR)) if len(expected) > len(fresh) else set()
    wanted = [e for i, e in expected.items() if i in fresh or f"{i}.png" not in have]
    if not wanted:
        return
    root = dest.zarr_store("", read_only=True)        # one connection pool for all

    def one(entry: IndexEntry) -> Exception | bool:
        try:
            return write_thumbnail(dest, store, entry, root)
        except (DestinationError, KeyError, ValueError, OSError) as err:
            return err

    # a few at once: each is a few small reads and one write (I/O bound)
    with ThreadPoolExecutor(THUMBNAIL_WORKERS) as pool:
        for entry, outcome in zip(wanted, pool.map(one, wanted)):
            if isinstance(outcome, Exception):
                log.debug("thumbnail of Image:%s", entry.image_id, exc_info=outcome)
                reporter.warn(f"Image:{entry.image_id}: no thumbnail in the index "
                              f"({outcome})")
                expected[entry.image_id] = _without_thumbnail(entry)
            else:
                update.thumbnails += outcome


def _without_thumbnail(entry: IndexEntry) -> IndexEntry:
    from dataclasses import replace
    return replace(entry, thumbnail="")


#: the statuses of rows whose image has a sound copy here after the run
LISTED = ("published", "updated", "restored", "skipped")


def index_after_publish(conn: Any, dest: Destination, namespace: str,
                        choices: IndexChoices, rows: Iterable[Any],
                        reporter: Reporter) -> IndexUpdate | None:
    """publish's call at the end of a run: list the images of the run's rows
    (PublishRow) that are published here. Those annotated in this run are listed
    already (`index_image`): what is left is the skipped ones, written only where their
    entries or thumbnails are missing or stale."""
    listed = [r.plan.record for r in rows if r.status in LISTED]
    return index_images(conn, dest, listed, namespace, choices, reporter)


def index_image(conn: Any, dest: Destination, record: ImageRecord, namespace: str,
                choices: IndexChoices, reporter: Reporter) -> IndexUpdate | None:
    """publish's call after annotating an image: its entry and a new thumbnail (a run
    killed later keeps it listed)."""
    return index_images(conn, dest, [record], namespace, choices, reporter,
                        fresh={record.id})


def index_images(conn: Any, dest: Destination, records: list[ImageRecord], namespace: str,
                 choices: IndexChoices, reporter: Reporter,
                 fresh: Iterable[int] = ()) -> IndexUpdate | None:
    """`update_index` when the index is on, never failing the images: they are
    published whatever becomes of the index (a warning says what to run)."""
    if not choices.enabled or not records:
        return None
    try:
        return update_index(conn, dest, records, namespace, choices, reporter, fresh)
    except Exception as err:
        if is_connection_lost(err):
            raise
        log.debug("index of %s images", len(records), exc_info=err)
        reporter.warn(f"the index at {dest.url} was not updated ({describe(err)}); "
                      "the next publish or verify --dest ... --fix brings it up to date")
        return None


def page_of(conn: Any, refs: list[ObjectRef], namespace: str, bases: tuple[str, ...],
            choices: IndexChoices) -> tuple[str, list[ObjectRef]]:
    """(the index page of the images under ``refs``, entries inline; the refs not
    found), for `locate --style html`: every image with a copy, whatever destination;
    thumbnails of copies under ``bases`` (known destinations: their index keeps them)."""
    from ..omero_io.targets import image_ids, load_records

    runner = QueryRunner(conn)
    ids, missing = image_ids(runner, refs)
    records = load_records(runner, ids)
    copies = {i: c for i, found in read_values(runner, [r.id for r in records],
                                               namespace).items()
              for c in found[:1] if c.zarr_path}
    facts = index_facts(conn, sorted(copies), list(choices.namespaces), runner)
    entries = []
    for record in records:
        copy = copies.get(record.id)
        if copy is None:
            continue
        base = next((b.rstrip("/") for b in bases if is_under(copy.zarr_path, b)), None)
        thumb = f"{base}/{thumbnail_path(record.id)}" if base else ""
        entries.append(make_entry(record, copy, facts.get(record.id, ImageFacts()), thumb,
                                  choices))
    return render_page(entries=entries), missing
