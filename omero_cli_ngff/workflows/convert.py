"""One OMERO image -> one OME-Zarr image: spec from the record, tiles from OMERO, and what
OMERO knows beyond pixels (ROIs as labels, annotations in the OME-XML) from a batched
reader of the images' metadata."""

from __future__ import annotations

import threading

from ..model.annotations_meta import MetadataChoices
from ..model.records import ImageRecord, RenderingInfo
from ..model.rois import LABEL_CHOICES
from ..ngff.spec import ImageExtras, ImageSpec, WriteOptions
from ..omero_io import identity
from ..omero_io.image_metadata import MetadataReader
from ..omero_io.query import QueryRunner
from ..omero_io.rendering import read_rendering, rendering_info
from ..omero_io.tile_source import OmeroTileSource


def image_spec(record: ImageRecord, rendering=None) -> ImageSpec:
    return ImageSpec(
        name=record.name, dtype=record.pixel_type,
        size_x=record.size_x, size_y=record.size_y, size_z=record.size_z,
        size_c=record.size_c, size_t=record.size_t,
        physical_x=record.physical_x, physical_y=record.physical_y,
        physical_z=record.physical_z, rendering=rendering,
    )


# The multiscales group of an image inside its bioformats2raw-layout root.
SERIES_PATH = "0"


def convert_image(conn, record: ImageRecord, target, options: WriteOptions, progress=None,
                  extras: ImageExtras | None = None, rendering: RenderingInfo | None = None,
                  stores: int | None = None):
    """Write one image to `target` (a zarr store or URL) as a bioformats2raw-layout root
    whose series `0/` is the image, with its ROIs as labels and its metadata in the
    OME-XML when `extras` has them; returns the image's WriteResult. `rendering`: the
    image's settings when read already for many images (`rendering_reader`); `stores`:
    at most that many RawPixelsStores read it (None: one per reader thread)."""
    from ..ngff.ome_xml import write_bioformats2raw

    # The source first: it says clearly when the server is still building a pyramid.
    with OmeroTileSource(conn, record, max_stores=stores) as source:
        spec = image_spec(record, rendering or rendering_info(conn, record))
        (result,) = write_bioformats2raw(target, [(spec, source)], options, progress,
                                         image_ids=[record.id], extras=[extras])
    return result


def rendering_reader(conn, records: list[ImageRecord]) -> dict[int, RenderingInfo]:
    """Image id -> rendering settings of many images, read at once (omero_io)."""
    return read_rendering(QueryRunner(conn), records, identity.user_id(conn))


def metadata_reader(conn, records: list[ImageRecord],
                    choices: MetadataChoices) -> MetadataReader:
    """The reader of the images' ROIs and annotations, batched (omero_io)."""
    return MetadataReader(QueryRunner(conn), [r.id for r in records], choices)


def extras_of(reader: MetadataReader | None, record: ImageRecord,
              choices: MetadataChoices) -> ImageExtras | None:
    """What the image's copy carries besides pixels (None without a reader)."""
    if reader is None:
        return None
    return ImageExtras(reader.get(record.id), LABEL_CHOICES[choices.labels])


def convert_plate(conn, layout, records: dict, target, options: WriteOptions,
                  progress=None) -> dict:
    """Write one NGFF plate; returns {"A/1/0": (image id, WriteResult)}.

    Fields are written one after the other, each with its own tile readers, opened
    when the writer reaches the field and closed before the next one opens.
    """
    from ..ngff.plate import FieldSpec, PlateSpec, WellSpec, write_plate

    sources = _OneSourceAtATime(conn)
    wells, paths = [], {}
    # the settings of every field in a few queries per 1,000 fields (not per field)
    rendering = rendering_reader(conn, list(records.values()))
    for well in layout.wells:
        fields = []
        for image_id, acquisition in well.fields:
            record = records.get(image_id)
            if record is None or not record.has_pixels:
                continue
            paths[f"{well.row}/{well.column}/{len(fields)}"] = image_id
            spec = image_spec(record, rendering[image_id])
            fields.append(FieldSpec(spec=spec, source=sources.lazy(record),
                                    acquisition=acquisition, image_id=image_id))
        wells.append(WellSpec(well.row, well.column, fields))
    plate = PlateSpec(layout.name, layout.rows, layout.columns, wells, layout.acquisitions)
    try:
        result = write_plate(target, plate, options, progress)
    finally:
        sources.close()
    return {path: (paths[path], written) for path, written in result.images.items()}


class _OneSourceAtATime:
    """Opens a field's tile source on first use and closes the previous field's."""

    def __init__(self, conn):
        self.conn = conn
        self.record = None
        self.source = None
        self.lock = threading.Lock()

    def open(self, record) -> OmeroTileSource:
        with self.lock:
            if self.record is not record:
                self.close()
                self.source, self.record = OmeroTileSource(self.conn, record), record
            return self.source

    def lazy(self, record) -> _LazySource:
        return _LazySource(self, record)

    def close(self):
        if self.source is not None:
            self.source.close()
        self.source = self.record = None


class _LazySource:
    """A TileSource whose OMERO readers open only when the writer first needs them."""

    def __init__(self, opener: _OneSourceAtATime, record: ImageRecord):
        self.opener, self.record = opener, record

    @property
    def levels(self):
        return self.opener.open(self.record).levels

    @property
    def tile_size(self):
        return self.opener.open(self.record).tile_size

    def level_tile_size(self, level):
        return self.opener.open(self.record).level_tile_size(level)

    def read(self, *region):
        return self.opener.open(self.record).read(*region)
