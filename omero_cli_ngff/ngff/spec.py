"""The writer's plain inputs and outputs: what an image is, where its pixels come from,
how to write it, and what was written.

Nothing here knows about OMERO. ``ImageSpec`` is built by the caller from an
``ImageRecord`` (or anything else); ``TileSource`` is any object with ``levels``,
``tile_size`` and a thread-safe ``read``.

Axes: every image is written 5D ``tczyx``, singleton axes included. OMERO images are
always 5D, and omero-cli-zarr, bioformats2raw and OMERO's own zarr pixel buffer
(omero-zarr-pixel-buffer) all write or expect ``tczyx``; a fixed axis order means one
code path for every reader and no guessing which axis was dropped. Singleton axes cost
nothing: chunks are 1 along t, c and z.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import DTypeLike

from ..model.annotations_meta import ImageMetadata
from ..model.ngff_versions import ngff_version
from ..model.pixel_types import OMERO_PIXEL_TYPES, UnsupportedPixelType
from ..model.pixel_types import stored_dtype as _stored_dtype
from ..model.records import PhysicalSize, RenderingInfo
from ..model.rois import AREA_KINDS
from .errors import InvalidSpecError, UnsupportedPixelTypeError

AXES = ("t", "c", "z", "y", "x")


def stored_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    """The numpy dtype the array is written with, or UnsupportedPixelTypeError."""
    try:
        return _stored_dtype(dtype)
    except UnsupportedPixelType as exc:
        raise UnsupportedPixelTypeError(str(exc)) from None


@dataclass(frozen=True)
class LabelInfo:
    """What makes an ``ImageSpec`` a label image (NGFF ``image-label``): the colour and
    the properties of each label value, the path of its image from the label group
    (``source``), and the image's level sizes (y, x), full resolution first, which the
    label pyramid matches (computed by 2x2 mode, never read from the source)."""

    colors: tuple[tuple[int, tuple[int, int, int, int]], ...] = ()
    properties: tuple[dict[str, Any], ...] = ()
    source: str = "../../"
    level_sizes: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ImageSpec:
    """Everything the writer needs to know about one image, as plain values.

    ``dtype`` is a numpy dtype or an OMERO pixel type name (``"uint8"``, ``"float"``,
    ``"bit"``...). Physical sizes are ``records.PhysicalSize`` (value + OMERO unit) or
    None. ``rendering`` fills the NGFF ``omero`` block (channel labels, colours,
    windows, default z/t); without it, neutral defaults are written. ``label`` makes
    it a label image (``image-label`` instead of ``omero``, 2x2 mode pyramid).
    """

    name: str
    dtype: DTypeLike
    size_x: int
    size_y: int
    size_c: int = 1
    size_z: int = 1
    size_t: int = 1
    physical_x: PhysicalSize | None = None
    physical_y: PhysicalSize | None = None
    physical_z: PhysicalSize | None = None
    rendering: RenderingInfo | None = None
    dimension_order: str = "XYZCT"       # for OME-XML only; the array is always tczyx
    label: LabelInfo | None = None       # a label image of another image

    def __post_init__(self) -> None:
        for n in ("size_x", "size_y", "size_c", "size_z", "size_t"):
            v = getattr(self, n)
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise InvalidSpecError(f"{self.name!r}: {n} must be a positive integer, not {v!r}")

    @property
    def numpy_dtype(self) -> np.dtype[Any]:
        """The dtype of the stored array (``bit``/bool become uint8)."""
        return stored_dtype(self.dtype)

    @property
    def pixel_type(self) -> str:
        """The OME pixel type name (``uint8``, ``float``, ``bit``...)."""
        if isinstance(self.dtype, str) and self.dtype in OMERO_PIXEL_TYPES:
            return self.dtype
        dt = np.dtype(self.dtype)
        if dt == np.bool_:
            return "bit"
        return {"float32": "float", "float64": "double"}.get(dt.name, dt.name)

    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        return (self.size_t, self.size_c, self.size_z, self.size_y, self.size_x)


@runtime_checkable
class TileSource(Protocol):
    """Where pixels come from.

    ``levels``: the (size_y, size_x) of each resolution the source itself can serve, full
    resolution first (a source without a pyramid lists one). ``tile_size``: the
    preferred (h, w) of a read. ``read`` returns a (h, w) array of one plane's region
    and must be thread-safe (each worker thread may call it concurrently).
    """

    @property
    def levels(self) -> Sequence[tuple[int, int]]: ...

    @property
    def tile_size(self) -> tuple[int, int]: ...

    def read(self, level: int, t: int, c: int, z: int,
             y: int, x: int, h: int, w: int) -> np.ndarray: ...


@dataclass(frozen=True)
class WriteOptions:
    """How to write. Sizes are in pixels (y/x) unless named ``*_bytes``.

    ``shard_size``: pixels per side (y/x) of a shard (Zarr v3) or of a unit of work
    (Zarr v2), a multiple of ``chunk_size``; None chooses it per level for the fewest
    shards (see ``layout.plan_image``). ``shard_bytes``: the most uncompressed bytes in
    one shard, which spans channels and z planes up to it. ``record_interval``: seconds
    between flushes of the resume record (0: after every shard; shards finished after
    the last flush are written again by a rerun, with the same content). ``fill_value``
    with ``write_empty_chunks=False`` skips chunks that hold only that value.
    ``adaptive_workers``: ``workers`` is then a ceiling, and the number of reads in
    flight adapts to the source's capacity while the image is written (``concurrency``).
    """

    ngff_version: str = "0.5"
    chunk_size: int = 1024
    shard_size: int | None = None
    shard_bytes: int = 384 * 1024 ** 2
    compression: str = "blosc-zstd"
    compression_level: int | None = None
    min_level_size: int = 256
    workers: int = 8
    adaptive_workers: bool = False
    memory_budget: int = 1024 ** 3
    overwrite: bool = False
    write_empty_chunks: bool = False
    fill_value: int | float | None = None
    record_interval: float = 2.0

    def __post_init__(self) -> None:
        if self.ngff_version not in ("0.4", "0.5"):
            raise InvalidSpecError(
                f"ngff_version must be '0.4' or '0.5', not {self.ngff_version!r}")
        if self.chunk_size < 16 or self.chunk_size % 16:
            raise InvalidSpecError(f"chunk_size must be a multiple of 16, not {self.chunk_size}")
        if self.shard_size is not None and (
                self.shard_size < self.chunk_size or self.shard_size % self.chunk_size):
            raise InvalidSpecError(
                f"shard_size {self.shard_size} must be a multiple of chunk_size {self.chunk_size}")
        if self.workers < 1:
            raise InvalidSpecError(f"workers must be at least 1, not {self.workers}")
        if self.min_level_size < 1:
            raise InvalidSpecError(f"min_level_size must be positive, not {self.min_level_size}")
        from .codecs import check_compression
        check_compression(self.compression, self.compression_level)

    @property
    def zarr_format(self) -> Literal[2, 3]:
        return ngff_version(self.ngff_version).zarr_format


@dataclass(frozen=True)
class Progress:
    """Cumulative progress of one image, given to the ``progress`` callback.

    Pixels count every level written (the total is known up front), so a progress
    bar can use ``pixels_done / pixels_total``.
    """

    pixels_done: int
    pixels_total: int
    bytes_written: int
    objects_written: int


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class WriteResult:
    """What ``write_image`` did."""

    url: str
    ngff_version: str
    level_shapes: tuple[tuple[int, ...], ...]
    chunk_shapes: tuple[tuple[int, ...], ...]
    shard_shapes: tuple[tuple[int, ...] | None, ...]
    objects_written: int
    bytes_written: int
    seconds: float
    resumed: bool = False
    already_complete: bool = False
    tiles_read: int = 0
    levels_from_source: tuple[int, ...] = field(default=())
    labels: LabelsResult | None = None      # the image's label image, if written

    @property
    def total_bytes(self) -> int:
        """Bytes written for the image and its labels."""
        return self.bytes_written + (self.labels.result.bytes_written if self.labels else 0)

    @property
    def total_objects(self) -> int:
        """Objects written for the image and its labels."""
        return self.objects_written + (self.labels.result.objects_written
                                       if self.labels else 0)


@dataclass(frozen=True)
class LabelsResult:
    """The label image written under an image: its name, how many label values (ROIs)
    it holds, and what its write did."""

    name: str
    values: int
    result: WriteResult


@dataclass(frozen=True)
class ImageExtras:
    """What an image's copy carries besides pixels: its metadata (OME-XML) and which
    shape kinds become labels (none: no labels)."""

    metadata: ImageMetadata
    label_kinds: tuple[str, ...] = AREA_KINDS
