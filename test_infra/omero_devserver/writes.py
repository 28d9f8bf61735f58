"""Writes: MapAnnotations and their links to objects, with OMERO's rules.

- nothing is written by a read-only server (ApiUsageException, see base.Service);
- new objects go into the group of the call context, which must not be -1
  (SecurityViolation), and a link's parent must be in that group;
- linking needs the annotate permission on the parent ("Group is rw----. Cannot link
  to object: ..."), changing or deleting an annotation the edit permission; an admin
  or group owner linking to others' data in a private group gets a
  ReadOnlyGroupSecurityViolation (OMERO's "graph critical" rule);
- updates carry the version they read: a stale one raises OptimisticLockException;
- any user may link an annotation to a group (ExperimenterGroup, a system type:
  omero-server ``OmeroInterceptor.evaluateLinkages`` permits links to system types),
  in the group of the call context;
- IUpdate's array calls (saveArray, saveAndReturnArray, saveAndReturnIds) save in one
  transaction: all or none (omero-server ``UpdateImpl.saveAndReturnArray``: one
  ``doAction``, ``internalMerge`` of each), persisted once.
"""

from __future__ import annotations

import copy
import time
from typing import Dict, List

import omero
import omero.model
from omero.rtypes import unwrap

from .annotation_specs import CLASS_NAMES, is_a
from .security import Caller
from .store import AnnotationRecord, LinkRecord

LINKABLE = ("Image", "Dataset", "Project", "Screen", "Plate", "Well",
            "PlateAcquisition")
JAVA_CLASS = {"Image": "ome.model.core.Image", "Dataset": "ome.model.containers.Dataset",
              "Project": "ome.model.containers.Project",
              "Screen": "ome.model.screen.Screen", "Plate": "ome.model.screen.Plate",
              "Well": "ome.model.screen.Well",
              "PlateAcquisition": "ome.model.screen.PlateAcquisition"}
SYSTEM_PARENTS = ("ExperimenterGroup",)


def _now():
    return int(time.time() * 1000)


def _short(obj) -> str:
    return type(obj).__name__[:-1] if type(obj).__name__.endswith("I") else \
        type(obj).__name__


