"""The queries the dev server understands: a small, explicit table of patterns.

There is no HQL engine. A query's text is normalised (whitespace collapsed) and
matched against the regular expressions below, each answering one family of queries
that the plugin (omero_cli_ngff/queries.py) or BlitzGateway sends. An unknown query
raises ``omero.QueryException`` with the query text, and is logged: add its pattern
here, with a test, rather than making the plugin send something else.

Every answer honours the caller's read permissions and group context, then the
ParametersI filter (ownerId, groupId, offset/limit paging), in that order.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import omero
from omero.rtypes import unwrap

from . import catalogue as cat
from .model import Builder, length_rtype, to_rtype
from .security import Caller
from .store import Store

log = logging.getLogger("omero_devserver.queries")

# BlitzGateway's base query ("P" in the reference notes).
P = (r"select obj from (?P<type>\w+) (?:as )?obj join fetch obj\.details\.owner as owner"
     r" left outer join fetch obj\.details\.externalInfo"
     r" join fetch obj\.details\.creationEvent")


@dataclass
class Row:
    value: object
    owner: int = -1
    group: int = -1


@dataclass
class Query:
    text: str
    kind: str                       # projection, findAllByQuery, findByQuery
    params: Dict[str, object]
    offset: Optional[int]
    limit: Optional[int]
    owner_filter: Optional[int]
    group_filter: Optional[int]
    caller: Caller
    build: Builder
    cat: cat.Catalogue
    store: Store
    match: Optional[re.Match] = None

    def param(self, name):
        if name not in self.params or self.params[name] is None:
            raise omero.QueryException(
                None, None, "Named parameter :%s not set for query: %s"
                % (name, self.text))
        return self.params[name]

    def ids(self, name="ids") -> List[int]:
        value = self.param(name)
        return [int(v) for v in (value if isinstance(value, (list, tuple, set))
                                 else [value])]

    def visible(self, entity) -> bool:
        return entity is not None and self.caller.can_read(entity.owner, entity.group)

    def get(self, kind: str, oid: int):
        entity = self.cat.by_type(kind).get(oid)
        return entity if self.visible(entity) else None


Handler = Callable[[Query], List[Row]]
TABLE: List[tuple] = []


def pattern(name: str, regex: str):
    """Register a handler for queries matching ``regex`` (whole text, any case)."""
    def deco(fn: Handler) -> Handler:
        TABLE.append((name, re.compile(regex, re.IGNORECASE), fn))
        return fn
    return deco


def normalise(query: str) -> str:
    return " ".join(query.split())


def run(kind: str, query: str, params, caller: Caller, build: Builder,
        catalogue: cat.Catalogue, store: Store) -> list:
    text = normalise(query)
    pmap, offset, limit, owner, group = _parameters(params)
    for name, regex, handler in TABLE:
        m = regex.fullmatch(text)
        if m is None:
            continue
        q = Query(text, kind, pmap, offset, limit, owner, group, caller, build,
                  catalogue, store, m)
        rows = handler(q)
        if owner is not None and owner != -1:
            rows = [r for r in rows if r.owner == owner]
        if group is not None and group != -1:
            rows = [r for r in rows if r.group == group]
        if offset:
            rows = rows[offset:]
        if limit is not None:
            rows = rows[:limit]
        log.info("query %s: %d rows", name, len(rows))
        return [r.value for r in rows]
    log.warning("UNKNOWN QUERY (%s): %s params=%s", kind, text, sorted(pmap))
    raise omero.QueryException(
        None, None, "omero devserver: no pattern for this query (add one to "
        "test_infra/omero_devserver/hql.py): %s" % text)


def _parameters(params):
    if params is None:
        return {}, None, None, None, None
    pmap = {k: unwrap(v) for k, v in (params.map or {}).items()}
    f = params.theFilter
    if f is None:
        return pmap, None, None, None, None
    return (pmap, unwrap(f.offset), unwrap(f.limit), unwrap(f.ownerId),
            unwrap(f.groupId))


def ids_row(entity) -> Row:
    return Row([to_rtype(entity.id)], entity.owner, entity.group)


# =====================================================================================
# The plugin's queries (omero_cli_ngff/queries.py)
# =====================================================================================

@pattern("EXISTING_IDS",
         r"select o\.id from (?P<type>Image|Dataset|Project|Screen|Plate|Well|Fileset) o"
         r" where o\.id in \(:ids\) order by o\.id")
def existing_ids(q: Query):
    kind = q.match["type"]
    found = (q.get(kind, i) for i in sorted(set(q.ids())))
    return [ids_row(e) for e in found if e is not None]


def _image_rows(q: Query, images) -> List[Row]:
    seen = {}
    for img in images:
        if img is not None and img.id not in seen and q.visible(img):
            seen[img.id] = img
    return [Row([to_rtype(i)], seen[i].owner, seen[i].group) for i in sorted(seen)]


@pattern("IMAGE_IDS.Image",
         r"select i\.id from Image i where i\.id in \(:ids\) order by i\.id")
def image_ids_of_images(q: Query):
    return _image_rows(q, (q.cat.images.get(i) for i in q.ids()))


@pattern("IMAGE_IDS.Dataset",
         r"select distinct l\.child\.id from DatasetImageLink l"
         r" where l\.parent\.id in \(:ids\) order by l\.child\.id")
def image_ids_of_datasets(q: Query):
    datasets = [q.get("Dataset", i) for i in q.ids()]
    return _image_rows(q, (img for d in datasets if d for img in d.images))


@pattern("IMAGE_IDS.Project",
         r"select distinct dil\.child\.id from DatasetImageLink dil join dil\.parent d"
         r" join d\.projectLinks pdl where pdl\.parent\.id in \(:ids\)"
         r" order by dil\.child\.id")
def image_ids_of_projects(q: Query):
    projects = [q.get("Project", i) for i in q.ids()]
    return _image_rows(q, (img for p in projects if p for d in p.datasets
                           if q.visible(d) for img in d.images))


def _plate_images(q: Query, plate):
    return (ws.image for w in plate.wells if q.visible(w) for ws in w.samples
            if q.visible(ws))


@pattern("IMAGE_IDS.Screen",
         r"select distinct ws\.image\.id from WellSample ws join ws\.well w join w\.plate p"
         r" join p\.screenLinks spl where spl\.parent\.id in \(:ids\)"
         r" order by ws\.image\.id")
def image_ids_of_screens(q: Query):
    screens = [q.get("Screen", i) for i in q.ids()]
    return _image_rows(q, (img for s in screens if s for p in s.plates if q.visible(p)
                           for img in _plate_images(q, p)))


@pattern("IMAGE_IDS.Plate",
         r"select distinct ws\.image\.id from WellSample ws join ws\.well w"
         r" where w\.plate\.id in \(:ids\) order by ws\.image\.id")
def image_ids_of_plates(q: Query):
    plates = [q.get("Plate", i) for i in q.ids()]
    return _image_rows(q, (img for p in plates if p for img in _plate_images(q, p)))


@pattern("IMAGE_IDS.Well",
         r"select distinct ws\.image\.id from WellSample ws"
         r" where ws\.well\.id in \(:ids\) order by ws\.image\.id")
def image_ids_of_wells(q: Query):
    wells = [q.get("Well", i) for i in q.ids()]
    return _image_rows(q, (ws.image for w in wells if w for ws in w.samples))


@pattern("SCREEN_PLATES",
         r"select distinct l\.child\.id from ScreenPlateLink l"
         r" where l\.parent\.id in \(:ids\) order by l\.child\.id")
def plates_of_screens(q: Query):
    screens = [q.get("Screen", i) for i in q.ids()]
    plates = {p.id: p for s in screens if s for p in s.plates if q.visible(p)}
    return [Row([to_rtype(pid)], plates[pid].owner, plates[pid].group)
            for pid in sorted(plates)]


# Wells and their plates as omero-py's _PlateWrapper._listChildren and omero-web's
# marshal_lineage read them (ome/omero-py src/omero/gateway/__init__.py, ome/omero-web
# omeroweb/webclient/tree.py): Well.row/column are 0-based indices.
@pattern("WELL_POSITIONS",
         r"select w\.plate\.id, w\.row, w\.column from Well w"
         r" where w\.plate\.id in \(:ids\) order by w\.id")
def well_positions(q: Query):
    plates = [q.get("Plate", i) for i in q.ids()]
    wells = sorted((w for p in plates if p for w in p.wells if q.visible(w)),
                   key=lambda w: w.id)
    return [Row([to_rtype(w.plate.id), to_rtype(w.row), to_rtype(w.column)], w.owner,
                w.group) for w in wells]


@pattern("PLATES_OF_IMAGES",
         r"select ws\.image\.id, w\.plate\.id from WellSample ws join ws\.well w"
         r" where ws\.image\.id in \(:ids\) order by ws\.id")
def plates_of_images(q: Query):
    wanted = set(q.ids())
    samples = sorted((ws for ws in q.cat.well_samples.values()
                      if ws.image is not None and ws.image.id in wanted and q.visible(ws)
                      and q.visible(ws.well)), key=lambda ws: ws.id)
    return [Row([to_rtype(ws.image.id), to_rtype(ws.well.plate.id)], ws.owner, ws.group)
            for ws in samples]


@pattern("PLATE_SCREENS",
         r"select l\.child\.id, l\.parent\.id from ScreenPlateLink l"
         r" where l\.child\.id in \(:ids\) order by l\.id")
def screens_of_plates(q: Query):
    plates = [q.get("Plate", i) for i in q.ids()]
    links = sorted(((s.plate_link_ids.get(p.id, 0), p, s) for p in plates if p
                    for s in p.screens if q.visible(s)), key=lambda t: t[0])
    return [Row([to_rtype(p.id), to_rtype(s.id)], s.owner, s.group) for _, p, s in links]


@pattern("IMAGE_IDS.Fileset",
         r"select i\.id from Image i where i\.fileset\.id in \(:ids\) order by i\.id")
def image_ids_of_filesets(q: Query):
    filesets = [q.cat.filesets.get(i) for i in q.ids()]
    return _image_rows(q, (img for f in filesets if f for img in f.images))


@pattern("IMAGE_ROWS",
         r"select i\.id, i\.name, i\.series, o\.id, o\.omeName, i\.details\.group\.id, f\.id,"
         r" p\.id, p\.sizeX, p\.sizeY, p\.sizeZ, p\.sizeC, p\.sizeT, pt\.value"
         r" from Image i join i\.details\.owner o left outer join i\.fileset f"
         r" left outer join i\.pixels p left outer join p\.pixelsType pt"
         r" where i\.id in \(:ids\) order by i\.id")
def image_rows(q: Query):
    rows = []
    for img in (q.get("Image", i) for i in sorted(set(q.ids()))):
        if img is None:
            continue
        owner = q.cat.users.get(img.owner)
        pix = img.pixels
        values = [img.id, img.name, img.series, img.owner,
                  owner.name if owner else "user%d" % img.owner, img.group,
                  img.fileset.id if img.fileset is not None else None]
        if pix is None:
            values += [None] * 7
        else:
            values += [pix.id, pix.size_x, pix.size_y, pix.size_z, pix.size_c, pix.size_t,
                       pix.pixel_type]
        row = [to_rtype(v) for v in values]
        row[2] = omero.rtypes.rint(img.series)          # Integer columns come as RInt
        if pix is not None:
            row[8:13] = [omero.rtypes.rint(v) for v in values[8:13]]
        rows.append(Row(row, img.owner, img.group))
    return rows


@pattern("PHYSICAL_SIZES",
         r"select p\.image\.id, p\.physicalSizeX, p\.physicalSizeY, p\.physicalSizeZ"
         r" from Pixels p where p\.image\.id in \(:ids\) order by p\.image\.id")
def physical_sizes(q: Query):
    rows = []
    for img in (q.get("Image", i) for i in sorted(set(q.ids()))):
        if img is None or img.pixels is None:
            continue
        phys = img.pixels.physical
        rows.append(Row([to_rtype(img.id)] + [
            length_rtype(*phys[axis]) if axis in phys else None for axis in "xyz"],
            img.owner, img.group))
    return rows


@pattern("GROUPS",
         r"select g from ExperimenterGroup g where g\.id in \(:ids\) order by g\.id")
def groups_by_id(q: Query):
    return [Row(q.build.experimenter_group(gid), -1, gid)
            for gid in sorted(set(q.ids())) if gid in q.cat.groups]


@pattern("FILESET_FILES",
         r"select fs\.id, f\.path, f\.name from Fileset fs join fs\.usedFiles fe"
         r" join fe\.originalFile f where fs\.id in \(:ids\) order by fs\.id, index\(fe\)")
def fileset_files(q: Query):
    """Fileset.usedFiles is an indexed list (omero-model): ``index(fe)`` is the
    position of the entry in it, the catalogue's order of files."""
    rows = []
    for fid in sorted(set(q.ids())):
        fs = q.get("Fileset", fid)
        if fs is None:
            continue
        rows.extend(Row([to_rtype(fs.id), to_rtype(f.path), to_rtype(f.name)],
                        fs.owner, fs.group) for f in fs.files)
    return rows


