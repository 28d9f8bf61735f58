"""IContainer: images with their pixels (ImageWrapper's fallback), container trees."""

from __future__ import annotations

import omero

from .base import Service


def _kind(root_type: str) -> str:
    name = root_type.split(".")[-1]
    return name[:-1] if name.endswith("I") and name != "I" else name


class ContainerService(Service):
    def getImages(self, root_type, ids, options, current):
        caller = self.caller(current)
        b = self.builder(current, caller)
        kind = _kind(root_type)
        images = {}
        for oid in ids:
            if kind == "Image":
                found = [self.cat.images.get(oid)]
            elif kind == "Dataset":
                d = self.cat.datasets.get(oid)
                found = d.images if d and caller.can_read(d.owner, d.group) else []
            elif kind == "Project":
                p = self.cat.projects.get(oid)
                found = ([i for d in p.datasets for i in d.images]
                         if p and caller.can_read(p.owner, p.group) else [])
            else:
                raise omero.ApiUsageException(
                    None, None, "omero devserver: getImages(%s) is not supported" % kind)
            for img in found:
                if img is not None and caller.can_read(img.owner, img.group):
                    images[img.id] = img
        return [b.image(images[i], {"pixels", "pixelsType"}) for i in sorted(images)]

    def loadContainerHierarchy(self, root_type, ids, options, current):
        caller = self.caller(current)
        b = self.builder(current, caller)
        kind = _kind(root_type)
        table = {"Project": self.cat.projects, "Dataset": self.cat.datasets,
                 "Screen": self.cat.screens}.get(kind)
        if table is None:
            raise omero.ApiUsageException(
                None, None, "omero devserver: loadContainerHierarchy(%s) is not "
                "supported" % kind)
        chosen = ids if ids else sorted(table)
        out = []
        for oid in chosen:
            e = table.get(oid)
            if e is None or not caller.can_read(e.owner, e.group):
                continue
            out.append(self._tree(b, caller, kind, e))
        return out

    def _tree(self, b, caller, kind, e):
        M = omero.model
        if kind == "Project":
            obj = b.project(e, {"owner"})
            obj._datasetLinksLoaded = True
            obj._datasetLinksSeq = []
            for d in e.datasets:
                if caller.can_read(d.owner, d.group):
                    link = b.container_link(M.ProjectDatasetLinkI, e.dataset_link_ids[d.id],
                                            M.ProjectI, e, M.DatasetI, d)
                    link.setParent(M.ProjectI(e.id, False))
                    link.setChild(self._tree(b, caller, "Dataset", d))
                    obj._datasetLinksSeq.append(link)
            return obj
        if kind == "Dataset":
            obj = b.dataset(e, {"owner"})
            obj._imageLinksLoaded = True
            obj._imageLinksSeq = []
            for img in e.images:
                if caller.can_read(img.owner, img.group):
                    link = b.container_link(M.DatasetImageLinkI, e.image_link_ids[img.id],
                                            M.DatasetI, e, M.ImageI, img)
                    link.setChild(b.image(img, {"owner"}))
                    obj._imageLinksSeq.append(link)
            return obj
        obj = b.screen(e, {"owner"})
        obj._plateLinksLoaded = True
        obj._plateLinksSeq = []
        for p in e.plates:
            if caller.can_read(p.owner, p.group):
                link = b.container_link(M.ScreenPlateLinkI, e.plate_link_ids[p.id],
                                        M.ScreenI, e, M.PlateI, p)
                link.setChild(b.plate(p, {"owner"}))
                obj._plateLinksSeq.append(link)
        return obj
