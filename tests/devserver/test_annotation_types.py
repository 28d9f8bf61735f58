"""Annotations of every type on the dev server, read with stock omero-py and with the
queries OMERO.web sends (catalogue: ``test_infra/catalogues/rois.yaml``).

Sources:
- ``ImageWrapper.listAnnotations()``: omero-py ``BlitzObjectWrapper._loadAnnotationLinks``
  then ``AnnotationWrapper._wrap`` (a wrapper class per OMERO annotation class);
- ``conn.getAnnotationLinks(type, parent_ids=, ann_ids=, ns=)``: omero-py gateway;
- ``conn.getObject(s)('TagAnnotation' | 'Annotation', ...)``: omero-py
  ``TagAnnotationWrapper/AnnotationWrapper._getQueryString`` with ``buildQuery``;
- the batched annotation panel query: OMERO.web ``webclient/tree.py marshal_annotations``
  (its text and its where-clauses are copied below as it builds them);
- class names, hierarchy and value fields: omero-model's annotation mapping as generated
  into omero-py's ``omero_model_*Annotation_ice.py``.
"""

import omero
import pytest
from omero.gateway import (BooleanAnnotationWrapper, CommentAnnotationWrapper,
                           DoubleAnnotationWrapper, LongAnnotationWrapper,
                           MapAnnotationWrapper, TagAnnotationWrapper,
                           TermAnnotationWrapper)
from omero.rtypes import rstring, unwrap

pytestmark = pytest.mark.devserver

RATING = "openmicroscopy.org/omero/insight/rating"
# OMERO.web webclient/tree.py marshal_annotations, as it formats its query
WEB_QUERY = """
            select oal from %sAnnotationLink as oal
            join fetch oal.details.creationEvent
            join fetch oal.details.owner
            left outer join fetch oal.child as ch
            left outer join fetch oal.parent as pa
            join fetch ch.details.creationEvent
            join fetch ch.details.owner %s
            left outer join fetch ch.file as file
            where %s order by ch.ns
            """
WEB_FILTERS = {          # ann_type -> the clauses marshal_annotations adds
    None: [],
    "tag": ["ch.class=TagAnnotation"],
    "comment": ["ch.class=CommentAnnotation"],
    "rating": ["ch.class=LongAnnotation", "ch.ns='%s'" % RATING],
    "map": ["ch.class=MapAnnotation"],
    "custom": ["ch.class!=MapAnnotation", "ch.class!=TagAnnotation",
               "ch.class!=FileAnnotation", "ch.class!=CommentAnnotation",
               """(ch.ns=null or
            ch.ns!='%s')""" % RATING],
}


@pytest.fixture(scope="module")
def alice(omero_rois_server):
    conn = omero_rois_server.connect("alice")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def root(omero_rois_server):
    conn = omero_rois_server.connect("root")
    yield conn
    conn.close()


def web_links(conn, dtype, ids, ann_type=None, ns=None):
    where = ["pa.id in (:ids)"] + WEB_FILTERS[ann_type]
    params = omero.sys.ParametersI().addIds(ids)
    if ns is not None:
        where.append("ch.ns=:ns")
        params.add("ns", rstring(ns))
    query = WEB_QUERY % (dtype, "join fetch pa.plate" if dtype == "Well" else "",
                         " and ".join(where))
    return conn.getQueryService().findAllByQuery(query, params, conn.SERVICE_OPTS)


