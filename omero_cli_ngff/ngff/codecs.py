"""Compression names -> Zarr v3 codecs / Zarr v2 compressors.

Names: ``blosc-lz4``, ``blosc-zstd``, ``zstd``, ``gzip``, ``none``, each with a level.

Blosc settings (both Blosc names): bit-shuffle for one-byte types, byte shuffle for
wider ones, and one Blosc block per chunk (``blocksize`` 1 MiB). Bit-shuffle splits
a uint8 plane into bit planes: on slides the high bit planes of the glass are constant
and the sensor noise stays in the low ones, which makes zstd about 4x faster at the
same ratio; byte shuffle does the same for uint16 (bit-shuffle was slower and larger
there). Large blocks give zstd more context: 5 % smaller than Blosc's automatic block
size, and faster.

DEFAULT_COMPRESSION = blosc-zstd level 1 (the settings above). ``benchmarks/
bench_codecs.py`` measured it against the historical zarr/ome-zarr default
``blosc-lz4:5`` (byte shuffle, automatic blocks) on realistic slides (RGB uint8, 2/3
glass with sensor noise, tissue from ihc.png) and fluorescence (uint16, sparse blobs),
1024x1024 chunks, one core per codec (a shared 2-core machine: speeds +-30 %):

| data          | codec                | ratio | size vs lz4:5 | encode MB/s | decode MB/s |
|---------------|----------------------|-------|---------------|-------------|-------------|
| slide         | blosc-lz4:5 (zarr)   | 1.44  | 1.00          | 358         | 2046        |
| slide         | blosc-lz4:5 (ours)   | 1.84  | 0.78          | 1222        | 1290        |
| slide         | **blosc-zstd:1**     | 2.17  | **0.66**      | 619         | 909         |
| slide         | zstd:1 / zstd:5      | 2.16 / 2.30 | 0.67 / 0.62 | 296 / 81 | 1207 / 881 |
| slide         | gzip:6               | 2.16  | 0.67          | 7           | 135         |
| fluorescence  | blosc-lz4:5 (zarr)   | 1.89  | 1.00          | 1630        | 6213        |
| fluorescence  | **blosc-zstd:1**     | 3.15  | **0.60**      | 660         | 2012        |
| fluorescence  | zstd:3               | 2.62  | 0.72          | 200         | 1025        |

- Size is the product (20 TB became 200 TB with the old default): blosc-zstd:1 stores
  slides in two thirds and fluorescence in 60 % of the historical default's bytes.
- Speed: encoding slides is faster than the old default (bit-shuffle), fluorescence
  2.5x slower but still ~650 MB/s per core, above what the OMERO source delivers;
  decoding ~1-2 GB/s per core, above any network a reader fetches over.
- Higher levels (blosc-zstd 2-5, zstd 5-9) gain at most 5 % for 3-10x the time; gzip is
  never better and 100x slower; plain zstd is as small on slides but slower, and bigger
  on uint16 (no shuffle).
- Blosc-zstd is readable wherever Blosc-lz4 is (the same c-blosc library, including the
  Java readers behind OMERO's zarr pixel buffer and bioformats2raw), unlike the plain
  ``zstd`` codec, which older readers lack.

Empty chunks: arrays are written with ``write_empty_chunks=False`` and fill value 0
(``WriteOptions.fill_value`` to change it). Measured: noisy glass is never one exact
value, so no slide chunk is skipped; only exact constants (unscanned scanner areas,
zero planes) are. There skipping saves objects with Zarr v2 (one per chunk) but almost
no bytes (a constant chunk compresses to ~70 bytes; 0.01 % of the total); with shards
it only leaves a hole in the shard index. Use fill value 255 for brightfield data with
white unscanned regions. The check costs ~0.1 ms per chunk.

Lossless only: the source slides are JPEG-compressed, no lossless codec gets near
their size; the sensor noise of the glass sets the floor (about 2.3 bits per pixel).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from numpy.typing import DTypeLike

from .errors import InvalidSpecError

if TYPE_CHECKING:
    from zarr.abc.codec import BytesBytesCodec
    from zarr.abc.numcodec import Numcodec

COMPRESSIONS = ("blosc-lz4", "blosc-zstd", "zstd", "gzip", "none")
DEFAULT_COMPRESSION = "blosc-zstd"

#: default level per codec and the range it accepts
DEFAULT_LEVELS: dict[str, int | None] = {"blosc-lz4": 5, "blosc-zstd": 1, "zstd": 3, "gzip": 6,
                                         "none": None}
BLOSC_BLOCKSIZE = 1 << 20
_BLOSC_CNAMES: dict[str, Literal["lz4", "zstd"]] = {"blosc-lz4": "lz4", "blosc-zstd": "zstd"}
_RANGES = {"blosc-lz4": (0, 9), "blosc-zstd": (0, 9), "zstd": (-7, 22), "gzip": (0, 9)}


def check_compression(name: str, level: int | None) -> None:
    """InvalidSpecError unless ``name``/``level`` are a valid pair."""
    if name not in COMPRESSIONS:
        raise InvalidSpecError(
            f"unknown compression {name!r}; choose one of {', '.join(COMPRESSIONS)}")
    if level is None or name == "none":
        return
    lo, hi = _RANGES[name]
    if not (lo <= int(level) <= hi):
        raise InvalidSpecError(f"compression level {level} out of range {lo}..{hi} for {name}")


def _level(name: str, level: int | None) -> int | None:
    check_compression(name, level)
    return DEFAULT_LEVELS[name] if level is None else int(level)


class Compressor(Protocol):
    """What encodes a chunk's bytes: a numcodecs compressor, or ``StableGZip``."""

    def encode(self, buf: Any) -> Any: ...