def _visible_links(q: Query, parent_type: str, parent_ids, ns=None):
    out = []
    for link in q.store.links_of(parent_type, parent_ids):
        ann = q.store.annotations.get(link.child_id)
        if ann is None or (ns is not None and ann.ns != ns):
            continue
        parent = q.cat.by_type(parent_type).get(link.parent_id)
        if (q.caller.can_read(link.owner, link.group)
                and q.caller.can_read(ann.owner, ann.group) and q.visible(parent)):
            out.append((link, ann))
    return out


@pattern("ANNOTATION_LINKS",
         r"select l\.parent\.id, l\.id, a\.id, a\.details\.owner\.id, a\.details\.group\.id"
         r" from ImageAnnotationLink l join l\.child a"
         r" where a\.ns = :ns and a\.class = MapAnnotation and l\.parent\.id in \(:ids\)"
         r" order by l\.id")
def annotation_links(q: Query):
    rows = [Row([to_rtype(v) for v in (link.parent_id, link.id, ann.id, ann.owner,
                                       ann.group)], link.owner, link.group)
            for link, ann in _visible_links(q, "Image", q.ids(), q.param("ns"))
            if ann.kind == "MapAnnotation"]
    return sorted(rows, key=lambda r: r.value[1].getValue())


@pattern("IMAGES_BY_URL",
         r"select distinct l\.parent\.id from ImageAnnotationLink l join l\.child a"
         r" join a\.mapValue mv where a\.ns = :ns and mv\.name = :key"
         r" and mv\.value = :url order by l\.parent\.id")
