"""IRoi: the ROIs of an image with their shapes, as omero-blitz's ``RoiI`` answers.

Source: omero-blitz ``src/main/java/ome/services/blitz/impl/RoiI.java`` (read from the
joshmoore/omero-blitz fork; ome/omero-blitz itself is not in the reference index):
- ``findByImage``: ``select distinct r from Roi r join r.image i join fetch r.shapes
  shapes left outer join fetch r.folderLinks folderLinks left outer join fetch
  folderLinks.parent folder where i.id = :id order by r.id asc`` with the RoiOptions
  filter (userId -> owner, groupId -> group, offset/limit). ``join fetch r.shapes`` is an
  inner join: a ROI without shapes is not returned. The image is joined, not fetched.
- ``findByRoi``: ``select distinct r from Roi r join fetch r.shapes s where r.id in
  (:ids) order by r.id`` (no folder links).
- ``findByPlane``: as findByImage, plus ``(s.theZ is null or s.theZ = :z)`` and the same
  for t; the fetched shapes collection then holds only the matching shapes.
- the RoiResult carries the options as given, the ROIs, and ``byZ``/``byT``: every
  shape under its theZ/theT, or -1 when that is null (``RoiResultReturnMapper``).
Every call is written to the query log under its server-side HQL, so query counts
include it. The other IRoi operations (stats, measurements, tables, uploadMask) are not
implemented: they raise ApiUsageException naming themselves.
"""

from __future__ import annotations

from collections import defaultdict

import omero
import omero.api
from omero.rtypes import unwrap

from .. import roi_model
from .base import Service

FIND_BY_IMAGE = ("select distinct r from Roi r join r.image i join fetch r.shapes shapes "
                 "left outer join fetch r.folderLinks folderLinks left outer join fetch "
                 "folderLinks.parent folder where i.id = :id order by r.id asc")
FIND_BY_ROI = ("select distinct r from Roi r join fetch r.shapes s where r.id in (:ids) "
               "order by r.id")
FIND_BY_PLANE = ("select distinct r from Roi r join fetch r.shapes s left outer join fetch "
                 "r.folderLinks folderLinks left outer join fetch folderLinks.parent folder "
                 "join r.image i where i.id = :id and ( s.theZ is null or s.theZ = :z ) "
                 "and ( s.theT is null or s.theT = :t ) order by r.id asc")


class RoiService(Service):
    def findByImage(self, imageId, opts, current):
        self._log("IRoi.findByImage", FIND_BY_IMAGE, id=imageId)
        img = self.cat.images.get(imageId)
        rois = list(img.rois) if img is not None else []
        return self._result(rois, opts, current, {"shapes", "folderLinks"})

    def findByRoi(self, roiId, opts, current):
        self._log("IRoi.findByRoi", FIND_BY_ROI, ids=[roiId])
        roi = self.cat.rois.get(roiId)
        return self._result([roi] if roi is not None else [], opts, current, {"shapes"})

    def findByPlane(self, imageId, z, t, opts, current):
        self._log("IRoi.findByPlane", FIND_BY_PLANE, id=imageId, z=z, t=t)
        img = self.cat.images.get(imageId)

        def on_plane(shape):
            the_z, the_t = shape.fields.get("theZ"), shape.fields.get("theT")
            return the_z in (None, z) and the_t in (None, t)
        return self._result(list(img.rois) if img is not None else [], opts, current,
                            {"shapes", "folderLinks"}, on_plane)

    # -- helpers -------------------------------------------------------------------------
    def _result(self, rois, opts, current, fetch, keep_shape=None):
        caller = self.caller(current)
        rois = [r for r in rois if caller.can_read(r.owner, r.group)]
        rois = _filtered(rois, opts)
        b = self.builder(current, caller)
        objects = []
        for roi in rois:
            obj = roi_model.roi_object(b, roi, fetch)
            if keep_shape is not None:
                obj._shapesSeq = [s for s, rec in zip(obj._shapesSeq, roi.shapes)
                                  if keep_shape(rec)]
                if not obj._shapesSeq:
                    continue              # the inner join on shapes drops the ROI
            objects.append(obj)
        by_z, by_t = defaultdict(list), defaultdict(list)
        for obj in objects:
            for shape in obj._shapesSeq:
                by_z[_plane(shape.getTheZ())].append(shape)
                by_t[_plane(shape.getTheT())].append(shape)
        return omero.api.RoiResult(opts=opts, rois=objects, byZ=dict(by_z), byT=dict(by_t))

    def _log(self, kind, hql, **params):
        p = omero.sys.ParametersI()
        for name, value in params.items():
            if name == "ids":
                p.addIds(value)
            else:
                p.addLong(name, value)
        self.server.query_log.record(kind, hql, p, self.session.user.name)


def _filtered(rois, opts):
    """The RoiOptions filter of RoiI.filter(): owner, group, then the page, by ROI id."""
    rois = sorted(rois, key=lambda r: r.id)
    if opts is None:
        return rois
    user, group = unwrap(opts.userId), unwrap(opts.groupId)
    if user is not None:
        rois = [r for r in rois if r.owner == user]
    if group is not None:
        rois = [r for r in rois if r.group == group]
    offset, limit = unwrap(opts.offset) or 0, unwrap(opts.limit)
    return rois[offset:offset + limit] if limit is not None else rois[offset:]


def _plane(value) -> int:
    return -1 if value is None else value.getValue()
