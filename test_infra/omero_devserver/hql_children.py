"""Query patterns of BlitzGateway's container and plate calls (registered in hql.TABLE).

The HQL is omero-py's (``omero/gateway/__init__.py``):

- ``BlitzObjectWrapper._listChildren`` (``DatasetWrapper/ProjectWrapper/ScreenWrapper
  .listChildren()``): the links to the children, each child with its annotation links
  and their annotations fetched (``left outer join fetch ch.annotationLinks``), ordered
  by the child's name; with ``ns`` only the children with an annotation in it, and
  only those links fetched (a fetch join filtered by its own alias);
- ``_PlateWrapper._listChildren`` (``PlateWrapper.listChildren()``): the wells with
  their plate, well samples and images fetched;
- ``_PlateWrapper._loadPlateAcquisitions`` (``listPlateAcquisitions()``,
  ``countPlateAcquisitions()``): the acquisitions with their plate.
"""

from __future__ import annotations

import omero.model

from .hql import Query, Row, pattern

M = omero.model
LINKS = {   # link class -> (parent type, child type, parent's children, link ids)
    "DatasetImageLink": ("Dataset", "Image", "images", "image_link_ids"),
    "ProjectDatasetLink": ("Project", "Dataset", "datasets", "dataset_link_ids"),
    "ScreenPlateLink": ("Screen", "Plate", "plates", "plate_link_ids"),
}


def _annotation_links(q: Query, kind: str, child, ns):
    """The child's visible annotation links (only those in ``ns`` if given)."""
    out = []
    for link in q.store.links_of(kind, [child.id]):
        ann = q.store.annotations.get(link.child_id)
        if (ann is None or (ns is not None and ann.ns != ns)
                or not q.caller.can_read(link.owner, link.group)
                or not q.caller.can_read(ann.owner, ann.group)):
            continue
        out.append(q.build.link(link, {"child"}))
    return out


def _child_with_annotations(q: Query, kind: str, child, ns):
    obj = getattr(q.build, kind.lower())(child)
    links = _annotation_links(q, kind, child, ns)
    obj._annotationLinksLoaded = True
    obj._annotationLinksSeq = links
    return obj, links


@pattern("gateway.listChildren",
         r"select c from (?P<link>DatasetImageLink|ProjectDatasetLink|ScreenPlateLink) as c"
         r" join fetch c\.child as ch left outer join fetch ch\.annotationLinks as ial"
         r" left outer join fetch ial\.child as a where c\.parent\.id=:dsid"
         r"(?P<ns> and a\.ns=:ns)? order by c\.child\.name")
def children_with_annotations(q: Query):
    parent_type, child_type, children, link_ids = LINKS[q.match["link"]]
    parent = q.get(parent_type, int(q.param("dsid")))
    if parent is None:
        return []
    ns = q.param("ns") if q.match["ns"] else None
    rows = []
    for child in sorted(getattr(parent, children), key=lambda c: (c.name, c.id)):
        if not q.visible(child):
            continue
        obj, links = _child_with_annotations(q, child_type, child, ns)
        if ns is not None and not links:
            continue
        link = q.build.container_link(
            getattr(M, q.match["link"] + "I"), getattr(parent, link_ids)[child.id],
            getattr(M, parent_type + "I"), parent, getattr(M, child_type + "I"), child)
        link.setChild(obj)
        rows.append(Row(link, child.owner, child.group))
    return rows


@pattern("gateway.Plate.listChildren",
         r"select well from Well as well join fetch well\.details\.creationEvent"
         r" join fetch well\.details\.owner join fetch well\.details\.group"
         r" left outer join fetch well\.plate as pt"
         r" left outer join fetch well\.wellSamples as ws"
         r" left outer join fetch ws\.image as img where well\.plate\.id = :oid")
def wells_of_plate(q: Query):
    plate = q.get("Plate", int(q.param("oid")))
    if plate is None:
        return []
    fetch = {"owner", "group", "plate", "wellSamples", "image"}
    rows = []
    for w in plate.wells:
        if not q.visible(w):
            continue
        obj = q.build.well(w, fetch)
        obj._wellSamplesSeq = [ws for ws, spec in zip(obj._wellSamplesSeq, w.samples)
                               if q.visible(spec) and q.visible(spec.image)]
        rows.append(Row(obj, w.owner, w.group))
    return rows


@pattern("gateway.Plate.listPlateAcquisitions",
         r"select pa from PlateAcquisition as pa join fetch pa\.plate as p where p\.id=:pid")
def acquisitions_of_plate(q: Query):
    plate = q.get("Plate", int(q.param("pid")))
    if plate is None:
        return []
    return [Row(q.build.acquisition(a, {"plate"}), a.owner, a.group)
            for a in plate.acquisitions if q.visible(a)]
