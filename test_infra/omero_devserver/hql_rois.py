"""Query patterns for ROIs and shapes, registered into the table of ``hql.py``.

Each pattern is a form that OMERO's own code sends (source named at each):
- ``gateway.getROICount``: omero-py gateway ``ImageWrapper.getROICount``;
- ``gateway.getObjects.Roi``: omero-py ``BlitzGateway.buildQuery`` with
  ``_RoiWrapper._getQueryString`` (``getObject('Roi', id)`` as omero-cli-transfer's
  ``generate_xml.populate_image`` sends it; ``opts={'image': id, 'load_shapes': True}``
  as OMERO.web's JSON API ``api_query.query_objects`` sends it);
- ``gateway.countObjects.Roi``: ``BlitzGateway.buildCountQuery`` of the same
  (OMERO.web's API counts its pages with it);
- ``ROIS_OF_IMAGES`` (batched): the HQL of omero-blitz ``RoiI.findByImage`` with
  ``i.id in (:ids)`` for a list of images; the optional ``left outer join fetch
  shapes.transform`` is an addition of ours (no OMERO code sends it) for clients that
  need the transforms, which come back unloaded otherwise;
- ``ROI_COUNTS`` (batched): OMERO.web ``api_query.get_child_counts`` (``select
  chl.parent.id, count(chl.id) from X chl where chl.parent.id in (:ids) group by
  chl.parent.id``), written for Roi and its image;
- ``MASK_SIZES`` (batched, the plugin's): a projection of the geometry of Mask shapes,
  the forms of omero-py ``ImageWrapper.getChannelLabels`` (projection, ``join``,
  ``order by``) over a list of images. ``from Mask`` names the concrete class: Mask's
  ``width``/``height`` are its own fields in omero-model ``roi.ome.xml`` (Shape has
  none), and HQL resolves a subclass entity's own properties.
"""

from __future__ import annotations

import re
from typing import Callable, List

import omero
from omero.rtypes import rdouble, rlong

from . import roi_model
from .hql import TABLE, Query, Row, pattern

ROI_BASE = (r"select obj from Roi obj join fetch obj\.details\.owner as owner"
            r" left outer join fetch obj\.details\.externalInfo"
            r" join fetch obj\.details\.creationEvent")
LOAD_SHAPES = (r" left outer join fetch obj\.shapes as shapes"
               r" left outer join fetch shapes\.details\.externalInfo")


def ahead(name: str, regex: str):
    """Register before hql's generic BlitzGateway pattern, which matches any type after
    ``select obj from`` and refuses the ones it does not know (Roi among them)."""
    def deco(fn):
        TABLE.insert(0, (name, re.compile(regex, re.IGNORECASE), fn))
        return fn
    return deco


def _visible_rois(q: Query, rois) -> list:
    return sorted((r for r in rois if q.visible(r)), key=lambda r: r.id)


def _count_row(n: int) -> List[Row]:
    return [Row([rlong(n)])]


@pattern("gateway.getROICount",
         r"select count\(\*\) from Roi as roi where roi\.image\.id = :imageId"
         r"(?P<mine> and roi\.details\.owner\.id = :ownerId)?")
def roi_count(q: Query):
    img = q.cat.images.get(int(q.param("imageId")))
    rois = _visible_rois(q, img.rois if img is not None else [])
    if q.match["mine"]:
        owner = int(q.param("ownerId"))
        rois = [r for r in rois if r.owner == owner]
    return _count_row(len(rois))


def _roi_clauses(q: Query, where: str) -> List[Callable]:
    """The where-clauses BlitzGateway.buildQuery writes for Roi -> predicates."""
    preds = []
    for clause in filter(None, (c.strip() for c in re.split(r" and ", where or ""))):
        m = re.fullmatch(r"obj\.id in \(:(\w+)\)", clause)
        if m:
            ids = set(q.ids(m[1]))
            preds.append(lambda r, ids=ids: r.id in ids)
            continue
        m = re.fullmatch(r"obj\.image\.id = :(\w+)", clause)
        if m:
            image_id = int(q.param(m[1]))
            preds.append(lambda r, i=image_id: r.image_id == i)
            continue
        m = re.fullmatch(r"owner\.id = \(?:(\w+)\)?", clause)
        if m:
            owner = int(q.param(m[1]))
            preds.append(lambda r, o=owner: r.owner == o)
            continue
        raise omero.QueryException(None, None, "omero devserver: unknown clause %r in "
                                   "query: %s" % (clause, q.text))
    return preds


def _matching_rois(q: Query) -> list:
    preds = _roi_clauses(q, q.match["where"])
    return [r for r in _visible_rois(q, q.cat.rois.values()) if all(p(r) for p in preds)]


@ahead("gateway.getObjects.Roi",
       ROI_BASE + r"(?P<shapes>" + LOAD_SHAPES + r")?(?: where (?P<where>.*?))?"
       r"(?: order by obj\.id)?")
def gateway_rois(q: Query):
    fetch = {"owner", "shapes"} if q.match["shapes"] else {"owner"}
    return [Row(roi_model.roi_object(q.build, r, fetch), r.owner, r.group)
            for r in _matching_rois(q)]


@pattern("gateway.countObjects.Roi",
         r"select count\(distinct obj\) from Roi obj join obj\.details\.owner as owner"
         r" left outer join obj\.details\.externalInfo join obj\.details\.creationEvent"
         r"(?: left outer join obj\.shapes as shapes"
         r" left outer join shapes\.details\.externalInfo)?(?: where (?P<where>.*?))?")
def gateway_roi_count(q: Query):
    return _count_row(len(_matching_rois(q)))


@pattern("ROIS_OF_IMAGES",
         r"select distinct r from Roi r join r\.image i join fetch r\.shapes shapes"
         r"(?P<transform> left outer join fetch shapes\.transform)?"
         r" left outer join fetch r\.folderLinks folderLinks"
         r" left outer join fetch folderLinks\.parent folder"
         r" where i\.id in \(:ids\) order by r\.id(?: asc)?")
def rois_of_images(q: Query):
    fetch = {"shapes", "folderLinks"} | ({"transform"} if q.match["transform"] else set())
    images = (q.cat.images.get(i) for i in set(q.ids()))
    rois = _visible_rois(q, (r for img in images if img is not None for r in img.rois))
    return [Row(roi_model.roi_object(q.build, r, fetch), r.owner, r.group)
            for r in rois if r.shapes]


@pattern("ROI_COUNTS",
         r"select roi\.image\.id, count\(roi\.id\) from Roi roi"
         r" where roi\.image\.id in \(:ids\) group by roi\.image\.id")
def roi_counts(q: Query):
    rows = []
    for image_id in sorted(set(q.ids())):
        img = q.cat.images.get(image_id)
        n = len(_visible_rois(q, img.rois)) if img is not None else 0
        if n:
            rows.append(Row([rlong(image_id), rlong(n)]))
    return rows


@pattern("MASK_SIZES",
         r"select r\.image\.id, m\.width, m\.height from Mask m join m\.roi r"
         r" where r\.image\.id in \(:ids\) order by m\.id")
def mask_sizes(q: Query):
    images = (q.cat.images.get(i) for i in set(q.ids()))
    rows = []
    for roi in _visible_rois(q, (r for img in images if img is not None for r in img.rois)):
        for shape in roi.shapes:
            if shape.kind == "Mask":
                rows.append((shape.id, Row([rlong(roi.image_id),
                                            rdouble(shape.fields["width"]),
                                            rdouble(shape.fields["height"])],
                                           roi.owner, roi.group)))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]
