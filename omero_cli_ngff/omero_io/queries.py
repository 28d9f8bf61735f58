"""Every HQL query the plugin sends, in one place.

The dev server (test_infra) answers exactly these patterns, so a query added here needs
its pattern there, with a test. Queries are batched by id lists (`:ids`) and ordered,
so that they can be paged with ParametersI.page(offset, limit).
"""

# Which of the given ids exist and are readable: "{type}" is one of
# model.objects.CONTAINER_TYPES.
EXISTING_IDS = "select o.id from {type} o where o.id in (:ids) order by o.id"


# Object type -> query for the ids of the images under objects of that type.
IMAGE_IDS = {
    "Image": "select i.id from Image i where i.id in (:ids) order by i.id",
    "Dataset": (
        "select distinct l.child.id from DatasetImageLink l"
        " where l.parent.id in (:ids) order by l.child.id"
    ),
    "Project": (
        "select distinct dl.child.id from DatasetImageLink dl, ProjectDatasetLink pl"
        " where pl.child.id = dl.parent.id and pl.parent.id in (:ids)"
        " order by dl.child.id"
    ),
    "Screen": (
        "select distinct ws.image.id from WellSample ws, ScreenPlateLink sl"
        " where sl.child.id = ws.well.plate.id and sl.parent.id in (:ids)"
        " order by ws.image.id"
    ),
    "Plate": (
        "select distinct ws.image.id from WellSample ws"
        " where ws.well.plate.id in (:ids) order by ws.image.id"
    ),
    "Well": (
        "select distinct ws.image.id from WellSample ws"
        " where ws.well.id in (:ids) order by ws.image.id"
    ),
    "Fileset": "select i.id from Image i where i.fileset.id in (:ids) order by i.id",
}

# Images as rows of scalars (no object graphs): what a record needs, pixels may be
# missing (left outer joins). One row per image (an image has one Pixels since 5.0).
IMAGE_ROWS = (
    "select i.id, i.name, i.series, o.id, o.omeName, i.details.group.id, f.id,"
    " p.id, p.sizeX, p.sizeY, p.sizeZ, p.sizeC, p.sizeT, pt.value"
    " from Image i join i.details.owner o left outer join i.fileset f"
    " left outer join i.pixels p left outer join p.pixelsType pt"
    " where i.id in (:ids) order by i.id"
)

# Physical pixel sizes of images. A Length projected whole comes back as a map
# {value, unit, symbol, string} (the server's IceMapper.toRType for ome.model.units.Unit).
PHYSICAL_SIZES = (
    "select p.image.id, p.physicalSizeX, p.physicalSizeY, p.physicalSizeZ"
    " from Pixels p where p.image.id in (:ids) order by p.image.id"
)

# Groups with their permissions (as objects: details.permissions cannot be projected).
GROUPS = "select g from ExperimenterGroup g where g.id in (:ids) order by g.id"

# Managed-repository paths of the files of filesets (the first entry is the main file).
FILESET_FILES = (
    "select fe.fileset.id, fe.originalFile.path, fe.originalFile.name"
    " from FilesetEntry fe where fe.fileset.id in (:ids) order by fe.id"
)

# Links from images to the map annotations of one namespace (":ns"), as rows:
# image id, link id, annotation id, annotation owner id, annotation group id.
ANNOTATION_LINKS = (
    "select l.parent.id, l.id, a.id, a.details.owner.id, a.details.group.id"
    " from ImageAnnotationLink l join l.child a"
    " where a.ns = :ns and a.class = MapAnnotation and l.parent.id in (:ids)"
    " order by l.id"
)

# The key-value pairs of map annotations, in their order (index of the list).
MAP_VALUES = (
    "select a.id, index(mv), mv.name, mv.value from MapAnnotation a join a.mapValue mv"
    " where a.id in (:ids) order by a.id, index(mv)"
)

# Reverse lookup: images whose annotation in ":ns" has zarr_path = ":url".
IMAGES_BY_URL = (
    "select distinct l.parent.id from ImageAnnotationLink l join l.child a"
    " join a.mapValue mv where a.ns = :ns and mv.name = :key and mv.value = :url"
    " order by l.parent.id"
)

# Ownership evidence: images whose annotation in ":ns" has a zarr_path (":key") starting
# with a URL (":prefix" is the URL followed by '%'; LIKE's own wildcards in it match
# more, never less: the caller keeps the values that really start with the URL).
IMAGES_UNDER_URL = (
    "select l.parent.id, mv.value from ImageAnnotationLink l join l.child a"
    " join a.mapValue mv where a.ns = :ns and mv.name = :key and mv.value like :prefix"
    " order by l.parent.id"
)

# Plate layout for NGFF plates: well samples with their well, plate and acquisition.
PLATE_LAYOUT = (
    "select ws from WellSample ws join fetch ws.well w join fetch w.plate p"
    " left outer join fetch ws.plateAcquisition where p.id in (:ids) order by ws.id"
)

# Orphans (verify --orphans): every zarr_path (":key") of the namespace ":ns" the user
# can read, whichever image it is on.
ANNOTATED_URLS = (
    "select distinct mv.value from ImageAnnotationLink l join l.child a"
    " join a.mapValue mv where a.ns = :ns and mv.name = :key order by mv.value"
)

# locate: projections only (no model objects to build and unmarshal: for 10,000 images
# that costs tens of seconds of client CPU in omero-py).
# Names of images.
IMAGE_NAMES = "select i.id, i.name from Image i where i.id in (:ids) order by i.id"

# The key-value pairs of the annotations of ":ns" on images, one row per pair, in
# order; an annotation without pairs gives one row with nulls (left outer join).
ANNOTATION_VALUES = (
    "select l.parent.id, a.id, mv.name, mv.value from ImageAnnotationLink l"
    " join l.child a left outer join a.mapValue mv"
    " where a.ns = :ns and l.parent.id in (:ids) order by l.id, index(mv)"
)

# The plates of screens (export writes one NGFF plate per OMERO plate).
SCREEN_PLATES = (
    "select distinct l.child.id from ScreenPlateLink l"
    " where l.parent.id in (:ids) order by l.child.id"
)
