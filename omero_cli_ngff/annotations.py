"""Read and write the Key-Value-pair annotation that says where an image's NGFF copy is.

One MapAnnotation per image in the namespace; other namespaces are never touched.
Writes go to the image's own group (OMERO refuses writes under `omero.group=-1`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import omero
import omero.gateway  # noqa: F401  (loads the generated model classes)
from omero.model import ImageAnnotationLinkI, ImageI, MapAnnotationI, NamedValue
from omero.rtypes import rstring

from . import queries
from .defaults import DEFAULT_NAMESPACE  # noqa: F401  (re-exported)
from .errors import PermissionRefused
from .omero_query import QueryRunner

ZARR_PATH, NGFF_VERSION, CONVERSION_DATE = "zarr_path", "ngff_version", "zarr_conversion_date"
KEYS = (ZARR_PATH, NGFF_VERSION, CONVERSION_DATE)


@dataclass
class PublishedCopy:
    """What one annotation in the namespace says about one image."""

    image_id: int
    annotation_id: int
    link_id: int
    group_id: int
    owner_id: int
    can_edit: bool
    pairs: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        values = [v for k, v in self.pairs if k == key]
        return values[0] if values else None

    @property
    def zarr_path(self) -> str | None:
        return self.get(ZARR_PATH)

    @property
    def ngff_version(self) -> str | None:
        return self.get(NGFF_VERSION)

    @property
    def conversion_date(self) -> str | None:
        return self.get(CONVERSION_DATE)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def annotation_values(zarr_path: str, ngff_version: str, date: str | None = None) -> dict:
    return {ZARR_PATH: zarr_path, NGFF_VERSION: ngff_version,
            CONVERSION_DATE: date or now_iso()}


def read(conn, image_ids: list[int], namespace: str,
         runner: QueryRunner | None = None) -> dict[int, list[PublishedCopy]]:
    """Image id -> the annotations of the namespace linked to it (batched)."""
    runner = runner or QueryRunner(conn)
    out: dict[int, list[PublishedCopy]] = {}
    for link in runner.objects(queries.ANNOTATION_LINKS, image_ids, ns=namespace):
        ann = link.getChild()
        if not isinstance(ann, omero.model.MapAnnotation):
            continue
        perms = ann.getDetails().getPermissions()
        copy = PublishedCopy(
            image_id=link.getParent().getId().getValue(),
            annotation_id=ann.getId().getValue(),
            link_id=link.getId().getValue(),
            group_id=ann.getDetails().getGroup().getId().getValue(),
            owner_id=ann.getDetails().getOwner().getId().getValue(),
            can_edit=bool(perms.canEdit()) if perms is not None else False,
            pairs=[(nv.name, nv.value) for nv in (ann.getMapValue() or [])],
        )
        out.setdefault(copy.image_id, []).append(copy)
    return out


def _group_ctx(conn, group_id: int) -> dict:
    ctx = dict(conn.SERVICE_OPTS)
    ctx["omero.group"] = str(group_id)
    return ctx


def _merged_pairs(existing: list[PublishedCopy], values: dict) -> list[tuple[str, str]]:
    """Our keys first with the new values, then other keys an admin added, once each."""
    pairs = [(k, values[k]) for k in KEYS if k in values]
    seen = set(values)
    for copy in existing:
        for key, value in copy.pairs:
            if key not in seen:
                pairs.append((key, value))
                seen.add(key)
    return pairs


def write(conn, image_id: int, group_id: int, namespace: str, values: dict,
          existing: list[PublishedCopy]) -> tuple[int, list[PublishedCopy]]:
    """Make exactly one editable annotation of the namespace carry `values`.

    Updates the first editable annotation (or creates one), then deletes the other
    editable duplicates. Returns the annotation id and the duplicates left because the
    user may not edit them (for the caller to report).
    """
    editable = [c for c in existing if c.can_edit]
    foreign = [c for c in existing if not c.can_edit]
    pairs = [NamedValue(k, v) for k, v in _merged_pairs(editable, values)]
    ctx = _group_ctx(conn, group_id)
    update = conn.getUpdateService()
    try:
        if editable:
            keep = editable[0]
            ann = conn.getQueryService().get("MapAnnotation", keep.annotation_id, ctx)
            ann.setMapValue(pairs)
            ann_id = update.saveAndReturnObject(ann, ctx).getId().getValue()
            remove(conn, editable[1:])
        else:
            ann = MapAnnotationI()
            ann.setNs(rstring(namespace))
            ann.setMapValue(pairs)
            link = ImageAnnotationLinkI()
            link.setParent(ImageI(image_id, False))
            link.setChild(ann)
            saved = update.saveAndReturnObject(link, ctx)
            ann_id = saved.getChild().getId().getValue()
    except omero.ReadOnlyGroupSecurityViolation as err:
        raise PermissionRefused(
            f"Image:{image_id}: the server is read-only ({_first_line(err)})") from None
    except omero.SecurityViolation as err:
        raise PermissionRefused(
            f"Image:{image_id}: not allowed to annotate ({_first_line(err)})") from None
    return ann_id, foreign


def remove(conn, copies: list[PublishedCopy]) -> None:
    """Delete annotations (and so their links) with the server's own Delete2 request."""
    by_group: dict[int, list[int]] = {}
    for copy in copies:
        by_group.setdefault(copy.group_id, []).append(copy.annotation_id)
    for group_id, ids in by_group.items():
        saved = conn.SERVICE_OPTS.getOmeroGroup()
        conn.SERVICE_OPTS.setOmeroGroup(group_id)
        try:
            conn.deleteObjects("Annotation", ids, wait=True)
        finally:
            conn.SERVICE_OPTS.setOmeroGroup(saved)


def _first_line(err) -> str:
    text = getattr(err, "message", None) or str(err)
    return text.strip().splitlines()[0] if text.strip() else type(err).__name__