def images_by_url(q: Query):
    ns, key, url = q.param("ns"), q.param("key"), q.param("url")
    parents = {}
    for link in list(q.store.links.values()):
        if link.parent_type != "Image":
            continue
        ann = q.store.annotations.get(link.child_id)
        if ann is None or ann.ns != ns or (key, url) not in [tuple(v) for v in ann.values]:
            continue
        img = q.cat.images.get(link.parent_id)
        if q.visible(img) and q.caller.can_read(ann.owner, ann.group):
            parents[img.id] = img
    return [Row([to_rtype(i)], parents[i].owner, parents[i].group)
            for i in sorted(parents)]


@pattern("ANNOTATED_URLS",
         r"select distinct mv\.value from ImageAnnotationLink l join l\.child a"
         r" join a\.mapValue mv where a\.ns = :ns and mv\.name = :key order by mv\.value")
def annotated_urls(q: Query):
    ns, key = q.param("ns"), q.param("key")
    values = {}
    for link in list(q.store.links.values()):
        ann = q.store.annotations.get(link.child_id)
        if link.parent_type != "Image" or ann is None or ann.ns != ns:
            continue
        img = q.cat.images.get(link.parent_id)
        if not (q.visible(img) and q.caller.can_read(link.owner, link.group)
                and q.caller.can_read(ann.owner, ann.group)):
            continue
        for k, v in ann.values:
            if k == key:
                values.setdefault(v, ann)
    return [Row([to_rtype(v)], values[v].owner, values[v].group) for v in sorted(values)]


