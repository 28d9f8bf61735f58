"""Where each query of queries.py comes from: OMERO or omero-py code sending the same
HQL forms, so that each form is known to run on OMERO 5.6's Hibernate.

The dev server answers queries from a table of patterns: it cannot tell whether a query
would run on a real server. A pedigree can: every construct of a plugin query (the
kinds of join, functions such as ``index()``, discriminators, id lists, distinct,
object or projection) is used by at least one of the sources its entry cites, in the
query sent there (the ``hql`` kept here is that query's text, shortened to the parts
that show the forms). ``constructs`` finds them; tests/omero_io/test_query_pedigree.py
fails when a query has no entry or uses a construct none of its sources shows.

Sources were read from: ome/omero-py (``src/omero/gateway/__init__.py``,
``src/omero/plugins/fs.py``), ome/omero-web (``omeroweb/webclient/tree.py``,
``omeroweb/api/api_query.py``), ome/omero-server (``src/main/java/ome/logic/AdminImpl.java``,
``PixelsImpl.java``), ome/omero-mapr (``omero_mapr/tree.py``), ome/omero-blitz
(``RoiI.java``, read from a fork's copy of it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    repo: str
    path: str
    where: str          # the class or function that sends the query
    hql: str            # the query it sends (the parts that show its forms)


GATEWAY = "src/omero/gateway/__init__.py"
TREE = "omeroweb/webclient/tree.py"

MAP_ANNOTATION_JOIN = Source(
    "ome/omero-py", GATEWAY, "BlitzGateway.getObjectsByMapAnnotations",
    "select distinct obj.id from ImageAnnotationLink ial join ial.child ann"
    " join ann.mapValue mv join ial.parent obj"
    " where mv.name = :name and mv.value = :value and ann.ns = :ns")
MAP_ANNOTATION_OBJECTS = Source(
    "ome/omero-py", GATEWAY, "MapAnnotationWrapper._getQueryString with buildQuery "
    "(getObjects('MapAnnotation', ids)); getValue() reads the pairs in list order",
    "select obj from MapAnnotation obj join fetch obj.details.owner as owner"
    " join fetch obj.details.creationEvent where obj.id in (:ids)")
LINEAGE = Source(
    "ome/omero-web", TREE, "marshal_lineage",
    "select img.id, dset.id, pdl.parent.id, smp.well.id, plt.id, spl.parent.id"
    " from Image img left outer join img.datasetLinks dil left outer join dil.parent dset"
    " left outer join img.wellSamples smp left outer join dset.projectLinks pdl"
    " left outer join smp.well.plate plt left outer join plt.screenLinks spl"
    " where img.id in (:ids)")
SHARES = Source(
    "ome/omero-web", TREE, "marshal_shares",
    "select distinct mem.parent.id, mem.parent.active, mem.parent.owner.id"
    " from ShareMember mem where mem.parent.itemCount > 0 order by mem.parent.id")
IMAGES = Source(
    "ome/omero-web", TREE, "marshal_images",
    "select new map(image.id as id, image.name as name, image.details.owner.id as ownerId,"
    " image.fileset.id as filesetId, pix.sizeX as sizeX) from Image image"
    " left outer join image.pixels pix join image.datasetLinks dlink"
    " where dlink.parent.id = :did order by lower(image.name), image.id")
ANNOTATIONS = Source(
    "ome/omero-web", TREE, "marshal_annotations",
    "select oal from ImageAnnotationLink as oal join fetch oal.details.owner"
    " left outer join fetch oal.child as ch left outer join fetch oal.parent as pa"
    " where pa.id in (:ids) and ch.class=MapAnnotation and ch.ns=:ns order by ch.ns")
TAGS = Source(
    "ome/omero-web", TREE, "marshal_tags",
    "select new map(aalink.child.id as id, aalink.child.details.owner.id as ownerId)"
    " from AnnotationAnnotationLink aalink where aalink.parent.class=TagAnnotation"
    " and aalink.parent.id=:tid order by aalink.child.id")
CHANNEL_LABELS = Source(
    "ome/omero-py", GATEWAY, "ImageWrapper.getChannelLabels",
    "select lc.name, lc.emissionWave.value, index(chan) from Pixels p"
    " join p.image as img join p.channels as chan join chan.logicalChannel as lc"
    " where img.id = :id order by index(chan)")
RND_SETTINGS = Source(
    "ome/omero-server", "src/main/java/ome/logic/PixelsImpl.java",
    "PixelsImpl.retrieveAllRndSettings (RENDERING_DEF_QUERY_PREFIX), the query behind "
    "retrieveRndSettings and a rendering engine's lookupRenderingDef",
    "select rdef from RenderingDef as rdef left outer join fetch rdef.details.owner"
    " left outer join fetch rdef.model left outer join fetch rdef.waveRendering as cb"
    " left outer join fetch cb.family left outer join fetch cb.spatialDomainEnhancement"
    " where rdef.pixels.id = :p_id and rdef.details.owner.id = :o_id"
    " order by rdef.details.updateEvent.time desc")
FS_FILES = Source(
    "ome/omero-py", "src/omero/plugins/fs.py", "FsControl (sets: checksums of a fileset; "
    "images: sizes of their files)",
    "select h.value, f.hash from Fileset fs join fs.usedFiles uf join uf.originalFile f"
    " join f.hasher h where fs.id = :id;"
    " select i.id, i.name, fs.id from Image i join i.pixels p"
    " left outer join i.fileset as fs left outer join fs.usedFiles as uf"
    " left outer join uf.originalFile as f2")
PLATE_WELLS = Source(
    "ome/omero-py", GATEWAY, "_PlateWrapper._listChildren",
    "select well from Well as well join fetch well.details.owner"
    " left outer join fetch well.plate as pt left outer join fetch well.wellSamples as ws"
    " left outer join fetch ws.image as img where well.plate.id = :oid")
FILESET_IMAGES = Source(
    "ome/omero-py", GATEWAY, "FilesetWrapper._loadImages",
    "select image from Image as image where image.fileset.id=:id")
GROUP_OBJECTS = Source(
    "ome/omero-py", GATEWAY, "ExperimenterGroupWrapper._getQueryString with buildQuery "
    "(getObjects('ExperimenterGroup', ids))",
    "select obj from ExperimenterGroup as obj where obj.id in (:ids)")
MAPR_VALUES = Source(
    "ome/omero-mapr", "omero_mapr/tree.py", "marshal_mapannotations with _set_parameters "
    "(query=True: the value's '%' and '_' escaped with a backslash, then '%...%')",
    "select mv.value, count(distinct i.id) from ImageAnnotationLink ial join ial.child a"
    " join a.mapValue mv join ial.parent i where a.ns in (:ns) and mv.value like :query"
    " group by mv.value order by count(distinct i.id) DESC")
GROUP_LEADERS = Source(
    "ome/omero-server", "src/main/java/ome/logic/AdminImpl.java",
    "AdminImpl.getLeaderOfGroupIds",
    "select g.id from ExperimenterGroup g join g.groupExperimenterMap m"
    " where m.owner = true and m.parent.id = g.id and m.child.id = :id")
CHILD_COUNTS = Source(
    "ome/omero-web", "omeroweb/api/api_query.py", "get_child_counts",
    "select chl.parent.id, count(chl.id) from ProjectDatasetLink chl"
    " where chl.parent.id in (:ids) group by chl.parent.id")
FIND_BY_IMAGE = Source(
    "ome/omero-blitz", "src/main/java/ome/services/blitz/impl/RoiI.java",
    "RoiI.findByImage (IRoi; omero-cli-zarr's masks and omero-cli-transfer call it)",
    "select distinct r from Roi r join r.image i join fetch r.shapes shapes"
    " left outer join fetch r.folderLinks folderLinks"
    " left outer join fetch folderLinks.parent folder where i.id = :id order by r.id asc")

# Query name (queries.named_queries()) -> the sources whose forms it uses.
PEDIGREE: dict[str, tuple[Source, ...]] = {
    "EXISTING_IDS": (LINEAGE, SHARES),
    "IMAGE_IDS.Image": (LINEAGE, SHARES),
    "IMAGE_IDS.Dataset": (SHARES, LINEAGE),
    "IMAGE_IDS.Project": (SHARES, LINEAGE, CHANNEL_LABELS),
    "IMAGE_IDS.Screen": (SHARES, LINEAGE, CHANNEL_LABELS),
    "IMAGE_IDS.Plate": (SHARES, LINEAGE, CHANNEL_LABELS),
    "IMAGE_IDS.Well": (SHARES, LINEAGE),
    "IMAGE_IDS.Fileset": (LINEAGE, FILESET_IMAGES, SHARES),
    "IMAGE_ROWS": (IMAGES, LINEAGE, CHANNEL_LABELS),
    "PHYSICAL_SIZES": (IMAGES, LINEAGE),
    "GROUPS": (GROUP_OBJECTS, ANNOTATIONS),
    "FILESET_FILES": (FS_FILES, CHANNEL_LABELS, LINEAGE),
    "ANNOTATION_LINKS": (ANNOTATIONS, TAGS, CHANNEL_LABELS),
    "MAP_ANNOTATIONS": (MAP_ANNOTATION_OBJECTS, ANNOTATIONS),
    "IMAGES_BY_URL": (MAP_ANNOTATION_JOIN, SHARES),
    "IMAGES_UNDER_URL": (MAP_ANNOTATION_JOIN, MAPR_VALUES, SHARES),
    "PLATE_DETAILS": (LINEAGE, SHARES),
    "PLATE_SAMPLES": (LINEAGE, PLATE_WELLS, CHANNEL_LABELS, SHARES),
    "ANNOTATED_URLS": (MAP_ANNOTATION_JOIN, SHARES),
    "IMAGE_NAMES": (LINEAGE, SHARES),
    "ANNOTATION_VALUES": (MAP_ANNOTATION_JOIN, FS_FILES, LINEAGE, SHARES),
    "SCREEN_PLATES": (SHARES, LINEAGE),
    "WELL_POSITIONS": (PLATE_WELLS, LINEAGE, SHARES),
    "PLATES_OF_IMAGES": (LINEAGE, SHARES, CHANNEL_LABELS),
    "PLATE_SCREENS": (SHARES, LINEAGE),
    "CHANNELS": (CHANNEL_LABELS, LINEAGE),
    "RENDERING_SETTINGS": (RND_SETTINGS, CHANNEL_LABELS, LINEAGE),
    "REVERSED_CHANNELS": (RND_SETTINGS, CHANNEL_LABELS, LINEAGE, ANNOTATIONS),
    "GROUP_DEFAULTS": (ANNOTATIONS, TAGS, IMAGES),
    "GROUP_MEMBERS": (GROUP_LEADERS, LINEAGE, SHARES),
    "IMAGE_DETAILS": (LINEAGE, SHARES),
    "CONTAINER_NAMES": (LINEAGE, SHARES),
    "ROI_COUNTS": (CHILD_COUNTS,),
    "MASK_SIZES": (CHANNEL_LABELS, LINEAGE),
    "ROIS_OF_IMAGES": (FIND_BY_IMAGE, LINEAGE),
    "ANNOTATIONS_OF.Image": (ANNOTATIONS,),
    "ANNOTATIONS_OF.Roi": (ANNOTATIONS,),
}


# What a pedigree does not show: forms whose evidence is the server's code rather than
# a client sending the same query.
GAPS: dict[str, str] = {
    "PHYSICAL_SIZES": "projects whole Length fields (p.physicalSizeX): no client code found "
                      "doing so; omero-blitz IceMapper turns a projected unit into a map "
                      "{value, unit, symbol} (read from its source, not run on a server)",
    "CHANNELS": "projects lc.emissionWave.value as omero-py's getChannelLabels does "
                "(the unit ignored, as there)",
    "RENDERING_SETTINGS": "index(cb) over RenderingDef.waveRendering: the model's ordered "
                          "list (omero-server RenderingBean reads getChannelBinding(i)); "
                          "no client code found projecting its index",
    "REVERSED_CHANNELS": "ctx.class = ReverseIntensityContext on ChannelBinding's "
                         "spatialDomainEnhancement: the subclass the server's Renderer "
                         "tests for (instanceof); no client query found naming it",
}


_ALIAS_PATH = re.compile(r"\b([a-z]\w*)((?:\.\w+)+)")


def constructs(hql: str) -> set[str]:
    """The HQL forms a query uses (approximately: enough to tell one form from
    another, not a parser)."""
    text = " ".join(hql.replace("\n", " ").split())
    low = text.lower()
    found: set[str] = set()
    select = low.split(" from ", 1)[0]
    items = select[len("select "):].replace("distinct ", "").split(",")
    bare = len(items) == 1 and "." not in items[0] and "(" not in items[0]
    found.add("object" if bare else "projection")
    checks = {
        "distinct": r"\bselect distinct\b",
        "join fetch": r"(?<!outer )\bjoin fetch\b",
        "left outer join fetch": r"\bleft outer join fetch\b",
        "left outer join": r"\bleft outer join (?!fetch)",
        "join": r"(?<!outer )(?<!left )\bjoin (?!fetch)",
        "theta join": r"\bfrom \w+ (?:as )?\w+ ?,",
        "index()": r"\bindex\(",
        "count()": r"\bcount\(",
        "group by": r"\bgroup by\b",
        "class discriminator": r"\.class ?!?=",
        "id list": r"\bin \(:\w+\)",
        "order by": r"\border by\b",
    }
    found |= {name for name, regex in checks.items() if re.search(regex, low)}
    if any(_implicit_join(path) for path in _paths(text)):
        found.add("implicit join")
    return found


def _paths(text: str) -> list[list[str]]:
    """The property paths after an alias (``ws.well.plate.id`` -> well, plate, id),
    ``details`` left out (a component, not a join)."""
    out = []
    for match in _ALIAS_PATH.finditer(text):
        parts = [p for p in match.group(2).split(".")[1:] if p != "details"]
        out.append(parts)
    return out


def _implicit_join(parts: list[str]) -> bool:
    """A path that Hibernate resolves with a join of its own: more than one step, unless
    the second is the id of the first (a foreign key column, no join)."""
    return len(parts) > 2 or (len(parts) == 2 and parts[1] != "id")
