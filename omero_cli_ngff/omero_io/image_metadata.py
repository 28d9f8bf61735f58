"""What OMERO knows of many images beyond pixels, read in batches as the images are
converted: descriptions, acquisition dates, annotations of every kind (on the image and
on its ROIs) and ROIs with their shapes.

``MetadataReader`` plans once (a few projections per 1,000 images), then reads the ROIs
of one size-bounded batch of images when the first image of it is asked for, and hands
each image's metadata out once, so that memory holds a batch or two, never a project
(rois.py says how batches are cut). Details and annotations are small: they are read
for every image at the start, one query of each per 1,000 images (and one query of ROI
annotations per batch of ROIs). Thread-safe: images converted in parallel share it.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timezone

from omero.rtypes import unwrap

from ..model.annotations_meta import KINDS, AnnotationRecord, ImageMetadata, MetadataChoices
from ..model.rois import RoiRecord
from . import queries, rois
from .query import QueryRunner

#: OMERO class -> the name of its value field (omero-model annotations.ome.xml)
_VALUE_FIELDS = {"TagAnnotation": "TextValue", "CommentAnnotation": "TextValue",
                 "BooleanAnnotation": "BoolValue", "LongAnnotation": "LongValue",
                 "DoubleAnnotation": "DoubleValue", "TermAnnotation": "TermValue"}


def annotation_record(obj: object) -> AnnotationRecord | None:
    """An omero.model annotation -> a record; None for kinds the OME model has no
    place for here (files, XML, timestamps, lists)."""
    kind = type(obj).__name__[:-1]
    if kind not in KINDS:
        return None
    value = pairs = None
    if kind == "MapAnnotation":
        pairs = tuple((nv.name or "", nv.value or "")
                      for nv in (obj.getMapValue() or []))  # type: ignore[attr-defined]
    else:
        value = unwrap(getattr(obj, "get" + _VALUE_FIELDS[kind])())
    return AnnotationRecord(
        id=int(unwrap(obj.getId())), kind=kind, namespace=unwrap(obj.getNs()),  # type: ignore[attr-defined]
        name=unwrap(obj.getName()), description=unwrap(obj.getDescription()),  # type: ignore[attr-defined]
        value=value, pairs=pairs or ())


def read_annotations(runner: QueryRunner, parent_type: str,
                     ids: list[int]) -> dict[int, list[AnnotationRecord]]:
    """Parent id -> its annotations in the order they were linked (batched)."""
    if not ids:
        return {}
    links = runner.objects(queries.ANNOTATIONS_OF[parent_type], ids)
    found: dict[int, dict[int, tuple[int, AnnotationRecord]]] = {}
    for link in links:
        record = annotation_record(link.getChild())
        if record is None:
            continue
        parent = int(unwrap(link.getParent().getId()))
        found.setdefault(parent, {}).setdefault(
            record.id, (int(unwrap(link.getId())), record))
    return {parent: [rec for _, rec in sorted(by_ann.values(), key=lambda p: p[0])]
            for parent, by_ann in found.items()}


def read_details(runner: QueryRunner,
                 ids: list[int]) -> dict[int, tuple[str | None, datetime | None]]:
    """Image id -> (description, acquisition date in UTC)."""
    out = {}
    for image_id, description, millis in runner.rows(queries.IMAGE_DETAILS, ids):
        date = (datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
                if millis is not None else None)
        out[int(image_id)] = (description, date)
    return out


class MetadataReader:
    """The metadata of the images to convert, read in batches (module docstring)."""

    def __init__(self, runner: QueryRunner, image_ids: list[int],
                 choices: MetadataChoices | None = None, budget: int = rois.BUDGET):
        self.runner = runner
        self.choices = choices or MetadataChoices()
        self._lock = threading.Lock()
        order = list(dict.fromkeys(image_ids))
        self._details = read_details(runner, order)
        self._annotations = (read_annotations(runner, "Image", order)
                             if self.choices.annotations else {})
        sizes = rois.estimated_sizes(runner, order)
        self._batch_of: dict[int, int] = {}
        self._batches = rois.plan_batches(order, sizes, budget)
        for k, batch in enumerate(self._batches):
            self._batch_of.update(dict.fromkeys(batch, k))
        self._rois: dict[int, list[RoiRecord]] = {}

    @property
    def with_rois(self) -> set[int]:
        """The images that have ROIs."""
        return set(self._batch_of)

    def get(self, image_id: int) -> ImageMetadata:
        """The image's metadata (annotations left out as the choices say). Each image
        is handed out once: its ROIs are dropped from memory then."""
        with self._lock:
            batch = self._batch_of.pop(image_id, None)
            if batch is not None and image_id not in self._rois:
                self._rois.update(self._read_batch(self._batches[batch]))
            found = self._rois.pop(image_id, [])
            description, date = self._details.get(image_id, (None, None))
            annotations = self._annotations.pop(image_id, [])
        metadata = ImageMetadata(image_id, description, date, annotations, found)
        return self.choices.filtered(metadata)

    def _read_batch(self, image_ids: list[int]) -> dict[int, list[RoiRecord]]:
        found = rois.fetch_rois(self.runner, image_ids)
        if self.choices.annotations:
            roi_ids = [r.id for rs in found.values() for r in rs]
            on_rois = read_annotations(self.runner, "Roi", roi_ids)
            found = {i: [_with_annotations(r, on_rois.get(r.id, [])) for r in rs]
                     for i, rs in found.items()}
        return found


def _with_annotations(roi: RoiRecord, annotations: list[AnnotationRecord]) -> RoiRecord:
    return replace(roi, annotations=tuple(annotations)) if annotations else roi