@pattern("IMAGE_NAMES",
         r"select i\.id, i\.name from Image i where i\.id in \(:ids\) order by i\.id")
def image_names(q: Query):
    images = (q.get("Image", i) for i in sorted(set(q.ids())))
    return [Row([to_rtype(img.id), to_rtype(img.name)], img.owner, img.group)
            for img in images if img is not None]


@pattern("ANNOTATION_VALUES",
         r"select l\.parent\.id, a\.id, mv\.name, mv\.value from ImageAnnotationLink l"
         r" join l\.child a left outer join a\.mapValue mv"
         r" where a\.ns = :ns and l\.parent\.id in \(:ids\) order by l\.id")
def annotation_values(q: Query):
    """An annotation without pairs gives one row of nulls (left outer join). The pairs
    of one annotation come in no defined order (no ``index()``): the dev server answers
    them last first, so that a client relying on the list order fails here too."""
    rows = []
    for link, ann in _visible_links(q, "Image", q.ids(), q.param("ns")):
        head = [to_rtype(link.parent_id), to_rtype(ann.id)]
        pairs = list(reversed(list(ann.values))) or [(None, None)]
        rows.extend(Row(head + [to_rtype(k), to_rtype(v)], link.owner, link.group)
                    for k, v in pairs)
    return rows


# Plates and their well samples as projections, the forms of omero-web's
# marshal_lineage and omero-py's _PlateWrapper._listChildren (ome/omero-web
# omeroweb/webclient/tree.py, ome/omero-py src/omero/gateway/__init__.py); Well.row and
# column are 0-based indices, a sample's plateAcquisition may be null (left outer join).
@pattern("PLATE_DETAILS",
         r"select p\.id, p\.name, p\.rows, p\.columns, p\.rowNamingConvention,"
         r" p\.columnNamingConvention from Plate p where p\.id in \(:ids\) order by p\.id")
def plate_details(q: Query):
    plates = sorted((p for p in (q.get("Plate", i) for i in set(q.ids())) if p),
                    key=lambda p: p.id)
    return [Row([to_rtype(p.id), to_rtype(p.name), to_rtype(p.rows), to_rtype(p.columns),
                 to_rtype(p.row_naming), to_rtype(p.column_naming)], p.owner, p.group)
            for p in plates]


