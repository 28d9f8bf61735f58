"""The NGFF writer: OME-Zarr (0.4 / Zarr v2, 0.5 / Zarr v3 sharded) from a tile source.

Knows nothing about OMERO: it takes an ``ImageSpec`` (plain values), a ``TileSource``
(anything with ``levels``, ``tile_size`` and a thread-safe ``read``) and
``WriteOptions``, and writes to a zarr store, a local folder or an fsspec URL.

Modules: ``spec`` (inputs/outputs), ``layout`` (levels, chunks, shards, memory plan),
``codecs`` (compression names and the measured default), ``downsample`` (2x2 mean),
``metadata`` (NGFF attributes), ``writer`` (streaming, parallel, resumable writing),
``target`` (what is at the destination, the level arrays), ``schedule`` (the order of
reads), ``pyramid`` (finished chunks to shards and down the pyramid), ``shards`` (shard
objects written chunk by chunk), ``record`` (the resume record), ``store``
(destinations), ``ome_xml`` (bioformats2raw layout), ``plate`` (HCS), ``validate``
(checks and read-back), ``errors``.
"""

from .errors import (
    InvalidSpecError,
    NoSpaceError,
    SourceError,
    StoreError,
    TargetExistsError,
    UnsupportedPixelTypeError,
    WriterError,
)
from .ome_xml import ome_xml, write_bioformats2raw
from .plate import FieldSpec, PlateResult, PlateSpec, WellSpec, write_plate
from .spec import ImageSpec, Progress, TileSource, WriteOptions, WriteResult
from .validate import read_level, validate
from .writer import plan_for, write_image

__all__ = [
    "ImageSpec", "TileSource", "WriteOptions", "WriteResult", "Progress",
    "write_image", "plan_for", "write_bioformats2raw", "ome_xml",
    "PlateSpec", "WellSpec", "FieldSpec", "PlateResult", "write_plate",
    "validate", "read_level",
    "WriterError", "InvalidSpecError", "UnsupportedPixelTypeError", "StoreError",
    "NoSpaceError", "TargetExistsError", "SourceError",
]
