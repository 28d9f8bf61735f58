"""Query patterns for annotations of every type, registered into the table of ``hql.py``.

Each pattern is a form that OMERO's own code sends (source named at each):
- ``gateway.getAnnotationLinks`` (batched): omero-py ``BlitzGateway.getAnnotationLinks
  (parent_type, parent_ids=..., ann_ids=..., ns=...)``: the links of many objects with
  their annotations and parents loaded;
- ``web.marshal_annotations`` (batched): OMERO.web ``webclient/tree.py
  marshal_annotations``, the query behind the webclient's annotation panel: links of
  ``pa.id in (:ids)`` with child and parent loaded, optionally ``ch.class=X`` /
  ``ch.class!=X`` / ``ch.ns=:ns`` / the rating clauses, ``order by ch.ns``;
- ``gateway.getObjects.Annotation``: omero-py ``AnnotationWrapper._getQueryString``,
  ``TagAnnotationWrapper._getQueryString`` and ``MapAnnotationWrapper._getQueryString``
  (the plugin's MAP_ANNOTATIONS) with the clauses of ``buildQuery``
  (``getObject('TagAnnotation', id)``, ``getObjects('Annotation', ids)``, attributes).
  HQL is polymorphic: ``from Annotation`` answers every kind, so
  ``getObject('MapAnnotation', id)`` (which sends ``from Annotation``) may answer a tag,
  as a real server does.
``.class`` compares the exact class (Hibernate's discriminator), not its subclasses.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, List

import omero

from .annotation_specs import is_a
from .hql import Query, Row, pattern

NULLS_LAST = "\uffff"           # PostgreSQL sorts NULL after every value, ascending


def _links(q: Query, parent_type: str) -> Iterator:
    """(link, annotation, parent) of ``parent_type`` the caller may read, by link id."""
    try:
        parents = q.cat.by_type(parent_type)
    except KeyError:
        raise omero.QueryException(None, None, "omero devserver: %sAnnotationLink is "
                                   "not supported: %s" % (parent_type, q.text))
    for link in sorted(list(q.store.links.values()), key=lambda x: x.id):
        if link.parent_type != parent_type:
            continue
        ann, parent = q.store.annotations.get(link.child_id), parents.get(link.parent_id)
        if (ann is not None and q.visible(parent)
                and q.caller.can_read(link.owner, link.group)
                and q.caller.can_read(ann.owner, ann.group)):
            yield link, ann, parent


def _parent_object(q: Query, parent_type: str, parent, fetch=()):
    b = q.build
    if parent_type == "PlateAcquisition":
        return b.acquisition(parent, fetch)
    if parent_type == "Roi":
        from .roi_model import roi_object
        return roi_object(b, parent, fetch)
    return getattr(b, parent_type.lower())(parent, fetch)


def _link_rows(q: Query, found, parent_fetch=()) -> List[Row]:
    rows = []
    for link, ann, parent in found:
        obj = q.build.link(link, {"child", "owner"})
        obj.setParent(_parent_object(q, link.parent_type, parent, parent_fetch))
        rows.append(Row(obj, link.owner, link.group))
    return rows


def _clauses(q: Query, where: str, table) -> List[Callable]:
    """Where-clauses -> predicates over (link, annotation), from a table of
    (regex, maker(match) -> predicate)."""
    preds = []
    for clause in filter(None, (c.strip() for c in re.split(r" and ", where or ""))):
        for regex, make in table:
            m = re.fullmatch(regex, clause, re.IGNORECASE)
            if m:
                preds.append(make(q, m))
                break
        else:
            raise omero.QueryException(None, None, "omero devserver: unknown clause %r "
                                       "in query: %s" % (clause, q.text))
    return preds


# -- omero-py BlitzGateway.getAnnotationLinks -------------------------------------------

_GATEWAY_CLAUSES = [
    (r"parent\.id in \(:pids\)",
     lambda q, m: (lambda link, ann, ids=set(q.ids("pids")): link.parent_id in ids)),
    (r"ann\.id in \(:ann_ids\)",
     lambda q, m: (lambda link, ann, ids=set(q.ids("ann_ids")): ann.id in ids)),
    (r"ann\.ns in \(:ns\)", lambda q, m: (lambda link, ann, ns=q.param("ns"): ann.ns == ns)),
    (r"owner\.id = \(:eid\)",
     lambda q, m: (lambda link, ann, o=int(q.param("eid")): link.owner == o)),
]


@pattern("gateway.getAnnotationLinks",
         r"select annLink from (?P<type>\w+)AnnotationLink as annLink"
         r" join fetch annLink\.details\.owner as owner"
         r" join fetch annLink\.details\.creationEvent join fetch annLink\.child as ann"
         r" join fetch ann\.details\.owner join fetch ann\.details\.creationEvent"
         r" join fetch annLink\.parent as parent(?: where (?P<where>.*))?")
def gateway_annotation_links(q: Query):
    preds = _clauses(q, q.match["where"], _GATEWAY_CLAUSES)
    found = [(link, ann, parent) for link, ann, parent in _links(q, q.match["type"])
             if all(p(link, ann) for p in preds)]
    return _link_rows(q, found)


# -- OMERO.web webclient/tree.py marshal_annotations ------------------------------------

_WEB_CLAUSES = [
    (r"pa\.id in \(:ids\)",
     lambda q, m: (lambda link, ann, ids=set(q.ids()): link.parent_id in ids)),
    (r"ch\.class ?= ?(\w+)", lambda q, m: (lambda link, ann, k=m[1]: ann.kind == k)),
    (r"ch\.class ?!= ?(\w+)", lambda q, m: (lambda link, ann, k=m[1]: ann.kind != k)),
    (r"ch\.ns ?= ?:ns", lambda q, m: (lambda link, ann, ns=q.param("ns"): ann.ns == ns)),
    (r"ch\.ns ?= ?'([^']*)'", lambda q, m: (lambda link, ann, ns=m[1]: ann.ns == ns)),
    (r"\(ch\.ns ?= ?null or ch\.ns ?!= ?'([^']*)'\)",
     lambda q, m: (lambda link, ann, ns=m[1]: ann.ns is None or ann.ns != ns)),
]


@pattern("web.marshal_annotations",
         r"select oal from (?P<type>\w+)AnnotationLink as oal"
         r" join fetch oal\.details\.creationEvent join fetch oal\.details\.owner"
         r" left outer join fetch oal\.child as ch left outer join fetch oal\.parent as pa"
         r" join fetch ch\.details\.creationEvent join fetch ch\.details\.owner"
         r"(?P<plate> join fetch pa\.plate)? left outer join fetch ch\.file as file"
         r" where (?P<where>.*?) order by ch\.ns")
def web_annotations(q: Query):
    preds = _clauses(q, q.match["where"], _WEB_CLAUSES)
    found = [(link, ann, parent) for link, ann, parent in _links(q, q.match["type"])
             if all(p(link, ann) for p in preds)]
    found.sort(key=lambda f: (f[1].ns if f[1].ns is not None else NULLS_LAST, f[0].id))
    return _link_rows(q, found, {"plate"} if q.match["plate"] else ())


# -- omero-py getObject(s) of annotation types --------------------------------------------

_OBJECT_CLAUSES = [
    (r"obj\.id in \(:(\w+)\)",
     lambda q, m: (lambda ann, ids=set(q.ids(m[1])): ann.id in ids)),
    (r"owner\.id = \(?:(\w+)\)?",
     lambda q, m: (lambda ann, o=int(q.param(m[1])): ann.owner == o)),
    (r"obj\.(ns|name|description)=:(\w+)",
     lambda q, m: (lambda ann, f=m[1], v=q.param(m[2]): getattr(ann, f) == v)),
    (r"obj\.(textValue|termValue|longValue|doubleValue|boolValue)=:(\w+)",
     lambda q, m: (lambda ann, v=q.param(m[2]): ann.value == v)),
]


@pattern("gateway.getObjects.Annotation",
         r"select obj from (?P<type>Annotation|TagAnnotation|MapAnnotation) obj"
         r" join fetch obj\.details\.owner as owner join fetch obj\.details\.creationEvent"
         r"(?: where (?P<where>.*?))?(?: order by obj\.id)?")
def gateway_annotations(q: Query):
    preds = _clauses(q, q.match["where"], _OBJECT_CLAUSES)
    anns = sorted(list(q.store.annotations.values()), key=lambda a: a.id)
    return [Row(q.build.annotation(a, {"owner"}), a.owner, a.group) for a in anns
            if is_a(a.kind, q.match["type"]) and q.caller.can_read(a.owner, a.group)
            and all(p(a) for p in preds)]