@pattern("PLATE_SAMPLES",
         r"select w\.plate\.id, ws\.image\.id, w\.row, w\.column, pa\.id, pa\.name"
         r" from WellSample ws join ws\.well w left outer join ws\.plateAcquisition pa"
         r" where w\.plate\.id in \(:ids\) order by ws\.id")
def plate_samples(q: Query):
    samples = []
    for pid in set(q.ids()):
        plate = q.get("Plate", pid)
        if plate is not None:
            samples.extend(ws for w in plate.wells if q.visible(w) for ws in w.samples
                           if q.visible(ws))
    rows = []
    for ws in sorted(samples, key=lambda ws: ws.id):
        acq = ws.acquisition
        rows.append(Row([to_rtype(ws.well.plate.id), to_rtype(ws.image.id),
                         to_rtype(ws.well.row), to_rtype(ws.well.column),
                         to_rtype(acq.id if acq else None),
                         to_rtype(acq.name if acq else None)], ws.owner, ws.group))
    return rows


# =====================================================================================
# BlitzGateway: getObject / getObjects (P + joins + where clauses)
# =====================================================================================

# Joins BlitzGateway appends to P, and what they fetch.
_JOINS = [
    (r" join obj\.datasetLinks dlink", set()),
    (r" join obj\.projectLinks projectLinks", set()),
    (r" join obj\.imageLinks imagelinks", set()),
    (r" join obj\.datasetLinks datasetLinks", set()),
    (r" join obj\.plateLinks plateLinks", set()),
    (r" left outer join fetch obj\.pixels as pixels"
     r" left outer join fetch pixels\.pixelsType", {"pixels", "pixelsType"}),
    (r" join fetch pixels\.channels as channels"
     r" join fetch channels\.logicalChannel as logicalChannel"
     r" left outer join fetch logicalChannel\.photometricInterpretation"
     r" left outer join fetch logicalChannel\.illumination"
     r" left outer join fetch logicalChannel\.mode"
     r" left outer join fetch logicalChannel\.contrastMethod", {"channels"}),
    (r" left outer join fetch obj\.wellSamples as wellSamples"
     r" left outer join fetch wellSamples\.image as image"
     r" left outer join fetch wellSamples\.plateAcquisition as plateAcquisition",
     {"wellSamples", "image", "acquisition"}),
    (r" left outer join fetch image\.pixels as pixels"
     r" left outer join fetch pixels\.pixelsType", {"pixels", "pixelsType"}),
]


def _parents(entity, kind):
    if kind == "Image":
        return entity.datasets
    if kind == "Dataset":
        return entity.projects
    if kind == "Plate":
        return entity.screens
    return []


def _clause(q: Query, kind: str, clause: str):
    """One where-clause of a BlitzGateway query -> a predicate over records."""
    c = clause.strip()
    m = re.fullmatch(r"obj\.id in \(:(\w+)\)", c)
    if m:
        ids = set(q.ids(m[1]))
        return lambda e: e.id in ids
    m = re.fullmatch(r"owner\.id = \(?:(\w+)\)?", c)
    if m:
        eid = int(q.param(m[1]))
        return lambda e: e.owner == eid
    simple = {
        r"dlink\.parent\.id = :(\w+)": lambda e, v: any(d.id == v for d in e.datasets),
        r"projectLinks\.parent\.id = :(\w+)":
            lambda e, v: any(p.id == v for p in e.projects),
        r"imagelinks\.child\.id = :(\w+)": lambda e, v: any(i.id == v for i in e.images),
        r"datasetLinks\.child\.id = :(\w+)":
            lambda e, v: any(d.id == v for d in e.datasets),
        r"plateLinks\.child\.id = :(\w+)": lambda e, v: any(p.id == v for p in e.plates),
        r"obj\.plate\.id = :(\w+)": lambda e, v: e.plate.id == v,
        r"spl\.parent\.id = :(\w+)": lambda e, v: any(s.id == v for s in e.screens),
        r"obj\.image\.id = :(\w+)": lambda e, v: e.image.id == v,
    }
    for regex, pred in simple.items():
        m = re.fullmatch(regex, c, re.IGNORECASE)
        if m:
            value = int(q.param(m[1]))
            return lambda e, pred=pred, value=value: pred(e, value)
    if re.fullmatch(r"not exists \( select dilink from DatasetImageLink as dilink"
                    r" where dilink\.child = obj\.id \)", c, re.IGNORECASE):
        return lambda e: not e.datasets
    if re.fullmatch(r"not exists \( select ws from WellSample ws"
                    r" where ws\.image\.id = obj\.id \)", c, re.IGNORECASE):
        return lambda e: not e.well_samples
    m = re.fullmatch(r"obj\.(name|description)\s*=\s*:(\w+)", c)
    if m:
        value = q.param(m[2])
        return lambda e, a=m[1]: getattr(e, a, None) == value
    raise omero.QueryException(
        None, None, "omero devserver: unknown clause %r in query: %s" % (c, q.text))