def v3_compressors(name: str, level: int | None,
                   dtype: DTypeLike) -> tuple[BytesBytesCodec, ...]:
    """The ``compressors`` of a Zarr v3 array (inside the sharding codec)."""
    from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec

    lvl = _level(name, level)
    itemsize = np.dtype(dtype).itemsize
    if lvl is None:                 # none
        return ()
    if name.startswith("blosc-"):
        return (BloscCodec(cname=_BLOSC_CNAMES[name], clevel=lvl,
                           shuffle="shuffle" if itemsize > 1 else "bitshuffle",
                           typesize=itemsize, blocksize=BLOSC_BLOCKSIZE),)
    if name == "zstd":
        return (ZstdCodec(level=lvl),)
    if name == "gzip":
        return (GzipCodec(level=lvl),)
    return ()


def v2_compressor(name: str, level: int | None, dtype: DTypeLike) -> Numcodec | None:
    """The numcodecs compressor of a Zarr v2 array (None for ``none``)."""
    import numcodecs

    lvl = _level(name, level)
    itemsize = np.dtype(dtype).itemsize
    codec: Numcodec | None = None
    if name.startswith("blosc-"):
        codec = numcodecs.Blosc(cname=_BLOSC_CNAMES[name], clevel=lvl,
                                shuffle=numcodecs.Blosc.SHUFFLE if itemsize > 1
                                else numcodecs.Blosc.BITSHUFFLE,
                                blocksize=BLOSC_BLOCKSIZE)
    elif name == "zstd":
        codec = numcodecs.Zstd(level=lvl)
    elif name == "gzip":
        codec = numcodecs.GZip(level=lvl)
    return codec


class StableGZip:
    """numcodecs' GZip with a zero modification time in the gzip header (numcodecs writes
    the current time there): the same chunk always encodes to the same bytes, so that a
    resumed image equals an uninterrupted one. Readers decode it as any gzip stream."""

    def __init__(self, level: int) -> None:
        self.level = level

    def encode(self, buf: Any) -> bytes:
        import gzip
        import io

        from numcodecs.compat import ensure_contiguous_ndarray
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=self.level, mtime=0) as f:
            f.write(ensure_contiguous_ndarray(buf))
        return out.getvalue()


def chunk_compressor(name: str, level: int | None, dtype: DTypeLike) -> Compressor | None:
    """What encodes one chunk's bytes for either format (None for ``none``): the v2
    compressor, whose settings v3_compressors repeats, with gzip made reproducible."""
    lvl = _level(name, level)
    if name == "gzip" and lvl is not None:
        return StableGZip(lvl)
    return v2_compressor(name, level, dtype)


def describe(name: str, level: int | None) -> str:
    """``blosc-zstd:5`` style label (for plans, records and reports)."""
    lvl = _level(name, level)
    return name if lvl is None else f"{name}:{lvl}"
