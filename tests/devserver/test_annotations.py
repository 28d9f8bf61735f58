"""Writes on the dev server: MapAnnotations, links, updates, deletes, permissions,
persistence across a restart (the read-only mode: test_read_only.py)."""

import omero
import pytest
from omero.gateway import MapAnnotationWrapper
from omero.rtypes import rstring, unwrap

pytestmark = [pytest.mark.devserver]

NS = "test.devserver/annotations"


# The query ImageWrapper.listAnnotations() sends (links with their annotations loaded).
LIST_ANNOTATIONS = (
    "select l from ImageAnnotationLink as l join fetch l.details.owner"
    " join fetch l.details.creationEvent join fetch l.child as a"
    " join fetch a.details.owner left outer join fetch a.file"
    " join fetch a.details.creationEvent where l.parent.id=%d")


def ann_links(conn, image_ids, ns=NS):
    """Link objects of the namespace (the plugin's own ANNOTATION_LINKS is a projection,
    checked in tests/devserver/test_queries.py)."""
    qs = conn.getQueryService()
    return [link for i in sorted(image_ids)
            for link in qs.findAllByQuery(LIST_ANNOTATIONS % i, None, conn.SERVICE_OPTS)
            if unwrap(link.getChild().getNs()) == ns]


def annotate(conn, image_id, values, ns=NS):
    """The way BlitzGateway users do it: save in the image's group, then link."""
    img = conn.getObject("Image", image_id)
    ann = MapAnnotationWrapper(conn)
    ann.setNs(ns)
    ann.setValue(values)
    return img.linkAnnotation(ann)     # saves the annotation in the image's group


def test_save_link_update_delete(omero_devserver):
    conn = omero_devserver.connect("alice")
    try:
        ann = annotate(conn, 3, [["zarr_path", "https://x/3/"], ["ngff_version", "0.4"]])
        links = ann_links(conn, [3])
        assert len(links) == 1
        stored = links[0].getChild()
        assert stored.getId().getValue() == ann.getId()
        assert [(nv.name, nv.value) for nv in stored.getMapValue()] == \
            [("zarr_path", "https://x/3/"), ("ngff_version", "0.4")]
        assert stored.getDetails().getGroup().getId().getValue() == 3
        assert [a.getValue() for a in conn.getObject("Image", 3).listAnnotations(ns=NS)] \
            == [[("zarr_path", "https://x/3/"), ("ngff_version", "0.4")]]

        # update the existing annotation in place, with its version
        stored.setMapValue([omero.model.NamedValue("zarr_path", "https://y/3/")])
        ctx = {"omero.group": "3"}
        updated = conn.getUpdateService().saveAndReturnObject(stored, ctx)
        assert updated.getVersion().getValue() == stored.getVersion().getValue() + 1
        assert [(nv.name, nv.value) for nv in ann_links(conn, [3])[0].getChild()
                .getMapValue()] == [("zarr_path", "https://y/3/")]
        # a stale version is refused
        with pytest.raises(omero.OptimisticLockException):
            conn.getUpdateService().saveAndReturnObject(stored, ctx)

        # delete through omero.cmd.Delete2, as BlitzGateway does
        conn.deleteObjects("Annotation", [ann.getId()], wait=True)
        assert ann_links(conn, [3]) == []
        assert conn.getQueryService().find("MapAnnotation", ann.getId(),
                                           conn.SERVICE_OPTS) is None
    finally:
        conn.close()


def test_link_existing_annotation_and_delete_link(omero_devserver):
    conn = omero_devserver.connect("alice")
    try:
        ctx = {"omero.group": "3"}
        ma = omero.model.MapAnnotationI()
        ma.setNs(rstring(NS))
        ma.setMapValue([omero.model.NamedValue("k", "v")])
        ma = conn.getUpdateService().saveAndReturnObject(ma, ctx)
        links = []
        for image_id in (4, 5):
            link = omero.model.ImageAnnotationLinkI()
            link.setParent(omero.model.ImageI(image_id, False))
            link.setChild(omero.model.MapAnnotationI(ma.getId().getValue(), False))
            links.append(link)
        conn.getUpdateService().saveArray(links, ctx)
        found = ann_links(conn, [4, 5])
        assert sorted(link.getParent().getId().getValue() for link in found) == [4, 5]
        with pytest.raises(omero.ValidationException):      # the same link twice
            conn.getUpdateService().saveObject(links[0], ctx)
        conn.getUpdateService().deleteObject(found[0], ctx)
        assert len(ann_links(conn, [4, 5])) == 1
        conn.getUpdateService().deleteObject(ma, ctx)
        assert ann_links(conn, [4, 5]) == []
    finally:
        conn.close()


def test_write_in_all_groups_context_is_refused(omero_devserver):
    conn = omero_devserver.connect("alice")       # SERVICE_OPTS group -1
    try:
        ma = omero.model.MapAnnotationI()
        ma.setNs(rstring(NS))
        with pytest.raises(omero.SecurityViolation):
            conn.getUpdateService().saveObject(ma, conn.SERVICE_OPTS)
    finally:
        conn.close()


