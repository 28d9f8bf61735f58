"""The bioformats2raw layout: a root group marked ``bioformats2raw.layout: 3``, images
``0/``, ``1/``..., and ``OME/METADATA.ome.xml`` (+ the ``OME`` group's ``series``)
describing them, built with ome-types from plain values (with each image's ROIs,
annotations, description and date: ``ome_metadata``; images without ROIs and
annotations as the same text without ome-types: ``ome_xml_plain``), and, under each image, its ROIs
as NGFF labels (``labels``).

This is the layout bioformats2raw and OMERO's zarr tools produce and read; readers
that do not know it still find each image as a plain NGFF image group.
Order of writing: images (each resumable, see ``writer``), then the OME-XML and the
``OME`` group, then the root attributes last, so the root only claims the layout when
everything under it is complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

import zarr
from zarr.abc.store import Store

from ..model.annotations_meta import ImageMetadata
from ..model.ngff_versions import ngff_version
from . import metadata as md
from . import store as st
from .errors import UnsupportedPixelTypeError
from .ome_xml_plain import (
    NOT_XML,
    OME_TYPES,
    ORDERS,
    channel_infos,
    is_plain,
    physical_sizes,
    plain_ome_xml,
)
from .spec import ImageExtras, ImageSpec, ProgressCallback, TileSource, WriteOptions, WriteResult
from .writer import open_collection, write_image

if TYPE_CHECKING:
    from ome_types import OME


def ome_model(images: Sequence[ImageSpec],
              metadata: Sequence[ImageMetadata | None] | None = None) -> OME:
    """An ``ome_types.OME`` describing ``images`` (index i is image ``i/``), with each
    one's ROIs, annotations, description and date where ``metadata`` has them."""
    from ome_types import model

    from .ome_metadata import add_metadata

    out = []
    for i, spec in enumerate(images):
        ptype = spec.pixel_type
        if ptype not in OME_TYPES:
            raise UnsupportedPixelTypeError(f"{spec.name!r}: OME-XML has no pixel type {ptype}")
        phys: dict[str, Any] = {}     # physical sizes and units, where known
        for axis, value, symbol in physical_sizes(spec):
            phys[f"physical_size_{axis}"] = value
            phys[f"physical_size_{axis}_unit"] = model.UnitsLength(symbol)
        channels = []
        for c, ch in enumerate(channel_infos(spec)):
            channels.append(model.Channel(
                id=f"Channel:{i}:{c}", name=ch.label, samples_per_pixel=1,
                color=model.Color("#" + md.hex_color(ch.color))))
        order = spec.dimension_order if spec.dimension_order in ORDERS else "XYZCT"
        pixels = model.Pixels(
            id=f"Pixels:{i}", dimension_order=model.Pixels_DimensionOrder(order),
            type=model.PixelType(ptype), size_x=spec.size_x, size_y=spec.size_y,
            size_z=spec.size_z, size_c=spec.size_c, size_t=spec.size_t,
            big_endian=False, channels=channels, metadata_only=model.MetadataOnly(), **phys)
        out.append(model.Image(id=f"Image:{i}", name=spec.name, pixels=pixels))
    ome = model.OME(images=out, creator="omero-cli-ngff")
    for image, meta in zip(out, metadata or ()):
        if meta is not None:
            add_metadata(ome, image, meta)
    return ome


# A plate for the OME-XML: (name, row count, column count, wells as (row index,
# column index, indices of its field images among the images), acquisitions as
# (id, name or None, indices of their field images)).
PlateXml = tuple[str, int, int, list[tuple[int, int, list[int]]],
                 list[tuple[int, str | None, list[int]]]]


def add_plate(ome: OME, plate: PlateXml) -> None:
    """The Plate element, its wells (empty ones too) and well samples referring to the
    field images, as bioformats2raw's OME-XML of a plate has them."""
    from ome_types import model

    name, rows, columns, wells, acquisitions = plate
    samples: dict[int, str] = {}
    xml_wells = []
    for w, (row, column, fields) in enumerate(wells):
        well_samples = []
        for index, image in enumerate(fields):
            samples[image] = f"WellSample:0:{w}:{index}"
            well_samples.append(model.WellSample(
                id=samples[image], index=image, image_ref=model.ImageRef(id=f"Image:{image}")))
        xml_wells.append(model.Well(id=f"Well:0:{w}", row=row, column=column,
                                    well_samples=well_samples))
    acqs = [model.PlateAcquisition(
        id=f"PlateAcquisition:0:{a}", name=acq_name,
        well_sample_refs=[model.WellSampleRef(id=samples[i]) for i in images if i in samples])
        for a, (_, acq_name, images) in enumerate(acquisitions)]
    ome.plates = [model.Plate(id="Plate:0", name=name, rows=rows, columns=columns,
                              wells=xml_wells, plate_acquisitions=acqs)]


def ome_xml(images: Sequence[ImageSpec],
            metadata: Sequence[ImageMetadata | None] | None = None,
            plate: PlateXml | None = None) -> str:
    """OME-XML text describing ``images`` (and their ``metadata``, and the ``plate``
    they are the fields of)."""
    if _plain(images, metadata, plate):
        return plain_ome_xml(images, metadata)      # the same text, without ome-types
    ome = ome_model(images, metadata)
    if plate is not None:
        add_plate(ome, plate)
    return _to_xml(_xml_safe(ome))