def _build(q: Query, kind: str, entity, fetch):
    b = q.build
    if kind == "Image":
        return b.image(entity, fetch)
    if kind == "Well":
        return b.well(entity, fetch)
    if kind == "PlateAcquisition":
        return b.acquisition(entity, fetch)
    return getattr(b, kind.lower())(entity, fetch)


_ORDERS = {"obj.name": lambda e: (getattr(e, "name", "") or "", e.id),
           "obj.id": lambda e: e.id, "lower(obj.name)":
           lambda e: ((getattr(e, "name", "") or "").lower(), e.id)}


@pattern("gateway.getObjects",
         P + r"(?P<joins>(?: (?:left outer )?join .*?)*?)"
         r"(?: where (?P<where>.*?))?(?: order by (?P<order>[\w.()]+))?")
def gateway_objects(q: Query):
    kind = q.match["type"]
    if kind not in ("Project", "Dataset", "Image", "Screen", "Well", "PlateAcquisition",
                    "Fileset"):
        raise omero.QueryException(None, None, "omero devserver: getObjects(%r) is "
                                   "not supported: %s" % (kind, q.text))
    joins, fetch = q.match["joins"] or "", {"owner"}
    for regex, fetched in _JOINS:
        m = re.search(regex, joins, re.IGNORECASE)
        if m:
            joins = joins.replace(m[0], "", 1)
            fetch |= fetched
    if joins.strip():
        raise omero.QueryException(None, None, "omero devserver: unknown join %r in "
                                   "query: %s" % (joins.strip(), q.text))
    preds = [_clause(q, kind, c) for c in re.split(r" and ", q.match["where"] or "")
             if c.strip()]
    order = _ORDERS.get((q.match["order"] or "obj.id"))
    if order is None:
        raise omero.QueryException(None, None, "omero devserver: unknown order in "
                                   "query: %s" % q.text)
    entities = [e for e in q.cat.by_type(kind).values()
                if q.visible(e) and all(p(e) for p in preds)]
    return [Row(_build(q, kind, e, fetch), e.owner, e.group)
            for e in sorted(entities, key=order)]


@pattern("gateway.getObjects.Plate",
         r"select obj from Plate as obj join fetch obj\.details\.owner as owner"
         r" join fetch obj\.details\.creationEvent left outer join fetch obj\.screenLinks"
         r" spl left outer join fetch spl\.parent sc(?: where (?P<where>.*?))?"
         r"(?: order by (?P<order>[\w.()]+))?")
def gateway_plates(q: Query):
    preds = [_clause(q, "Plate", c) for c in re.split(r" and ", q.match["where"] or "")
             if c.strip()]
    order = _ORDERS.get(q.match["order"] or "obj.id", _ORDERS["obj.id"])
    rows = []
    for p in sorted(q.cat.plates.values(), key=order):
        if not (q.visible(p) and all(pred(p) for pred in preds)):
            continue
        obj = q.build.plate(p, {"owner"})
        links = []
        for s in p.screens:
            if q.visible(s):
                links.append(q.build.container_link(
                    omero.model.ScreenPlateLinkI, s.plate_link_ids[p.id],
                    omero.model.ScreenI, s, omero.model.PlateI, p, {"parent"}))
        obj._screenLinksLoaded = True
        obj._screenLinksSeq = links
        rows.append(Row(obj, p.owner, p.group))
    return rows


# -- annotations of one object (ImageWrapper.listAnnotations and friends) -------------

@pattern("gateway.listAnnotations",
         r"select l from (?P<type>\w+)AnnotationLink as l join fetch l\.details\.owner"
         r" join fetch l\.details\.creationEvent join fetch l\.child as a"
         r" join fetch a\.details\.owner left outer join fetch a\.file"
         r" join fetch a\.details\.creationEvent where l\.parent\.id=(?P<id>\d+)")
def gateway_annotation_links(q: Query):
    kind = q.match["type"]
    return [Row(q.build.link(link, {"child", "owner"}), link.owner, link.group)
            for link, ann in _visible_links(q, kind, [int(q.match["id"])])]


# -- parents (listParents) -------------------------------------------------------------

@pattern("gateway.listParents.Dataset",
         r"from DatasetImageLink as c where c\.child\.id=(?P<id>\d+)")
