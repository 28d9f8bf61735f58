"""Read and write the Key-Value-pair annotation that says where an image's NGFF copy is.

One MapAnnotation per image in the namespace; other namespaces are never touched.
Writes go to the image's own group (OMERO refuses writes under `omero.group=-1`).
Duplicates are deleted with OMERO's Delete2, which is asynchronous: the request is
waited for (DELETE_TIMEOUT seconds) and its answer checked (refusals.py).
"""

from __future__ import annotations

import omero
import omero.gateway  # noqa: F401  (loads the generated model classes)
from omero.model import ImageAnnotationLinkI, ImageI, MapAnnotationI, NamedValue
from omero.rtypes import rstring

from ..errors import NgffError
from ..model.annotation import KEYS, ZARR_PATH, PublishedCopy
from . import queries
from .permissions import Caller, GroupInfo
from .query import QueryRunner
from .refusals import DeleteFailed, delete_refusal, write_refusal

# How long a Delete2 request may take (a real server may need seconds under load), and
# how often omero-py's callback looks in meanwhile (it is also told when it is done).
DELETE_TIMEOUT = 120.0
DELETE_POLL_MS = 500


class DuplicatesLeft(NgffError):
    """The annotation was written, but duplicates of it could not be removed."""

    def __init__(self, annotation_id: int, foreign: list, cause: NgffError):
        super().__init__(f"annotated (annotation {annotation_id}), but {cause}",
                         cause.exit_code)
        self.annotation_id = annotation_id
        self.foreign = foreign

def read(conn, image_ids: list[int], namespace: str,
         runner: QueryRunner | None = None) -> dict[int, list[PublishedCopy]]:
    """Image id -> the map annotations of the namespace linked to it (batched).

    Per 1,000 images: a projection of the links, then the annotations themselves (their
    pairs in the order of the list, as omero-py's MapAnnotationWrapper reads them);
    `can_edit` follows OMERO's rule (permissions.py) from the annotation's owner and
    group, with one query for the permissions of the groups met.
    """
    runner = runner or QueryRunner(conn)
    links = runner.rows(queries.ANNOTATION_LINKS, image_ids, ns=namespace)
    if not links:
        return {}
    pairs = {ann.getId().getValue(): [(nv.name, nv.value) for nv in ann.getMapValue() or []]
             for ann in runner.objects(queries.MAP_ANNOTATIONS, {row[2] for row in links})}
    caller = Caller.of(conn)
    groups = GroupInfo(runner).load({row[4] for row in links})
    out: dict[int, list[PublishedCopy]] = {}
    for image_id, link_id, ann_id, owner_id, group_id in links:
        perms = groups.get(group_id, ("", ""))[1]
        copy = PublishedCopy(
            image_id=image_id, annotation_id=ann_id, link_id=link_id, group_id=group_id,
            owner_id=owner_id, can_edit=caller.can_edit(owner_id, group_id, perms),
            pairs=list(pairs.get(ann_id, [])))
        out.setdefault(image_id, []).append(copy)
    return out


def read_values(runner: QueryRunner, image_ids: list[int],
                namespace: str) -> dict[int, list[PublishedCopy]]:
    """Image id -> what its annotations of the namespace say, from one projection per
    1,000 images; ownership and rights are not read (for read-only commands)."""
    copies: dict[int, dict[int, PublishedCopy]] = {}
    for image_id, ann_id, key, value in runner.rows(queries.ANNOTATION_VALUES, image_ids,
                                                    ns=namespace):
        by_ann = copies.setdefault(image_id, {})
        copy = by_ann.get(ann_id)
        if copy is None:
            copy = by_ann[ann_id] = PublishedCopy(
                image_id=image_id, annotation_id=ann_id, link_id=-1, group_id=-1,
                owner_id=-1, can_edit=False)
        if key is not None:
            copy.pairs.append((key, "" if value is None else value))
    return {i: list(by_ann.values()) for i, by_ann in copies.items()}


def images_by_url(runner: QueryRunner, url: str, namespace: str) -> list[int]:
    """Ids of the images whose annotation of the namespace has exactly this zarr_path."""
    rows = runner.rows(queries.IMAGES_BY_URL, None, ns=namespace, key=ZARR_PATH, url=url)
    return list(dict.fromkeys(row[0] for row in rows))     # once, even group by group