def test_list_annotations_gives_a_typed_wrapper_per_type(alice):
    found = {type(a): a for a in alice.getObject("Image", 1).listAnnotations()
             if a.getId() != 500}
    assert {cls: (a.getValue(), a.getNs()) for cls, a in found.items()} == {
        MapAnnotationWrapper: ([("species", "Mus musculus"), ("strain", "C57BL/6J"),
                                ("stain", "DAPI")], "facility.example.org/metadata"),
        TagAnnotationWrapper: ("nucleus", "facility.example.org/tags"),
        CommentAnnotationWrapper: ("re-imaged after focus drift",
                                   "facility.example.org/comments"),
        BooleanAnnotationWrapper: (True, "facility.example.org/qc"),
        LongAnnotationWrapper: (4, RATING),
        DoubleAnnotationWrapper: (0.125, "facility.example.org/focus"),
        TermAnnotationWrapper: ("GO:0005634", "facility.example.org/ontology"),
    }
    assert found[TagAnnotationWrapper].getDescription() == "a cell part"
    assert found[DoubleAnnotationWrapper].getName() == "focus score"
    assert isinstance(found[LongAnnotationWrapper]._obj.getLongValue(), omero.RLong)
    assert [a.getValue() for a in alice.getObject("Image", 1).listAnnotations(ns=RATING)] \
        == [4]


def test_a_shared_tag_is_one_annotation_linked_to_several_images(alice):
    for image_id in (1, 2, 3):
        tags = [a for a in alice.getObject("Image", image_id).listAnnotations()
                if isinstance(a, TagAnnotationWrapper) and a.getValue() == "tumour"]
        assert [t.getId() for t in tags] == [500]
        assert tags[0].getDescription() == "contains tumour tissue"
    assert sorted(t.getValue() for t in alice.getObjects("TagAnnotation")) == [
        "nucleus", "tumour", "unused-tag"]                      # not bob's "secret"
    assert alice.getObject("TagAnnotation", 500).getValue() == "tumour"
    by_value = alice.getObjects("TagAnnotation", attributes={"textValue": "tumour"})
    assert [t.getId() for t in by_value] == [500]
    mixed = {a.getId(): type(a) for a in alice.getObjects("Annotation", [500, 10, 16])}
    assert mixed == {500: TagAnnotationWrapper, 10: MapAnnotationWrapper,
                     16: TermAnnotationWrapper}


def test_get_annotation_links_of_many_images_in_one_query(alice, omero_rois_server):
    before = omero_rois_server.query_count()
    links = list(alice.getAnnotationLinks("Image", parent_ids=[1, 2, 3, 4]))
    assert omero_rois_server.query_count() == before + 1
    assert sorted((lk.parent.id.val, lk.child.id.val) for lk in links) == sorted(
        [(1, a) for a in (10, 11, 12, 13, 14, 15, 16, 500)] + [(2, 500), (3, 500)])
    assert all(lk.parent.isLoaded() and lk.child.isLoaded() for lk in links)
    assert {type(lk.child).__name__ for lk in links} == {
        "MapAnnotationI", "TagAnnotationI", "CommentAnnotationI", "BooleanAnnotationI",
        "LongAnnotationI", "DoubleAnnotationI", "TermAnnotationI"}
    shared = alice.getAnnotationLinks("Image", ann_ids=[500])
    assert sorted(lk.parent.id.val for lk in shared) == [1, 2, 3]
    rating = alice.getAnnotationLinks("Image", parent_ids=[1, 2], ns=RATING)
    assert [lk.child.longValue.val for lk in rating] == [4]


@pytest.mark.parametrize("ann_type,expected", [
    ("tag", [11, 500, 500, 500]),             # order by ch.ns: nulls last
    ("comment", [12]),
    ("rating", [14]),
    ("map", [10]),
    ("custom", [15, 16, 13]),                 # Double, Term, Boolean, by namespace
])
def test_omero_web_annotation_panel_query(alice, ann_type, expected):
    links = web_links(alice, "Image", [1, 2, 3], ann_type)
    assert [lk.child.id.val for lk in links] == expected
    assert all(lk.parent.isLoaded() and lk.parent.name.val for lk in links)
    assert all(lk.details.owner.isLoaded() and lk.child.details.owner.isLoaded()
               for lk in links)