class Writer:
    def __init__(self, server, caller: Caller):
        self.server = server
        self.caller = caller
        self.cat = server.catalogue
        self.store = server.store

    # -- entry points ------------------------------------------------------------
    def save(self, obj):
        """Save one graph (an annotation, or a link with its new annotation)."""
        with self.store.lock:
            result = self._save_one(obj)
            self.store.save()
            return result

    def save_all(self, objs) -> list:
        """Save graphs in one transaction: a failure leaves the store as it was."""
        if len(objs) == 1:                    # as it always was (no snapshot to take)
            return [self.save(objs[0])]
        store = self.store
        with store.lock:
            before = copy.deepcopy((store.annotations, store.links, store.next_id))
            try:
                results = [self._save_one(obj) for obj in objs]
            except BaseException:
                store.annotations, store.links, store.next_id = before
                raise
            store.save()
            return results

    def _save_one(self, obj):
        group = self.caller.write_group()
        if isinstance(obj, omero.model.MapAnnotation):
            return ("annotation", self._save_annotation(obj, group))
        if _short(obj).endswith("AnnotationLink"):
            return ("link", self._save_link(obj, group))
        raise omero.ApiUsageException(
            None, None, "omero devserver: saving %s is not supported (only "
            "MapAnnotations and annotation links)" % type(obj).__name__)

    def delete(self, kind: str, ids: List[int]) -> Dict[str, List[int]]:
        """Delete annotations (with their links) or annotation links."""
        deleted: Dict[str, List[int]] = {}
        with self.store.lock:
            if kind.endswith("AnnotationLink"):
                for lid in ids:
                    link = self._link(lid)
                    self._check_edit(link.owner, link.group, "%s:Id_%d" % (kind, lid))
                    del self.store.links[lid]
                    deleted.setdefault("ome.model.annotations.%s" % kind, []).append(lid)
            elif kind in CLASS_NAMES:       # polymorphic: Annotation names every kind
                for aid in ids:
                    ann = self.store.annotations.get(aid)
                    if (ann is None or not is_a(ann.kind, kind)
                            or not self.caller.can_read(ann.owner, ann.group)):
                        raise omero.ValidationException(
                            None, None, "No row with the given identifier exists: "
                            "[Annotation#%d]" % aid)
                    self._check_edit(ann.owner, ann.group,
                                     "ome.model.annotations.%s:Id_%d" % (ann.kind, aid))
                for aid in ids:
                    for link in [x for x in self.store.links.values()
                                 if x.child_id == aid]:
                        del self.store.links[link.id]
                        deleted.setdefault("ome.model.annotations.%sAnnotationLink"
                                           % link.parent_type, []).append(link.id)
                    kind_of = self.store.annotations.pop(aid).kind
                    deleted.setdefault("ome.model.annotations.%s" % kind_of, []).append(aid)
            else:
                raise omero.ApiUsageException(
                    None, None, "omero devserver: deleting %s is not supported" % kind)
            self.store.save()
        return {k: v for k, v in deleted.items() if v}

    # -- annotations ---------------------------------------------------------------
    def _save_annotation(self, obj, group) -> AnnotationRecord:
        values = ([(nv.name, nv.value) for nv in (obj.getMapValue() or [])]
                  if obj.isLoaded() else None)
        if obj.getId() is None:
            rec = AnnotationRecord(self.store.new_id(), "MapAnnotation",
                                   unwrap(obj.getNs()), values, self.caller.user.id,
                                   group, 0, _now(), unwrap(obj.getName()),
                                   unwrap(obj.getDescription()))
            self.store.annotations[rec.id] = rec
            return rec
        aid = obj.getId().getValue()
        rec = self.store.annotations.get(aid)
        if (rec is None or rec.kind != "MapAnnotation"       # only MapAnnotations here
                or not self.caller.can_read(rec.owner, rec.group)):
            raise omero.ValidationException(
                None, None, "No row with the given identifier exists: "
                "[MapAnnotation#%d]" % aid)
        if not obj.isLoaded():
            return rec                      # a reference to an existing annotation
        if rec.group != group:
            raise omero.SecurityViolation(
                None, None, "Cannot update ome.model.annotations.MapAnnotation:Id_%d "
                "of group %d in the context of group %d" % (aid, rec.group, group))
        self._check_edit(rec.owner, rec.group,
                         "ome.model.annotations.MapAnnotation:Id_%d" % aid)
        version = unwrap(obj.getVersion())
        if version is not None and version != rec.version:
            raise omero.OptimisticLockException(
                None, None, "ome.model.annotations.MapAnnotation:Id_%d was updated by "
                "another transaction: version %s sent, %d current"
                % (aid, version, rec.version))
        rec.ns = unwrap(obj.getNs())
        rec.values = values
        rec.name = unwrap(obj.getName())
        rec.description = unwrap(obj.getDescription())
        rec.version += 1
        return rec

    def _check_edit(self, owner, group, what):
        if not self.caller.can_edit(owner, group):
            raise omero.SecurityViolation(None, None, "Cannot update %s" % what)

    # -- links -------------------------------------------------------------------------
    def _link(self, lid) -> LinkRecord:
        link = self.store.links.get(lid)
        if link is None or not self.caller.can_read(link.owner, link.group):
            raise omero.ValidationException(
                None, None, "No row with the given identifier exists: [Link#%d]" % lid)
        return link

    def _graph_critical_error(self, what, group):
        """omero-server OmeroInterceptor.evaluateLinkages (ticket:1769): an admin or
        group owner linking to another user's data in a private group."""
        g = self.cat.groups[group]
        return omero.ReadOnlyGroupSecurityViolation(
            None, None, "Cannot link to %s\nCurrent user (%s) is an admin or the owner "
            "of\nthe private group (%s=%s). It is not allowed to\nlink to users' data."
            % (what, self.caller.user.name, g.name, g.permissions))

    def _save_link(self, obj, group) -> LinkRecord:
        parent_type = _short(obj)[:-len("AnnotationLink")]
        if parent_type in SYSTEM_PARENTS:
            return self._save_system_link(obj, parent_type, group)
        if parent_type not in LINKABLE:
            raise omero.ApiUsageException(
                None, None, "omero devserver: %s links are not supported" % _short(obj))
        if obj.getId() is not None:
            raise omero.ApiUsageException(
                None, None, "omero devserver: annotation links cannot be updated, "
                "delete and link again")
        parent_ref, child = obj.getParent(), obj.getChild()
        if parent_ref is None or child is None or parent_ref.getId() is None:
            raise omero.ValidationException(None, None, "link without parent or child")
        pid = parent_ref.getId().getValue()
        what = "%s:Id_%d" % (JAVA_CLASS[parent_type], pid)
        parent = self.cat.by_type(parent_type).get(pid)
        if parent is None or not self.caller.can_read(parent.owner, parent.group):
            # invisible from this group context, or not readable at all
            raise omero.SecurityViolation(None, None, "Cannot read %s" % what)
        if parent.group != group:
            raise omero.SecurityViolation(
                None, None, "Cannot link to %s in group %d from the context of group %d"
                % (what, parent.group, group))
        if self.caller.graph_critical(parent.owner, parent.group):
            raise self._graph_critical_error(what, parent.group)
        if not self.caller.can_annotate(parent.owner, parent.group):
            raise omero.SecurityViolation(
                None, None, "Group is %s. Cannot link to object: %s"
                % (self.caller.perms(parent.group), what))
        if not isinstance(child, omero.model.MapAnnotation):
            raise omero.ApiUsageException(
                None, None, "omero devserver: only MapAnnotations can be linked")
        ann = self._save_annotation(child, group)
        if ann.group != group:
            raise omero.SecurityViolation(
                None, None, "Cannot link annotation %d of group %d in group %d"
                % (ann.id, ann.group, group))
        for link in self.store.links.values():
            if (link.parent_type, link.parent_id, link.child_id) == \
                    (parent_type, pid, ann.id):
                raise omero.ValidationException(
                    None, None, "duplicate key value violates unique constraint: "
                    "%sAnnotationLink (parent=%d, child=%d)" % (parent_type, pid, ann.id))
        link = LinkRecord(self.store.new_id(), parent_type, pid, ann.id,
                          self.caller.user.id, group, _now())
        self.store.links[link.id] = link
        return link

    def _save_system_link(self, obj, parent_type, group) -> LinkRecord:
        """A link to a group: no permission to check (a system type), the annotation
        and the link in the context group."""
        parent_ref, child = obj.getParent(), obj.getChild()
        if parent_ref is None or child is None or parent_ref.getId() is None:
            raise omero.ValidationException(None, None, "link without parent or child")
        pid = parent_ref.getId().getValue()
        if obj.getId() is not None or pid not in self.cat.groups:
            raise omero.ValidationException(
                None, None, "No row with the given identifier exists: "
                "[ome.model.meta.ExperimenterGroup#%d]" % pid)
        if not isinstance(child, omero.model.MapAnnotation):
            raise omero.ApiUsageException(
                None, None, "omero devserver: only MapAnnotations can be linked")
        ann = self._save_annotation(child, group)
        link = LinkRecord(self.store.new_id(), parent_type, pid, ann.id,
                          self.caller.user.id, group, _now())
        self.store.links[link.id] = link
        return link