def _plain(images: Sequence[ImageSpec], metadata: Sequence[ImageMetadata | None] | None,
           plate: PlateXml | None) -> bool:
    return bool(images) and plate is None and is_plain(metadata)


@cache
def _import_ome_types_meanwhile() -> None:
    """Import ome-types (and build its models: over a second) in the background while
    the first image's pixels are read, which is mostly waiting for the source; the
    OME-XML written after them finds it imported."""
    import importlib
    import threading

    threading.Thread(target=importlib.import_module, args=("ome_types.model",),
                     name="ngff-import", daemon=True).start()


@cache
def _xml_context() -> Any:
    """xsdata's binding context, built once: ``ome_types.to_xml`` makes a new one per
    document, which costs more than the rest of a small image's OME-XML."""
    from xsdata_pydantic_basemodel.bindings import XmlContext

    return XmlContext()


def _to_xml(ome: Any) -> str:
    """``ome_types.to_xml(ome)`` (its defaults: unset attributes left out, two-space
    indent, the 2016-06 namespace and schema location) with the shared context."""
    from ome_types._conversion import OME_2016_06_URI
    from xsdata_pydantic_basemodel.bindings import SerializerConfig, XmlSerializer

    config = SerializerConfig(indent="  ", xml_declaration=False,
                              ignore_default_attributes=False, ignore_unset_attributes=True)
    config.schema_location = f"{OME_2016_06_URI} {OME_2016_06_URI}/ome.xsd"
    ome._update_set_fields()
    serializer = XmlSerializer(config=config, context=_xml_context())
    return str(serializer.render(ome, ns_map={None: OME_2016_06_URI}))




def _xml_safe(value: Any) -> Any:
    """`value` (an OME model, or anything in one) with every string XML can hold."""
    if isinstance(value, str):
        return NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    if isinstance(value, list):
        return [_xml_safe(v) for v in value]
    fields = getattr(type(value), "model_fields", None)
    if fields:
        for name in fields:
            item = getattr(value, name, None)
            safe = _xml_safe(item)
            if safe is not item and safe != item:
                setattr(value, name, safe)
    return value


def write_ome_group(store: Store, images: Sequence[ImageSpec], version: str,
                    root: str = "",
                    metadata: Sequence[ImageMetadata | None] | None = None,
                    plate: PlateXml | None = None) -> None:
    """``OME/`` group with ``series`` (not for a ``plate``: its wells say where its
    images are) and ``OME/METADATA.ome.xml``."""
    fmt = ngff_version(version).zarr_format
    group = zarr.open_group(store, path=st.join(root, "OME"), mode="a", zarr_format=fmt)
    st.set_bytes(store, st.join(root, "OME", "METADATA.ome.xml"),
                 ome_xml(images, metadata, plate).encode())
    listed = {"series": [str(i) for i in range(len(images))]} if plate is None else {}
    group.attrs.update(md.wrap(version, listed))


def write_bioformats2raw(dest: st.Dest, images: Sequence[tuple[ImageSpec, TileSource]],
                         options: WriteOptions | None = None,
                         progress: ProgressCallback | None = None, *,
                         storage_options: dict[str, Any] | None = None, path: str = "",
                         image_ids: Sequence[int | None] | None = None,
                         extras: Sequence[ImageExtras | None] | None = None
                         ) -> list[WriteResult]:
    """Write ``images`` as series ``0``, ``1``... of a bioformats2raw layout at
    ``dest``/``path``; returns one ``WriteResult`` per image. ``extras`` (per image):
    its ROIs become labels under it (``labels``), its metadata goes into the OME-XML."""
    from .labels import write_labels

    options = options or WriteOptions()
    extras = list(extras or [None] * len(images))
    if not _plain([s for s, _ in images], [e.metadata if e else None for e in extras], None):
        _import_ome_types_meanwhile()
    store, url, prefix, per_image = open_collection(dest, options, storage_options, path)
    results = []
    for i, (spec, source) in enumerate(images):
        iid = image_ids[i] if image_ids else None
        image_path = st.join(prefix, str(i))
        result = write_image(store, spec, source, per_image, progress, path=image_path,
                             image_id=iid)
        extra = extras[i]
        if extra is not None:
            labels = write_labels(store, url, image_path, spec, result, extra.metadata.rois,
                                  extra.label_kinds, per_image)
            result = replace(result, labels=labels)
        results.append(result)
    specs = [s for s, _ in images]
    write_ome_group(store, specs, options.ngff_version, prefix,
                    [e.metadata if e is not None else None for e in extras])
    root = zarr.open_group(store, path=prefix, mode="r+", zarr_format=options.zarr_format)
    root.attrs.update(md.wrap(options.ngff_version, {"bioformats2raw.layout": 3}))
    return results


def read_ome_xml(dest: st.Dest, path: str = "",
                 storage_options: dict[str, Any] | None = None) -> OME | None:
    """The ``ome_types.OME`` of a bioformats2raw layout (None if there is none)."""
    from ome_types import from_xml

    store, _ = st.open_store(dest, storage_options, read_only=True)
    data = st.get_bytes(store, st.join(path, "OME", "METADATA.ome.xml"))
    return None if data is None else from_xml(data.decode())