def test_omero_web_query_by_namespace_and_for_other_parents(alice, root):
    links = web_links(alice, "Image", [1], ns="facility.example.org/qc")
    assert [(type(lk.child).__name__, lk.child.boolValue.val) for lk in links] == [
        ("BooleanAnnotationI", True)]
    assert [lk.child.textValue.val for lk in web_links(alice, "Roi", [1, 2])] == [
        "a ROI comment"]
    assert web_links(alice, "Well", [1]) == []
    assert web_links(alice, "Image", [4]) == []                  # bob's, private
    assert [lk.child.textValue.val for lk in web_links(root, "Image", [4])] == ["secret"]


def test_find_is_polymorphic_like_hql(alice):
    qs = alice.getQueryService()
    ctx = alice.SERVICE_OPTS
    assert type(qs.find("TextAnnotation", 500, ctx)).__name__ == "TagAnnotationI"
    assert type(qs.find("BasicAnnotation", 13, ctx)).__name__ == "BooleanAnnotationI"
    assert type(qs.find("NumericAnnotation", 15, ctx)).__name__ == "DoubleAnnotationI"
    assert qs.find("TagAnnotation", 10, ctx) is None             # a MapAnnotation
    assert qs.find("TagAnnotation", 40, ctx) is None             # bob's
    roi = qs.find("Roi", 1, ctx)
    assert roi.getName().getValue() == "every field" and not roi.isShapesLoaded()


def test_plugin_map_annotation_queries_see_no_other_types(alice):
    query = ("select l.parent.id, l.id, a.id, a.details.owner.id, a.details.group.id"
             " from ImageAnnotationLink l join l.child a where a.ns = :ns"
             " and a.class = MapAnnotation and l.parent.id in (:ids) order by l.id")
    params = omero.sys.ParametersI().addIds([1]).add("ns", rstring(RATING))
    assert alice.getQueryService().projection(query, params, alice.SERVICE_OPTS) == []
    params = omero.sys.ParametersI().addIds([1]).add(
        "ns", rstring("facility.example.org/metadata"))
    rows = alice.getQueryService().projection(query, params, alice.SERVICE_OPTS)
    assert [unwrap(r)[2] for r in rows] == [10]


@pytest.mark.parametrize("query", [
    "select a from TagAnnotation a",
    (WEB_QUERY % ("Image", "", "pa.id in (:ids) and ch.textValue='nucleus'")),
    "select annLink from ImageAnnotationLink as annLink where annLink.parent.id in (:ids)",
])
def test_unmatched_annotation_queries_fail_loudly(alice, query):
    params = omero.sys.ParametersI().addIds([1])
    with pytest.raises(omero.QueryException, match="devserver"):
        alice.getQueryService().findAllByQuery(query, params, alice.SERVICE_OPTS)


def test_delete_typed_annotations_reports_their_class(start_omero_devserver):
    """omero.cmd.Delete2 answers deletedObjects by Java class (omero-blitz Delete2
    response); a Tag is not found under MapAnnotation, nor updated as one."""
    server = start_omero_devserver(catalogue="rois.yaml")
    conn = server.connect("alice")
    try:
        req = omero.cmd.Delete2(targetObjects={"TagAnnotation": [11], "Annotation": [500]})
        # Delete2 is asynchronous (omero-blitz HandleI): wait for its response
        callback = conn.c.submit(req, 40, 50, ctx=conn.SERVICE_OPTS)
        try:
            deleted = callback.getResponse().deletedObjects
        finally:
            callback.close(True)
        assert sorted(deleted["ome.model.annotations.TagAnnotation"]) == [11, 500]
        assert len(deleted["ome.model.annotations.ImageAnnotationLink"]) == 4
        assert list(conn.getAnnotationLinks("Image", ann_ids=[11, 500])) == []
        with pytest.raises(omero.CmdError):
            conn.deleteObjects("MapAnnotation", [16], wait=True)    # a TermAnnotation
        as_map = omero.model.MapAnnotationI(13, True)                # a BooleanAnnotation
        with pytest.raises(omero.ValidationException):
            conn.getUpdateService().saveObject(as_map, {"omero.group": "3"})
    finally:
        conn.close()
