"""IUpdate: save MapAnnotations and annotation links; delete them."""

from __future__ import annotations


from ..writes import Writer
from .base import Service


class UpdateService(Service):
    def _save(self, objs, current) -> list:
        """The saved objects as OMERO returns them; an array in one transaction."""
        self.refuse_if_read_only()
        caller = self.caller(current)
        saved = Writer(self.server, caller).save_all(objs)
        b = self.builder(current, caller)
        return [b.annotation(rec) if kind == "annotation" else b.link(rec, {"child"})
                for kind, rec in saved]

    def saveObject(self, obj, current):
        self._save([obj], current)

    def saveAndReturnObject(self, obj, current):
        return self._save([obj], current)[0]

    def saveArray(self, objs, current):
        self._save(objs, current)

    def saveCollection(self, objs, current):
        self.saveArray(objs, current)

    def saveAndReturnArray(self, objs, current):
        return self._save(objs, current)

    def saveAndReturnIds(self, objs, current):
        return [o.getId().getValue() for o in self._save(objs, current)]

    def deleteObject(self, obj, current):
        self.refuse_if_read_only()
        name = type(obj).__name__
        kind = name[:-1] if name.endswith("I") else name
        if kind == "MapAnnotation":
            kind = "Annotation"
        Writer(self.server, self.caller(current)).delete(kind, [obj.getId().getValue()])

    def indexObject(self, obj, current):
        pass
