"""What bioformats2raw 0.12 writes, in small: the Batch stub's fake runner writes this
where a job's output goes, so that collection is tested against bioformats2raw's layout
(glencoesoftware/bioformats2raw Converter.java: writeZarrMetadata, saveResolutions,
setSeriesLevelMetadata, saveHCSMetadata; HCSIndex):

- root group: ``bioformats2raw.layout: 3`` (0.5: inside ``ome`` with ``version``);
- ``OME`` group with ``series`` (each series' group path, in OME-XML Image order) and
  ``OME/METADATA.ome.xml``;
- plain filesets: series N at ``N/``; plates: ``<row>/<column>/<field>/`` (rows A.., columns
  1.., field = the well sample's index in its well), plate metadata on the root
  (0.4: with ``version``), well metadata on ``<row>/<column>`` (0.5: ``version`` beside
  ``well`` in ``ome``; 0.4: none);
- each image: 5D (t, c, z, y, x) uint8 arrays ``0``, ``1``; chunks ``--tile-*`` (reduced
  to the level's size), 0.5 shards ``--shard-*`` (default 1024 x 1024 x 1, reduced to
  the level's size), sharded only when the shard is a multiple of the chunk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

__all__ = ["Bf2rawRun", "PlateShape", "write_bf2raw_output", "row_name"]

AXES = [{"name": "t", "type": "time"}, {"name": "c", "type": "channel"},
        {"name": "z", "type": "space", "unit": "micrometer"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"}]
OME_NS = "http://www.openmicroscopy.org/Schemas/OME/2016-06"


@dataclass(frozen=True)
class Bf2rawRun:
    """The options of one bioformats2raw run, with bioformats2raw's defaults."""

    ngff_version: str = "0.4"
    tile: tuple[int, int] = (1024, 1024)
    chunk_depth: int = 1
    shard: tuple[int, int, int] = (1024, 1024, 1)
    compression: str = "blosc"
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlateShape:
    """A plate of ``rows`` x ``columns`` wells with ``fields`` fields each. Series are
    numbered well by well (``order="well"``) or field by field (``"field"``, as some
    HCS readers do), which is what makes series -> field a mapping to look up."""

    rows: int = 2
    columns: int = 3
    fields: int = 2
    order: str = "well"
    name: str = "Plate 1"

    def samples(self) -> list[tuple[int, int, int]]:
        """(row, column, field) of each series, in series order."""
        wells = [(r, c) for r in range(self.rows) for c in range(self.columns)]
        if self.order == "field":
            return [(r, c, f) for f in range(self.fields) for r, c in wells]
        return [(r, c, f) for r, c in wells for f in range(self.fields)]