def dataset_image_links(q: Query):
    img = q.get("Image", int(q.match["id"]))
    if img is None:
        return []
    return [Row(q.build.container_link(
        omero.model.DatasetImageLinkI, d.image_link_ids[img.id], omero.model.DatasetI, d,
        omero.model.ImageI, img), d.owner, d.group)
        for d in img.datasets if q.visible(d)]


@pattern("gateway.listParents.Project",
         r"from ProjectDatasetLink as c where c\.child\.id=(?P<id>\d+)")
def project_dataset_links(q: Query):
    ds = q.get("Dataset", int(q.match["id"]))
    if ds is None:
        return []
    return [Row(q.build.container_link(
        omero.model.ProjectDatasetLinkI, p.dataset_link_ids[ds.id], omero.model.ProjectI,
        p, omero.model.DatasetI, ds), p.owner, p.group)
        for p in ds.projects if q.visible(p)]


@pattern("gateway.listParents.Screen",
         r"from ScreenPlateLink as c where c\.child\.id=(?P<id>\d+)")
def screen_plate_links(q: Query):
    plate = q.get("Plate", int(q.match["id"]))
    if plate is None:
        return []
    return [Row(q.build.container_link(
        omero.model.ScreenPlateLinkI, s.plate_link_ids[plate.id], omero.model.ScreenI, s,
        omero.model.PlateI, plate), s.owner, s.group)
        for s in plate.screens if q.visible(s)]


@pattern("gateway.listParents.WellSample",
         r"from WellSample as c where c\.image\.id=(?P<id>\d+)")
def well_samples_of_image(q: Query):
    img = q.get("Image", int(q.match["id"]))
    if img is None:
        return []
    return [Row(q.build.well_sample(ws), ws.owner, ws.group)
            for ws in img.well_samples if q.visible(ws)]


# -- wells, filesets, pixels -------------------------------------------------------------

@pattern("gateway.Well.load",
         r"select well from Well as well join fetch well\.details\.creationEvent"
         r" join fetch well\.details\.owner join fetch well\.details\.group"
         r" left outer join fetch well\.wellSamples as ws"
         r" left outer join fetch ws\.image as img where well\.id = (?P<id>\d+)")
def well_with_samples(q: Query):
    well = q.get("Well", int(q.match["id"]))
    if well is None:
        return []
    return [Row(q.build.well(well, {"owner", "group", "wellSamples", "image"}),
                well.owner, well.group)]


@pattern("gateway.Fileset.images",
         r"select image from Image as image where image\.fileset\.id=:id")
def fileset_images(q: Query):
    fs = q.get("Fileset", int(q.param("id")))
    if fs is None:
        return []
    return [Row(q.build.image(i), i.owner, i.group) for i in fs.images if q.visible(i)]


@pattern("gateway.Fileset.usedFiles",
         r"select fse from FilesetEntry as fse join fetch fse\.originalFile"
         r" where fse\.fileset\.id=:id")
def fileset_entries(q: Query):
    fs = q.get("Fileset", int(q.param("id")))
    if fs is None:
        return []
    rows = []
    for f in fs.files:
        entry = q.build._new(omero.model.FilesetEntryI, f.entry_id, fs.owner, fs.group)
        entry.setFileset(omero.model.FilesetI(fs.id, False))
        entry.setOriginalFile(q.build.original_file(f))
        entry.setClientPath(omero.rtypes.rstring("/data/" + f.name))
        rows.append(Row(entry, fs.owner, fs.group))
    return rows


@pattern("gateway.getChannels.noRE",
         r"select p from Pixels p join fetch p\.channels as c"
         r" join fetch c\.logicalChannel as lc where p\.id=:pid")
def pixels_with_channels(q: Query):
    img = q.cat.pixels.get(int(q.param("pid")))
    if img is None or not q.visible(img):
        return []
    return [Row(q.build.pixels(img, {"pixelsType", "channels"}), img.owner, img.group)]


@pattern("gateway.getChannelLabels",
         r"select lc\.name, lc\.emissionWave\.value, index\(chan\) from Pixels p"
         r" join p\.image as img join p\.channels as chan join chan\.logicalChannel as lc"
         r" where img\.id = :id order by index\(chan\)")
def channel_labels(q: Query):
    img = q.get("Image", int(q.param("id")))
    if img is None or img.pixels is None:
        return []
    return [Row([to_rtype(ch.name), to_rtype(ch.emission_wave), omero.rtypes.rint(i)],
                img.owner, img.group) for i, ch in enumerate(img.pixels.channels)]


@pattern("gateway.getThumbVersion",
         r"select t\.version from Thumbnail t where t\.pixels\.id = :pid"
         r" and t\.details\.owner\.id = :ownerId")
def thumbnail_versions(q: Query):
    return []


