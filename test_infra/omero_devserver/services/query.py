"""IQuery: the query table (hql.py), and get/find by class and id."""

from __future__ import annotations

import omero

from .. import hql, hql_annotations, hql_children, hql_rois  # noqa: F401 (register patterns)
from .. import hql_plugin_extra, hql_rendering, hql_urls  # noqa: F401 (patterns)
from .. import roi_model
from ..annotation_specs import CLASS_NAMES, is_a
from .base import Service

# class names as clients send them ("ImageI", "omero.model.Image", "Image") -> record
_BUILDERS = {
    "Image": ("images", "image"), "Dataset": ("datasets", "dataset"),
    "Project": ("projects", "project"), "Screen": ("screens", "screen"),
    "Plate": ("plates", "plate"), "Well": ("wells", "well"),
    "WellSample": ("well_samples", "well_sample"),
    "PlateAcquisition": ("acquisitions", "acquisition"),
    "Fileset": ("filesets", "fileset"),
}


def class_name(klass: str) -> str:
    name = klass.split(".")[-1].split("::")[-1]
    return name[:-1] if name.endswith("I") and name[:-1] in _KNOWN else name


_KNOWN = set(_BUILDERS) | {"Pixels", "Experimenter", "ExperimenterGroup",
                           "Roi"} | set(CLASS_NAMES)


class QueryService(Service):
    def _run(self, kind, query, params, current):
        caller = self.caller(current)
        self.server.query_log.record(kind, query, params, self.session.user.name)
        return hql.run(kind, query, params, caller, self.builder(current, caller),
                       self.cat, self.store)

    def findAllByQuery(self, query, params, current):
        return self._run("findAllByQuery", query, params, current)

    def findByQuery(self, query, params, current):
        rows = self._run("findByQuery", query, params, current)
        if len(rows) > 1:
            raise omero.ApiUsageException(
                None, None, "query returned %d objects, findByQuery expects one: %s"
                % (len(rows), query))
        return rows[0] if rows else None

    def projection(self, query, params, current):
        return self._run("projection", query, params, current)

    def find(self, klass, oid, current):
        caller = self.caller(current)
        b = self.builder(current, caller)
        name = class_name(klass)
        if name in _BUILDERS:
            table, method = _BUILDERS[name]
            entity = getattr(self.cat, table).get(oid)
            if entity is None or not caller.can_read(entity.owner, entity.group):
                return None
            return getattr(b, method)(entity)
        if name == "Pixels":
            img = self.cat.pixels.get(oid)
            if img is None or not caller.can_read(img.owner, img.group):
                return None
            return b.pixels(img, {"pixelsType"})
        if name == "Experimenter":
            return b.experimenter(oid) if oid in self.cat.users else None
        if name == "ExperimenterGroup":
            return b.experimenter_group(oid) if oid in self.cat.groups else None
        if name in CLASS_NAMES:            # polymorphic, as HQL: TextAnnotation finds tags
            ann = self.store.annotations.get(oid)
            if (ann is None or not is_a(ann.kind, name)
                    or not caller.can_read(ann.owner, ann.group)):
                return None
            return b.annotation(ann)
        if name == "Roi":                  # shapes not loaded: IQuery.get fetches nothing
            roi = self.cat.rois.get(oid)
            if roi is None or not caller.can_read(roi.owner, roi.group):
                return None
            return roi_model.roi_object(b, roi)
        raise omero.ApiUsageException(
            None, None, "omero devserver: IQuery.get/find of %s is not supported" % klass)

    def get(self, klass, oid, current):
        obj = self.find(klass, oid, current)
        if obj is None:
            raise omero.ValidationException(
                None, None, "No row with the given identifier exists: [%s#%s]"
                % (class_name(klass), oid))
        return obj
