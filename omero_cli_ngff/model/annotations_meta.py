"""What OMERO knows of an image beyond its pixels, as plain records: its description,
acquisition date, annotations of every kind the OME model has a place for, and ROIs.

Annotation kinds and value fields are OMERO's (omero-model ``annotations.ome.xml``):
Map (``mapValue``: ordered name/value pairs), Tag and Comment (``textValue``), Boolean
(``boolValue``), Long (``longValue``), Double (``doubleValue``), Term (``termValue``);
every one has ``ns`` (namespace), ``name`` and ``description``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from .rois import RoiRecord

KINDS = ("MapAnnotation", "TagAnnotation", "CommentAnnotation", "BooleanAnnotation",
         "LongAnnotation", "DoubleAnnotation", "TermAnnotation")


@dataclass(frozen=True)
class AnnotationRecord:
    """One annotation. ``value``: the value of every kind but Map; ``pairs``: a Map's."""

    id: int
    kind: str
    namespace: str | None = None
    name: str | None = None
    description: str | None = None
    value: str | bool | int | float | None = None
    pairs: tuple[tuple[str, str], ...] = ()


@dataclass
class ImageMetadata:
    """An image's description, acquisition date, annotations and ROIs."""

    image_id: int
    description: str | None = None
    acquisition_date: datetime | None = None
    annotations: list[AnnotationRecord] = field(default_factory=list)
    rois: list[RoiRecord] = field(default_factory=list)


@dataclass(frozen=True)
class MetadataChoices:
    """What a copy carries besides pixels: which shapes become labels (a key of
    ``rois.LABEL_CHOICES``), whether annotations go into the OME-XML, and the
    namespaces always left out (the tool's own)."""

    labels: str = "all"
    annotations: bool = True
    exclude_namespaces: tuple[str, ...] = ()

    def keeps(self, annotation: AnnotationRecord) -> bool:
        return self.annotations and annotation.namespace not in self.exclude_namespaces

    def filtered(self, metadata: ImageMetadata) -> ImageMetadata:
        """The metadata without the annotations left out (on the image and its ROIs)."""
        rois = [replace(r, annotations=tuple(a for a in r.annotations
                                             if isinstance(a, AnnotationRecord)
                                             and self.keeps(a)))
                for r in metadata.rois]
        return replace(metadata, rois=rois,
                       annotations=[a for a in metadata.annotations if self.keeps(a)])