def _memberships(q: Query, exp_obj, user, group_obj_for=None):
    maps = []
    for i, gid in enumerate(user.groups):
        m = omero.model.GroupExperimenterMapI(user.id * 1000 + gid, True)
        m.setParent(q.build.experimenter_group(gid))
        m.setChild(exp_obj if exp_obj is not None else omero.model.ExperimenterI(user.id,
                                                                               False))
        m.setOwner(omero.rtypes.rbool(False))
        maps.append(m)
    return maps


@pattern("gateway.getObjects.Experimenter",
         r"select obj from Experimenter as obj"
         r"(?P<fetch> left outer join fetch obj\.groupExperimenterMap"
         r" as groupExperimenterMap left outer join fetch groupExperimenterMap\.parent g)?"
         r"(?: join obj\.groupExperimenterMap groupExperimenterMap)?"
         r"(?: where (?P<where>.*))?")
def experimenters(q: Query):
    ids, group, name = None, None, None
    for clause in filter(None, (q.match["where"] or "").split(" and ")):
        if re.fullmatch(r"obj\.id in \(:ids\)", clause):
            ids = set(q.ids())
        elif re.fullmatch(r"groupExperimenterMap\.parent\.id = :group", clause):
            group = int(q.param("group"))
        elif re.fullmatch(r"obj\.omeName=:omeName", clause):
            name = q.param("omeName")
        else:
            raise omero.QueryException(None, None, "omero devserver: unknown clause "
                                       "%r in query: %s" % (clause, q.text))
    rows = []
    for u in sorted(q.cat.users.values(), key=lambda u: u.id):
        if ((ids is not None and u.id not in ids) or (group is not None and group
                                                         not in u.groups)
                or (name is not None and u.name != name)):
            continue
        obj = q.build.experimenter(u.id)
        if q.match["fetch"]:
            obj._groupExperimenterMapLoaded = True
            obj._groupExperimenterMapSeq = _memberships(q, obj, u)
        rows.append(Row(obj, u.id, -1))
    return rows


@pattern("gateway.getObjects.ExperimenterGroup",
         r"select obj from ExperimenterGroup as obj"
         r"(?P<fetch> left outer join fetch obj\.groupExperimenterMap as map"
         r" left outer join fetch map\.child e)?"
         r"(?: join obj\.groupExperimenterMap as map)?"
         r"(?: where (?P<where>.*))?")
def experimenter_groups(q: Query):
    ids, member, name = None, None, None
    for clause in filter(None, (q.match["where"] or "").split(" and ")):
        if re.fullmatch(r"obj\.id in \(:ids\)", clause):
            ids = set(q.ids())
        elif re.fullmatch(r"map\.child\.id = :experimenter", clause):
            member = q.cat.user(int(q.param("experimenter")))
        elif re.fullmatch(r"obj\.name=:name", clause):
            name = q.param("name")
        else:
            raise omero.QueryException(None, None, "omero devserver: unknown clause "
                                       "%r in query: %s" % (clause, q.text))
    rows = []
    for g in sorted(q.cat.groups.values(), key=lambda g: g.id):
        if ((ids is not None and g.id not in ids) or (name is not None and g.name != name)
                or (member is not None and g.id not in member.groups)):
            continue
        obj = q.build.experimenter_group(g.id)
        if q.match["fetch"]:
            obj._groupExperimenterMapLoaded = True
            obj._groupExperimenterMapSeq = [
                m for u in q.cat.users.values() if g.id in u.groups
                for m in _memberships(q, q.build.experimenter(u.id), u) if
                m.getParent().getId().getValue() == g.id]
        rows.append(Row(obj, -1, g.id))
    return rows


@pattern("gateway.Plate.gridSize",
         r"select max\(row\), max\(column\) from Well where plate\.id = :id")
def plate_grid_size(q: Query):
    plate = q.get("Plate", int(q.param("id")))
    wells = [w for w in plate.wells if q.visible(w)] if plate else []
    if not wells:
        return [Row([None, None])]
    return [Row([omero.rtypes.rint(max(w.row for w in wells)),
                 omero.rtypes.rint(max(w.column for w in wells))], plate.owner,
                plate.group)]


@pattern("gateway.WellSample.getParent",
         r"select w from Well w left outer join fetch w\.wellSamples as ws"
         r" where ws\.id=(?P<id>\d+)")
def well_of_sample(q: Query):
    ws = q.get("WellSample", int(q.match["id"]))
    if ws is None or not q.visible(ws.well):
        return []
    well = q.build.well(ws.well)
    well._wellSamplesLoaded = True
    well._wellSamplesSeq = [q.build.well_sample(ws, well=well)]
    return [Row(well, ws.well.owner, ws.well.group)]