def images_under_url(runner: QueryRunner, url: str, namespace: str) -> dict[int, list[str]]:
    """Image id -> the zarr_paths of its annotations of the namespace that start with
    ``url`` (as far as the user can read)."""
    out: dict[int, list[str]] = {}
    escaped = url.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    for image_id, value in runner.rows(queries.IMAGES_UNDER_URL, None, ns=namespace,
                                       key=ZARR_PATH, prefix=escaped + "%"):
        if value and str(value).startswith(url):
            out.setdefault(int(image_id), []).append(str(value))
    return out


def annotated_urls(runner: QueryRunner, namespace: str) -> list[str]:
    """Every zarr_path of the namespace the user can read, in any group."""
    rows = runner.rows(queries.ANNOTATED_URLS, None, ns=namespace, key=ZARR_PATH)
    return list(dict.fromkeys(row[0] for row in rows if row and row[0]))


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
    user may not edit them (for the caller to report). A refused write raises the
    refusal (refusals.py); duplicates that could not be deleted raise DuplicatesLeft,
    after the annotation was written.
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
        else:
            saved = update.saveAndReturnObject(_new_link(image_id, namespace, pairs), ctx)
            ann_id = saved.getChild().getId().getValue()
    except omero.ServerError as err:
        refusal = write_refusal(err, f"Image:{image_id}")
        if refusal is None:
            raise
        raise refusal from None
    if editable[1:]:
        try:
            remove(conn, editable[1:])
        except NgffError as err:
            raise DuplicatesLeft(ann_id, foreign, err) from None
    return ann_id, foreign


def _new_link(image_id: int, namespace: str, pairs: list) -> ImageAnnotationLinkI:
    """A new annotation of the namespace linked to the image (saved with the link)."""
    ann = MapAnnotationI()
    ann.setNs(rstring(namespace))
    ann.setMapValue(pairs)
    link = ImageAnnotationLinkI()
    link.setParent(ImageI(image_id, False))
    link.setChild(ann)
    return link


def write_new(conn, namespace: str, values_of: dict[int, dict], group_of: dict[int, int],
              what: str) -> set[int]:
    """The images (of ``values_of``, none with an annotation of the namespace) given a
    new annotation each, saved with their links in one IUpdate.saveAndReturnArray call
    when there are several, all in one group; an empty set otherwise (the caller writes
    them one by one). OMERO 5.6 saves the array in one transaction (omero-server
    UpdateImpl.saveAndReturnArray: one doAction, internalMerge of each), so a refusal
    saves none and raises it for ``what``."""
    groups = {group_of[i] for i in values_of}
    if len(values_of) < 2 or len(groups) != 1:
        return set()
    links = [_new_link(i, namespace, [NamedValue(k, v) for k, v in _merged_pairs([], values)])
             for i, values in values_of.items()]
    try:
        conn.getUpdateService().saveAndReturnArray(links, _group_ctx(conn, groups.pop()))
    except omero.ServerError as err:
        refusal = write_refusal(err, what)
        if refusal is None:
            raise
        raise refusal from None
    return set(values_of)


def remove(conn, copies: list[PublishedCopy], timeout: float | None = None) -> None:
    """Delete annotations (and so their links) with the server's own Delete2 request,
    one request per group, each waited for and checked: DeleteFailed, ServerReadOnly
    or PermissionRefused when not everything was deleted."""
    by_group: dict[int, list[int]] = {}
    for copy in copies:
        by_group.setdefault(copy.group_id, []).append(copy.annotation_id)
    for group_id, ids in by_group.items():
        _delete(conn, group_id, ids, DELETE_TIMEOUT if timeout is None else timeout)


def _delete(conn, group_id: int, ids: list[int], timeout: float) -> None:
    import omero.cmd  # after omero.gateway, which loads the model it needs

    what = "annotation " + ", ".join(str(i) for i in ids)
    loops = max(1, int(timeout * 1000 / DELETE_POLL_MS))
    request = omero.cmd.Delete2(targetObjects={"Annotation": ids})
    try:
        callback = conn.c.submit(request, loops, DELETE_POLL_MS, failonerror=True,
                                 ctx={"omero.group": str(group_id)}, failontimeout=True)
    except omero.CmdError as err:
        raise delete_refusal(err.err, what) from None
    except omero.LockTimeout:
        raise DeleteFailed(f"{what}: the delete did not finish within {timeout:.0f} s "
                           "(cancelled; run again)") from None
    try:
        response = callback.getResponse()
    finally:
        callback.close(True)
    deleted = set(getattr(response, "deletedObjects", {}).get(
        "ome.model.annotations.MapAnnotation", []))
    left = [i for i in ids if i not in deleted]
    if left:
        raise DeleteFailed(f"{what}: the server answered but did not delete "
                           + ", ".join(str(i) for i in left))
