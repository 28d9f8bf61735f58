"""Every HQL query the plugin sends, in one place.

The dev server (test_infra) answers exactly these patterns, so a query added here needs
its pattern there, with a test. Queries are batched by id lists (`:ids`) and ordered,
so that they can be paged with ParametersI.page(offset, limit).

Every query has a pedigree (query_pedigree.py): OMERO's or omero-py's own code sends
the same HQL forms (joins, functions, projections), so each form is known to run on
OMERO 5.6's Hibernate. A new query needs its entry there (tests/omero_io fail without).
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
        "select distinct dil.child.id from DatasetImageLink dil join dil.parent d"
        " join d.projectLinks pdl where pdl.parent.id in (:ids) order by dil.child.id"
    ),
    "Screen": (
        "select distinct ws.image.id from WellSample ws join ws.well w join w.plate p"
        " join p.screenLinks spl where spl.parent.id in (:ids) order by ws.image.id"
    ),
    "Plate": (
        "select distinct ws.image.id from WellSample ws join ws.well w"
        " where w.plate.id in (:ids) order by ws.image.id"
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

# Managed-repository paths of the files of filesets, in the order of the fileset's
# list of entries (Fileset.usedFiles is an indexed list; its first entry is the file
# the import started from, the main file).
FILESET_FILES = (
    "select fs.id, f.path, f.name from Fileset fs join fs.usedFiles fe"
    " join fe.originalFile f where fs.id in (:ids) order by fs.id, index(fe)"
)

# Links from images to the map annotations of one namespace (":ns"), as rows:
# image id, link id, annotation id, annotation owner id, annotation group id.
ANNOTATION_LINKS = (
    "select l.parent.id, l.id, a.id, a.details.owner.id, a.details.group.id"
    " from ImageAnnotationLink l join l.child a"
    " where a.ns = :ns and a.class = MapAnnotation and l.parent.id in (:ids)"
    " order by l.id"
)

# Map annotations as objects: their pairs come in the order of the list, as omero-py's
# MapAnnotationWrapper.getValue gives them (the wrapper's own query).
MAP_ANNOTATIONS = (
    "select obj from MapAnnotation obj join fetch obj.details.owner as owner"
    " join fetch obj.details.creationEvent where obj.id in (:ids) order by obj.id"
)

# Reverse lookup: images whose annotation in ":ns" has zarr_path = ":url".
IMAGES_BY_URL = (
    "select distinct l.parent.id from ImageAnnotationLink l join l.child a"
    " join a.mapValue mv where a.ns = :ns and mv.name = :key and mv.value = :url"
    " order by l.parent.id"
)

# Ownership evidence: images whose annotation in ":ns" has a zarr_path (":key") starting
# with a URL (":prefix": the URL with LIKE's '%', '_' and '\' escaped by a backslash,
# then '%', as omero-mapr searches values).
IMAGES_UNDER_URL = (
    "select l.parent.id, mv.value from ImageAnnotationLink l join l.child a"
    " join a.mapValue mv where a.ns = :ns and mv.name = :key and mv.value like :prefix"
    " order by l.parent.id"
)

# Plate layouts for NGFF plates, as projections (model objects of well samples cost
# about 3 ms each to build and decode: 45 s for a screen of 15,360 fields).
# The plates: id, name, rows, columns and how rows and columns are named.
PLATE_DETAILS = (
    "select p.id, p.name, p.rows, p.columns, p.rowNamingConvention,"
    " p.columnNamingConvention from Plate p where p.id in (:ids) order by p.id"
)

# Their fields in well-sample order: plate id, image id, well row and column (0-based
# indices), acquisition id and name (or nulls).
PLATE_SAMPLES = (
    "select w.plate.id, ws.image.id, w.row, w.column, pa.id, pa.name from WellSample ws"
    " join ws.well w left outer join ws.plateAcquisition pa"
    " where w.plate.id in (:ids) order by ws.id"
)

# Every well of plates, with or without images (an NGFF plate lists empty wells too):
# plate id, row, column (0-based indices).
WELL_POSITIONS = (
    "select w.plate.id, w.row, w.column from Well w"
    " where w.plate.id in (:ids) order by w.id"
)

# The plates that images are fields of (publish writes the whole plate of any field):
# image id, plate id.
PLATES_OF_IMAGES = (
    "select ws.image.id, w.plate.id from WellSample ws join ws.well w"
    " where ws.image.id in (:ids) order by ws.id"
)

# The screens of plates ({screen_id} of a plate's path): plate id, screen id.
PLATE_SCREENS = (
    "select l.child.id, l.parent.id from ScreenPlateLink l"
    " where l.child.id in (:ids) order by l.id"
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

# The key-value pairs of the annotations of ":ns" on images, one row per pair (the
# join of omero-py's getObjectsByMapAnnotations, left outer: an annotation without
# pairs gives one row with nulls). The pairs of one annotation come in no defined
# order: readers take values by key.
ANNOTATION_VALUES = (
    "select l.parent.id, a.id, mv.name, mv.value from ImageAnnotationLink l"
    " join l.child a left outer join a.mapValue mv"
    " where a.ns = :ns and l.parent.id in (:ids) order by l.id"
)

# Channels of images for the NGFF `omero` block, in channel order (index() of the
# Pixels' list of channels, as omero-py's ImageWrapper.getChannelLabels): index, name,
# emission wavelength (value only, as the gateway reads it), colour, statistics.
CHANNELS = (
    "select img.id, index(chan), lc.name, lc.emissionWave.value, chan.red, chan.green,"
    " chan.blue, si.globalMin, si.globalMax from Pixels p join p.image as img"
    " join p.channels as chan join chan.logicalChannel as lc"
    " left outer join chan.statsInfo as si where img.id in (:ids)"
    " order by img.id, index(chan)"
)

# Rendering settings of images (omero-server PixelsImpl.retrieveAllRndSettings, as a
# projection for many images at once): one row per channel binding of every settings
# object, newest first per image as the server orders them (its update time), so that
# the reader picks the caller's, else the image owner's (retrieveRndSettings).
RENDERING_SETTINGS = (
    "select img.id, rdef.id, rdef.details.owner.id, rdef.defaultZ, rdef.defaultT, m.value,"
    " index(cb), cb.active, cb.red, cb.green, cb.blue, cb.inputStart, cb.inputEnd, f.value,"
    " cb.coefficient from RenderingDef rdef join rdef.pixels p join p.image img"
    " join rdef.model m join rdef.waveRendering cb join cb.family f where img.id in (:ids)"
    " order by img.id, rdef.details.updateEvent.time desc, rdef.id desc, index(cb)"
)

# The channel bindings of those settings that invert intensities: a ReverseIntensityContext
# among the binding's codomain maps (omero-server's Renderer counts its presence).
REVERSED_CHANNELS = (
    "select rdef.id, index(cb) from RenderingDef rdef join rdef.pixels p join p.image img"
    " join rdef.waveRendering cb join cb.spatialDomainEnhancement ctx"
    " where img.id in (:ids) and ctx.class = ReverseIntensityContext"
    " order by rdef.id, index(cb)"
)

# Publish defaults kept on a group (config.py): the map annotations of ":ns" linked to
# the group, with their owners (only an admin's or a group owner's count).
GROUP_DEFAULTS = (
    "select a.id, a.details.owner.id from ExperimenterGroupAnnotationLink l join l.child a"
    " where l.parent.id in (:ids) and a.ns = :ns and a.class = MapAnnotation order by a.id"
)

# Members of groups: (group, user, is an owner of the group).
GROUP_MEMBERS = (
    "select m.parent.id, m.child.id, m.owner from GroupExperimenterMap m"
    " where m.parent.id in (:ids) order by m.id"
)

# The plates of screens (export writes one NGFF plate per OMERO plate).
SCREEN_PLATES = (
    "select distinct l.child.id from ScreenPlateLink l"
    " where l.parent.id in (:ids) order by l.child.id"
)


# The public index: where images sit in OMERO (omero-web's marshal_lineage joins, with
# names): one row per dataset-and-project and well-and-screen an image is in (left
# outer: an orphan image gives one row of nulls); the well's row and column index.
CONTAINER_NAMES = (
    "select img.id, prj.name, dset.name, scr.name, plt.name, w.row, w.column,"
    " plt.rowNamingConvention, plt.columnNamingConvention"
    " from Image img left outer join img.datasetLinks dil left outer join dil.parent dset"
    " left outer join dset.projectLinks pdl left outer join pdl.parent prj"
    " left outer join img.wellSamples smp left outer join smp.well w"
    " left outer join w.plate plt left outer join plt.screenLinks spl"
    " left outer join spl.parent scr where img.id in (:ids) order by img.id"
)

# -- what a copy carries beyond pixels (omero_io/rois.py, image_metadata.py) ------------

# Description and acquisition date of images (ms since the epoch, or null).
IMAGE_DETAILS = (
    "select i.id, i.description, i.acquisitionDate from Image i"
    " where i.id in (:ids) order by i.id"
)

# ROIs per image (OMERO.web's child counts, written for Roi): which images have ROIs,
# and how many, to cut the ROI reads into batches under the Ice message limit.
ROI_COUNTS = (
    "select roi.image.id, count(roi.id) from Roi roi"
    " where roi.image.id in (:ids) group by roi.image.id"
)

# The sizes of the masks of images: a mask's bytes are width x height bits, the bulk
# of a ROI answer (one row per mask, paged).
MASK_SIZES = (
    "select r.image.id, m.width, m.height from Mask m join m.roi r"
    " where r.image.id in (:ids) order by m.id"
)

# The ROIs of images with their shapes (masks with their bytes) and the shapes'
# transforms: the HQL of IRoi.findByImage (omero-blitz RoiI) for a list of images.
ROIS_OF_IMAGES = (
    "select distinct r from Roi r join r.image i join fetch r.shapes shapes"
    " left outer join fetch shapes.transform"
    " left outer join fetch r.folderLinks folderLinks"
    " left outer join fetch folderLinks.parent folder"
    " where i.id in (:ids) order by r.id asc"
)

# The annotations of images and of ROIs, every kind, as OMERO.web's annotation panel
# reads them (links with their annotation; "{type}" is Image or Roi).
ANNOTATIONS_OF = {
    kind: (
        f"select oal from {kind}AnnotationLink as oal"
        " join fetch oal.details.creationEvent join fetch oal.details.owner"
        " left outer join fetch oal.child as ch left outer join fetch oal.parent as pa"
        " join fetch ch.details.creationEvent join fetch ch.details.owner"
        " left outer join fetch ch.file as file where pa.id in (:ids) order by ch.ns"
    )
    for kind in ("Image", "Roi")
}


def named_queries() -> dict[str, str]:
    """Every query of this module by name (``IMAGE_IDS.Dataset`` for the entries of the
    tables; ``{type}`` left in, as the text the pedigree covers)."""
    found: dict[str, str] = {}
    for name, value in globals().items():
        if not name.isupper():
            continue
        if isinstance(value, str):
            found[name] = value
        elif isinstance(value, dict):
            found.update({f"{name}.{key}": text for key, text in value.items()})
    return found
