"""IUpdate: save MapAnnotations and annotation links; delete them."""

from __future__ import annotations


from ..writes import Writer
from .base import Service


class UpdateService(Service):
    def _save(self, obj, current):
        self.refuse_if_read_only()
        caller = self.caller(current)
        kind, rec = Writer(self.server, caller).save(obj)
        b = self.builder(current, caller)
        return b.annotation(rec) if kind == "annotation" else b.link(rec, {"child"})

    def saveObject(self, obj, current):
        self._save(obj, current)

    def saveAndReturnObject(self, obj, current):
        return self._save(obj, current)

    def saveArray(self, objs, current):
        for obj in objs:
            self._save(obj, current)

    def saveCollection(self, objs, current):
        self.saveArray(objs, current)

    def saveAndReturnArray(self, objs, current):
        return [self._save(obj, current) for obj in objs]

    def saveAndReturnIds(self, objs, current):
        return [self._save(obj, current).getId().getValue() for obj in objs]

    def deleteObject(self, obj, current):
        self.refuse_if_read_only()
        name = type(obj).__name__
        kind = name[:-1] if name.endswith("I") else name
        if kind == "MapAnnotation":
            kind = "Annotation"
        Writer(self.server, self.caller(current)).delete(kind, [obj.getId().getValue()])

    def indexObject(self, obj, current):
        pass
