"""Where bioformats2raw put each series of a fileset (``bioformats2raw.layout`` 3).

bioformats2raw 0.12 writes one image group per series under the output root:

- plain filesets: ``<root>/<series>/`` (0, 1, ...);
- plates (the reader reports a plate whose wells link to images): ``<root>/<row>/<column>/
  <field>/``, rows named A, B, ... AA, columns 1, 2, ... and the field the well sample's
  index in the well (HCSIndex), with plate metadata on the root group and well metadata
  on each ``<row>/<column>`` group;
- either way, the ``OME`` group's ``series`` attribute lists the image group of each
  series in the order of the Image elements of ``OME/METADATA.ome.xml``.

`series_groups` answers series -> group path from that metadata: the ``series``
attribute when present, else the plate's wells matched with METADATA.ome.xml, else the
numbered groups. Everything read is data from a bucket: paths are checked, never
followed outside the output.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

from .errors import OutputUnreadable

__all__ = ["series_groups", "group_attrs", "row_name", "column_name", "Reader"]

# relpath under the output root -> the object's bytes, or None when there is none
Reader = Callable[[str], bytes | None]
METADATA_XML = "OME/METADATA.ome.xml"
MAX_SERIES = 100_000


def row_name(index: int) -> str:
    """bioformats2raw's name of a 0-based plate row: A..Z, then AA, AB... (HCSIndex)."""
    name = chr(ord("A") + index % 26)
    return chr(ord("A") + index // 26 - 1) + name if index >= 26 else name


def column_name(index: int) -> str:
    """bioformats2raw's name of a 0-based plate column: its 1-based number."""
    return str(index + 1)


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def _json(read: Reader, path: str) -> dict | None:
    raw = read(path)
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        raise OutputUnreadable(f"{path} is not JSON") from None
    return doc if isinstance(doc, dict) else None


def group_attrs(read: Reader, path: str) -> dict | None:
    """The attributes of the Zarr group at ``path`` (v3: the ``ome`` object of
    zarr.json, v2: .zattrs), None when there is no group there."""
    doc = _json(read, _join(path, "zarr.json"))
    if doc is not None:
        if doc.get("node_type") != "group":
            return None
        attrs = doc.get("attributes") or {}
        ome = attrs.get("ome")
        return dict(ome) if isinstance(ome, dict) else dict(attrs)
    attrs = _json(read, _join(path, ".zattrs"))
    if attrs is not None:
        return attrs
    return {} if read(_join(path, ".zgroup")) is not None else None


def _safe_path(path) -> bool:
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def series_groups(read: Reader) -> dict[int, str]:
    """Series index -> image group path (relative to the output root) of a
    bioformats2raw output. Raises OutputUnreadable when the output says nothing usable."""
    root = group_attrs(read, "")
    if root is None:
        raise OutputUnreadable("no Zarr group at the output root")
    if root.get("bioformats2raw.layout") != 3:
        raise OutputUnreadable("the output root is not a bioformats2raw.layout 3 group")
    series = (group_attrs(read, "OME") or {}).get("series")
    if series is not None:
        if not isinstance(series, list) or not all(_safe_path(p) for p in series):
            raise OutputUnreadable("the OME group's series attribute is not a list of "
                                   "relative paths")
        return dict(enumerate(series))
    xml = read(METADATA_XML)
    if isinstance(root.get("plate"), dict):
        return _plate_series(read, root["plate"], xml)
    return _numbered_series(read, xml)


def _ome_root(xml: bytes):
    try:
        return ET.fromstring(xml)
    except ET.ParseError as err:
        raise OutputUnreadable(f"{METADATA_XML} is not XML ({err})") from None


def _image_ids(ome) -> list[str]:
    return [img.get("ID", "") for img in ome.findall("{*}Image")]


def _plate_series(read: Reader, plate: dict, xml: bytes | None) -> dict[int, str]:
    """Series -> row/column/field, from the Plate of METADATA.ome.xml (the order of its
    Image elements is the series order) checked against the plate and well JSON."""
    if xml is None:
        raise OutputUnreadable(f"plate output without {METADATA_XML}: cannot tell which "
                               "field holds which series")
    ome = _ome_root(xml)
    series_of = {image_id: i for i, image_id in enumerate(_image_ids(ome))}
    plate_xml = ome.find("{*}Plate")
    if plate_xml is None:
        raise OutputUnreadable(f"plate metadata on the root group but no Plate in "
                               f"{METADATA_XML}")
    wells = {w.get("path") for w in plate.get("wells") or [] if isinstance(w, dict)}
    found: dict[int, str] = {}
    for well in plate_xml.findall("{*}Well"):
        try:
            well_path = _join(row_name(int(well.get("Row"))),
                              column_name(int(well.get("Column"))))
        except (TypeError, ValueError):
            raise OutputUnreadable(f"a Well of {METADATA_XML} has no Row/Column") from None
        samples = well.findall("{*}WellSample")
        if not samples:
            continue
        if well_path not in wells:
            raise OutputUnreadable(f"well {well_path} is not in the plate metadata")
        fields = _well_fields(read, well_path)
        for index, sample in enumerate(samples):
            ref = sample.find("{*}ImageRef")
            series = series_of.get(ref.get("ID") if ref is not None else None)
            if series is None:
                continue
            field = str(index)             # the sample's index in the well (HCSIndex)
            if field not in fields:
                raise OutputUnreadable(f"well {well_path} lists no field {field}")
            found[series] = _join(well_path, field)
    if len(found) != len(series_of):
        raise OutputUnreadable(f"{len(series_of) - len(found)} series of the plate are in "
                               "no well")
    return found


def _well_fields(read: Reader, well_path: str) -> list[str]:
    well = (group_attrs(read, well_path) or {}).get("well") or {}
    paths = [img.get("path") for img in well.get("images") or [] if isinstance(img, dict)]
    if not all(_safe_path(p) and "/" not in p for p in paths):
        raise OutputUnreadable(f"well {well_path} lists an image path that is not a name")
    return paths


def _numbered_series(read: Reader, xml: bytes | None) -> dict[int, str]:
    """Series N at ``N/``: as many as METADATA.ome.xml has images, else the groups
    0, 1, ... that exist."""
    if xml is not None:
        return {i: str(i) for i in range(len(_image_ids(_ome_root(xml))))}
    found: dict[int, str] = {}
    while len(found) < MAX_SERIES and group_attrs(read, str(len(found))) is not None:
        found[len(found)] = str(len(found))
    return found
