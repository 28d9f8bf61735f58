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
from ..model.defaults import DEFAULT_NAMESPACE  # noqa: F401  (re-exported)
from ..errors import PermissionRefused, one_line
from .query import QueryRunner
from .permissions import Caller, GroupInfo

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
    """Image id -> the map annotations of the namespace linked to it (batched).

    Two projections per 1,000 images (the links, then the pairs of their annotations);
    `can_edit` follows OMERO's rule (permissions.py) from the annotation's owner and
    group, with one query for the permissions of the groups met.
    """
    runner = runner or QueryRunner(conn)
    links = runner.rows(queries.ANNOTATION_LINKS, image_ids, ns=namespace)
    if not links:
        return {}
    pairs: dict[int, list[tuple[int, str, str]]] = {}
    for ann_id, index, name, value in runner.rows(queries.MAP_VALUES,
                                                  {row[2] for row in links}):
        pairs.setdefault(ann_id, []).append((index if index is not None else 0,
                                             name, value))
    caller = Caller.of(conn)
    groups = GroupInfo(runner).load({row[4] for row in links})
    out: dict[int, list[PublishedCopy]] = {}
    for image_id, link_id, ann_id, owner_id, group_id in links:
        perms = groups.get(group_id, ("", ""))[1]
        copy = PublishedCopy(
            image_id=image_id, annotation_id=ann_id, link_id=link_id, group_id=group_id,
            owner_id=owner_id, can_edit=caller.can_edit(owner_id, group_id, perms),
            pairs=[(k, v) for _, k, v in sorted(pairs.get(ann_id, []),
                                                 key=lambda p: p[0])],
        )
        out.setdefault(image_id, []).append(copy)
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
            f"Image:{image_id}: the server is read-only ({one_line(err)})") from None
    except omero.SecurityViolation as err:
        raise PermissionRefused(
            f"Image:{image_id}: not allowed to annotate ({one_line(err)})") from None
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