def test_link_to_image_of_another_group_is_refused(omero_devserver):
    root = omero_devserver.connect("root")
    try:
        ctx = {"omero.group": "4"}                # bob's group; image 1 is in group 3
        link = omero.model.ImageAnnotationLinkI()
        link.setParent(omero.model.ImageI(1, False))
        ma = omero.model.MapAnnotationI()
        ma.setNs(rstring(NS))
        link.setChild(ma)
        with pytest.raises(omero.SecurityViolation):
            root.getUpdateService().saveObject(link, ctx)
    finally:
        root.close()


ARRAY_NS = NS + "/array"          # the module's server is shared: a namespace of its own


def _new_link(image_id):
    link = omero.model.ImageAnnotationLinkI()
    link.setParent(omero.model.ImageI(image_id, False))
    ma = omero.model.MapAnnotationI()
    ma.setNs(rstring(ARRAY_NS))
    ma.setMapValue([omero.model.NamedValue("zarr_path", f"https://x/{image_id}/")])
    link.setChild(ma)
    return link


def test_save_and_return_array_is_one_transaction(omero_devserver):
    """IUpdate.saveAndReturnArray saves all or none (omero-server UpdateImpl: one
    doAction) and returns the saved links in order, with their annotations."""
    bob = omero_devserver.connect("bob")
    try:
        update, ctx = bob.getUpdateService(), {"omero.group": "4"}
        with pytest.raises(omero.SecurityViolation):      # image 1 is in group 3, not 4
            update.saveAndReturnArray([_new_link(30), _new_link(1)], ctx)
        assert ann_links(bob, [30], ARRAY_NS) == []        # the first was not kept
        saved = update.saveAndReturnArray([_new_link(30), _new_link(30)], ctx)
        assert [s.getParent().getId().getValue() for s in saved] == [30, 30]
        stored = ann_links(bob, [30], ARRAY_NS)
        assert [link.getChild().getId().getValue() for link in stored] == \
            [s.getChild().getId().getValue() for s in saved]
    finally:
        bob.close()


def test_permissions_read_annotate_private(omero_devserver):
    alice = omero_devserver.connect("alice")
    bob = omero_devserver.connect("bob")
    carol = omero_devserver.connect("carol")
    root = omero_devserver.connect("root")
    try:
        # private group: alice cannot see bob's image, root can
        assert alice.getObject("Image", 30) is None
        assert root.getObject("Image", 30) is not None
        assert bob.getObject("Image", 30).canAnnotate()
        # ... nor annotate it, even naming the group
        link = omero.model.ImageAnnotationLinkI()
        link.setParent(omero.model.ImageI(30, False))
        link.setChild(omero.model.MapAnnotationI())
        with pytest.raises(omero.SecurityViolation):
            alice.getUpdateService().saveObject(link, {"omero.group": "4"})
        # and bob cannot see or annotate alice's data
        assert bob.getObject("Image", 1) is None
        with pytest.raises(omero.SecurityViolation):
            bob.getUpdateService().saveObject(link, {"omero.group": "3"})
        # read-annotate group: carol reads and annotates alice's image, cannot edit it
        img = carol.getObject("Image", 6)
        assert img.getOwnerOmeName() == "alice"
        assert img.canAnnotate() and not img.canEdit() and not img.canDelete()
        ann = annotate(carol, 6, [["by", "carol"]])
        assert alice.getObject("Image", 6).canEdit()
        # alice reads carol's annotation but cannot change or delete it
        stored = ann_links(alice, [6])[0].getChild()
        assert stored.getDetails().getOwner().getOmeName().getValue() == "carol"
        assert not stored.getDetails().getPermissions().canEdit()
        stored.setMapValue([omero.model.NamedValue("by", "alice")])
        with pytest.raises(omero.SecurityViolation):
            alice.getUpdateService().saveObject(stored, {"omero.group": "3"})
        with pytest.raises(omero.SecurityViolation):
            alice.getUpdateService().deleteObject(stored, {"omero.group": "3"})
        # root, an admin, sees bob's private image but may not annotate it (OMERO's
        # "graph critical" rule: linking others' data in a private group), and may
        # delete carol's annotation
        img = root.getObject("Image", 30)
        assert img is not None and not img.canAnnotate() and img.canEdit()
        with pytest.raises(omero.SecurityViolation):
            annotate(root, 30, [["by", "root"]])
        assert ann_links(root, [30]) == []
        root.deleteObjects("Annotation", [ann.getId()], wait=True)
        assert ann_links(root, [6, 30]) == []
    finally:
        for c in (alice, bob, carol, root):
            c.close()


def test_annotations_survive_a_restart(start_omero_devserver):
    server = start_omero_devserver()
    conn = server.connect("alice")
    ann = annotate(conn, 2, [["zarr_path", "https://keep/2/"]])
    conn.close()
    server.restart()
    conn = server.connect("alice")
    try:
        links = ann_links(conn, [2])
        assert [link.getChild().getId().getValue() for link in links] == [ann.getId()]
        assert (server.state_dir / "state.json").exists()
        # and new ids continue after the old ones
        again = annotate(conn, 2, [["x", "y"]])
        assert again.getId() > ann.getId()
    finally:
        conn.close()
