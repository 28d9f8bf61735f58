"""NGFF plates (HCS): ``<row>/<column>/<field>`` image groups, well and plate metadata.

Input is a plain description (``PlateSpec``): row and column names, the wells that
exist with their fields (an ``ImageSpec`` and a ``TileSource`` each; a well without
images has none and is listed all the same). The root is laid out as bioformats2raw
writes a plate: ``bioformats2raw.layout`` beside ``plate`` in the root's attributes,
and ``OME/METADATA.ome.xml`` describing the fields (the ``OME`` group without
``series``: the plate says where the images are). Order of writing: each field image
(resumable, see ``writer``), then its well's ``well`` attributes, then the OME-XML,
then the plate's attributes last, so a plate is listed only when it is complete.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import zarr

from . import metadata as md
from . import store as st
from .errors import InvalidSpecError
from .ome_xml import PlateXml, write_ome_group
from .spec import ImageSpec, ProgressCallback, TileSource, WriteOptions, WriteResult
from .writer import open_collection, write_image

_NAME = re.compile(r"^[A-Za-z0-9]+$")


@dataclass
class FieldSpec:
    """One field (image) of a well."""

    spec: ImageSpec
    source: TileSource
    acquisition: int | None = None
    image_id: int | None = None


@dataclass
class WellSpec:
    row: str
    column: str
    fields: list[FieldSpec] = field(default_factory=list)


@dataclass
class PlateSpec:
    """``rows``/``columns``: names in order (e.g. A..H, 1..12); ``acquisitions``: NGFF
    acquisition dicts (``id`` required, ``name``, ``maximumfieldcount``... optional)."""

    name: str
    rows: Sequence[str]
    columns: Sequence[str]
    wells: Sequence[WellSpec]
    acquisitions: Sequence[dict[str, Any]] = ()


@dataclass(frozen=True)
class PlateResult:
    url: str
    images: dict[str, WriteResult]      # "A/1/0" -> its WriteResult
    field_count: int

    @property
    def objects_written(self) -> int:
        return sum(r.objects_written for r in self.images.values())

    @property
    def bytes_written(self) -> int:
        return sum(r.bytes_written for r in self.images.values())


def _check(plate: PlateSpec) -> None:
    for n in list(plate.rows) + list(plate.columns):
        if not _NAME.match(str(n)):
            raise InvalidSpecError(f"plate {plate.name!r}: row/column name {n!r} must be "
                                   "alphanumeric")
    seen = set()
    for w in plate.wells:
        if w.row not in plate.rows or w.column not in plate.columns:
            raise InvalidSpecError(f"plate {plate.name!r}: well {w.row}{w.column} is outside "
                                   "the plate")
        if (w.row, w.column) in seen:
            raise InvalidSpecError(f"plate {plate.name!r}: well {w.row}{w.column} given twice")
        seen.add((w.row, w.column))


def _plate_xml(plate: PlateSpec, wells: Sequence[WellSpec]) -> PlateXml:
    """The plate for the OME-XML: fields numbered as the images in it, in well order."""
    rows, columns = list(plate.rows), list(plate.columns)
    xml_wells: list[tuple[int, int, list[int]]] = []
    by_acquisition: dict[int | None, list[int]] = {}
    n = 0
    for w in wells:
        fields = list(range(n, n + len(w.fields)))
        for image, f in zip(fields, w.fields):
            by_acquisition.setdefault(f.acquisition, []).append(image)
        xml_wells.append((rows.index(w.row), columns.index(w.column), fields))
        n += len(w.fields)
    acquisitions = [(int(a["id"]), a.get("name"), by_acquisition.get(a["id"], []))
                    for a in plate.acquisitions]
    return plate.name, len(rows), len(columns), xml_wells, acquisitions


def write_plate(dest: st.Dest, plate: PlateSpec, options: WriteOptions | None = None,
                progress: ProgressCallback | None = None, *,
                storage_options: dict[str, Any] | None = None, path: str = "") -> PlateResult:
    """Write a plate at ``dest``/``path`` (see the module docstring)."""
    _check(plate)
    options = options or WriteOptions()
    store, url, prefix, per_image = open_collection(dest, options, storage_options, path)
    fmt = options.zarr_format
    version = options.ngff_version
    results: dict[str, WriteResult] = {}
    wells = sorted(plate.wells, key=lambda w: (list(plate.rows).index(w.row),
                                               list(plate.columns).index(w.column)))
    for w in wells:
        zarr.open_group(store, path=st.join(prefix, w.row), mode="a", zarr_format=fmt)
        well_path = st.join(prefix, w.row, w.column)
        wg = zarr.open_group(store, path=well_path, mode="a", zarr_format=fmt)
        for i, f in enumerate(w.fields):
            results[f"{w.row}/{w.column}/{i}"] = write_image(
                store, f.spec, f.source, per_image, progress, path=st.join(well_path, str(i)),
                image_id=f.image_id)
        wg.attrs.update(md.well_attrs([(str(i), f.acquisition) for i, f in enumerate(w.fields)],
                                      version))
    field_count = max((len(w.fields) for w in plate.wells), default=0)
    write_ome_group(store, [f.spec for w in wells for f in w.fields], version, prefix,
                    plate=_plate_xml(plate, wells))
    root = zarr.open_group(store, path=prefix, mode="r+", zarr_format=fmt)
    attrs = md.plate_attrs(plate.name, list(plate.rows), list(plate.columns),
                           [(w.row, w.column) for w in wells], field_count, version,
                           plate.acquisitions)
    inner = attrs.get("ome", attrs)       # 0.5 keeps both under "ome"
    inner["bioformats2raw.layout"] = 3
    root.attrs.update(attrs)
    return PlateResult(url=url.rstrip("/") + ("/" + prefix if prefix else ""), images=results,
                       field_count=field_count)