def row_name(index: int) -> str:
    name = chr(ord("A") + index % 26)
    return chr(ord("A") + index // 26 - 1) + name if index >= 26 else name


class _Writer:
    def __init__(self, base: str, run: Bf2rawRun, size: int, storage_options: dict):
        import zarr
        self.zarr = zarr
        self.base, self.run, self.size, self.so = base.rstrip("/"), run, size, storage_options
        self.v3 = run.ngff_version == "0.5"

    def group(self, path: str, payload: dict | None = None):
        url = f"{self.base}/{path}" if path else self.base
        g = self.zarr.open_group(url, mode="w", zarr_format=3 if self.v3 else 2,
                                 storage_options=self.so or None)
        if payload is not None:
            g.attrs.update({"ome": payload} if self.v3 else payload)
        return g

    def _codecs(self) -> dict:
        name, props = self.run.compression, self.run.properties
        if self.v3:
            from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec
            codec = {"blosc": lambda: BloscCodec(cname=props.get("cname", "lz4"),
                                                 clevel=int(props.get("clevel", 5))),
                     "zstd": lambda: ZstdCodec(level=int(props.get("level", 3))),
                     "gzip": lambda: GzipCodec(level=int(props.get("level", 5)))}.get(name)
        else:
            import numcodecs
            codec = {"blosc": lambda: numcodecs.Blosc(cname=props.get("cname", "lz4"),
                                                      clevel=int(props.get("clevel", 5))),
                     "zlib": lambda: numcodecs.Zlib(level=int(props.get("level", 1)))}.get(name)
        return {"compressors": [codec()] if codec else None}

    def _layout(self, n: int) -> dict:
        """Chunks and shards of one level, as Converter.saveResolutions sizes them."""
        tw, th = min(self.run.tile[0], n), min(self.run.tile[1], n)
        chunks = (1, 1, 1, th, tw)
        kw = dict(chunks=chunks, **self._codecs())
        if self.v3:
            sw, sh, sd = (min(self.run.shard[0], n), min(self.run.shard[1], n),
                          min(self.run.shard[2], 1))
            if sw % tw == 0 and sh % th == 0:
                kw["shards"] = (1, 1, sd, sh, sw)
            kw["dimension_names"] = tuple(a["name"] for a in AXES)   # saveResolutions
        else:
            kw["chunk_key_encoding"] = {"name": "v2", "separator": "/"}
        return kw

    def image(self, path: str, index: int, name: str) -> None:
        import numpy as np
        g = self.group(path)
        datasets = []
        for level in range(2):
            n = self.size >> level
            arr = g.create_array(str(level), shape=(1, 1, 1, n, n), dtype="uint8",
                                 **self._layout(n))
            yy, xx = np.mgrid[0:n, 0:n]
            arr[0, 0, 0] = ((yy + xx) * (index + 1) % 256).astype("uint8")
            datasets.append({"path": str(level), "coordinateTransformations": [
                {"type": "scale", "scale": [1.0, 1.0, 1.0, 2.0 ** level, 2.0 ** level]}]})
        ms = {"name": name, "axes": AXES, "datasets": datasets, "metadata": {
            "method": "loci.common.image.SimpleImageScaler", "version": "Bio-Formats 8.3.0"}}
        omero = {"channels": [{"active": True, "coefficient": 1, "color": "FFFFFF",
                               "family": "linear", "inverted": False, "label": "Channel 0",
                               "window": {"start": 0, "end": 255, "min": 0, "max": 255}}],
                 "rdefs": {"defaultT": 0, "defaultZ": 0, "model": "greyscale"}}
        if self.v3:
            g.attrs.update({"ome": {"version": "0.5", "multiscales": [ms], "omero": omero}})
        else:
            ms["version"] = "0.4"
            g.attrs.update({"multiscales": [ms], "omero": omero})

    def text(self, path: str, content: str) -> None:
        import fsspec
        with fsspec.open(f"{self.base}/{path}", "w", **self.so) as f:
            f.write(content)


def _image_xml(index: int, size: int) -> str:
    return (f'<Image ID="Image:{index}" Name="series {index}"><Pixels ID="Pixels:{index}" '
            f'DimensionOrder="XYZCT" Type="uint8" SizeX="{size}" SizeY="{size}" SizeZ="1" '
            f'SizeC="1" SizeT="1"><Channel ID="Channel:{index}:0" SamplesPerPixel="1"/>'
            f'<MetadataOnly/></Pixels></Image>')


def _plate_xml(plate: PlateShape) -> str:
    samples = plate.samples()
    wells = []
    for r in range(plate.rows):
        for c in range(plate.columns):
            refs = "".join(
                f'<WellSample ID="WellSample:0:{r}:{c}:{f}" Index="{i}">'
                f'<ImageRef ID="Image:{i}"/></WellSample>'
                for f in range(plate.fields) for i, s in enumerate(samples) if s == (r, c, f))
            wells.append(f'<Well ID="Well:0:{r}:{c}" Row="{r}" Column="{c}">{refs}</Well>')
    return (f'<Plate ID="Plate:0" Name="{plate.name}" Rows="{plate.rows}" '
            f'Columns="{plate.columns}">' + "".join(wells) + "</Plate>")


def _plate_metadata(plate: PlateShape, version: str, v3: bool) -> dict:
    wells = [{"path": f"{row_name(r)}/{c + 1}", "rowIndex": r, "columnIndex": c}
             for r in range(plate.rows) for c in range(plate.columns)]
    meta = {"name": plate.name, "rows": [{"name": row_name(r)} for r in range(plate.rows)],
            "columns": [{"name": str(c + 1)} for c in range(plate.columns)],
            "wells": wells, "field_count": plate.fields}
    if not v3:
        meta["version"] = version
    return meta


def write_bf2raw_output(store_url: str, ngff_version: str = "0.5", series: int = 2,
                        size: int = 64, storage_options: dict | None = None, *,
                        run: Bf2rawRun | None = None, plate: PlateShape | None = None,
                        series_attribute: bool = True) -> list[str]:
    """Write a bioformats2raw-layout OME-Zarr at ``store_url`` (any fsspec URL): a
    plate when ``plate`` is given, else ``series`` images; ``run`` (its NGFF version
    wins over ``ngff_version``) sets chunks, shards and codec. Returns each series'
    group path. ``series_attribute=False`` leaves out the OME group's ``series`` (as
    older writers did) so that readers must use the plate and METADATA.ome.xml."""
    run = run or Bf2rawRun(ngff_version=ngff_version)
    w = _Writer(store_url, run, size, storage_options or {})
    samples = plate.samples() if plate else None
    paths = ([f"{row_name(r)}/{c + 1}/{f}" for r, c, f in samples] if samples
             else [str(s) for s in range(series)])
    root: dict = {"bioformats2raw.layout": 3}
    if w.v3:
        root["version"] = "0.5"
    if plate:
        root["plate"] = _plate_metadata(plate, run.ngff_version, w.v3)
    w.group("", root)
    ome: dict = {"series": paths} if series_attribute else {}
    if w.v3:
        ome["version"] = "0.5"
    w.group("OME", ome)
    if plate:                       # rows and wells first: mode "w" empties a group
        for r in range(plate.rows):
            w.group(row_name(r))
            for c in range(plate.columns):
                fields = [{"path": str(f)} for f in range(plate.fields)]
                well: dict = {"well": {"images": fields}}
                if w.v3:            # saveHCSMetadata: 0.5 wells carry the version
                    well["version"] = run.ngff_version
                w.group(f"{row_name(r)}/{c + 1}", well)
    for index, path in enumerate(paths):
        w.image(path, index, f"series {index}")
    images = "".join(_image_xml(i, size) for i in range(len(paths)))
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><OME xmlns="{OME_NS}">'
           + (_plate_xml(plate) if plate else "") + images + "</OME>")
    w.text("OME/METADATA.ome.xml", xml)
    return paths
