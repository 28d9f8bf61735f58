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
``blosc-lz4:5`` (shuffle, automatic blocks) on realistic slides (RGB uint8, 2/3 glass
with sensor noise, tissue from ihc.png) and fluorescence (uint16, sparse blobs), one
core per codec:

- slides: 36 % smaller (ratio 2.34 against 1.50), encoding 2.5x *faster*
  (~1 GB/s against ~430 MB/s); decoding ~1 GB/s (lz4: ~2 GB/s), far above any
  network or disk a reader fetches from.
- fluorescence: 40 % smaller (ratio 3.16 against 1.89), encoding ~900 MB/s.
- plain ``zstd:1``..``3`` compress slides the same (2.4-2.5) at a quarter of the speed;
  higher levels of any zstd flavour (blosc-zstd 5+, zstd 9+, gzip) cost 5-100x the
  time for at most 5-10 % less; gzip is smaller than lz4 but slower than everything.
- Blosc-zstd is readable wherever Blosc-lz4 is (the same c-blosc library, including
  the Java readers behind OMERO's zarr pixel buffer and bioformats2raw), unlike the
  plain ``zstd`` codec, which older readers lack.

Lossless only: the source slides are JPEG-compressed, no lossless codec gets near
their size; the sensor noise of the glass sets the floor (about 2.3 bits per pixel).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .errors import InvalidSpecError

COMPRESSIONS = ("blosc-lz4", "blosc-zstd", "zstd", "gzip", "none")
DEFAULT_COMPRESSION = "blosc-zstd"

#: default level per codec and the range it accepts
DEFAULT_LEVELS = {"blosc-lz4": 5, "blosc-zstd": 1, "zstd": 3, "gzip": 6, "none": None}
BLOSC_BLOCKSIZE = 1 << 20
_RANGES = {"blosc-lz4": (0, 9), "blosc-zstd": (0, 9), "zstd": (-7, 22), "gzip": (0, 9)}


def check_compression(name: str, level: Optional[int]) -> None:
    """InvalidSpecError unless ``name``/``level`` are a valid pair."""
    if name not in COMPRESSIONS:
        raise InvalidSpecError(
            f"unknown compression {name!r}; choose one of {', '.join(COMPRESSIONS)}")
    if level is None or name == "none":
        return
    lo, hi = _RANGES[name]
    if not (lo <= int(level) <= hi):
        raise InvalidSpecError(f"compression level {level} out of range {lo}..{hi} for {name}")


def _level(name: str, level: Optional[int]) -> Optional[int]:
    check_compression(name, level)
    return DEFAULT_LEVELS[name] if level is None else int(level)


def v3_compressors(name: str, level: Optional[int], dtype) -> tuple:
    """The ``compressors`` of a Zarr v3 array (inside the sharding codec)."""
    from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec

    lvl = _level(name, level)
    itemsize = np.dtype(dtype).itemsize
    if name.startswith("blosc-"):
        return (BloscCodec(cname=name.split("-", 1)[1], clevel=lvl,
                           shuffle="shuffle" if itemsize > 1 else "bitshuffle",
                           typesize=itemsize, blocksize=BLOSC_BLOCKSIZE),)
    if name == "zstd":
        return (ZstdCodec(level=lvl),)
    if name == "gzip":
        return (GzipCodec(level=lvl),)
    return ()


def v2_compressor(name: str, level: Optional[int], dtype):
    """The numcodecs compressor of a Zarr v2 array (None for ``none``)."""
    import numcodecs

    lvl = _level(name, level)
    itemsize = np.dtype(dtype).itemsize
    if name.startswith("blosc-"):
        return numcodecs.Blosc(cname=name.split("-", 1)[1], clevel=lvl,
                               shuffle=numcodecs.Blosc.SHUFFLE if itemsize > 1
                               else numcodecs.Blosc.BITSHUFFLE,
                               blocksize=BLOSC_BLOCKSIZE)
    if name == "zstd":
        return numcodecs.Zstd(level=lvl)
    if name == "gzip":
        return numcodecs.GZip(level=lvl)
    return None


def describe(name: str, level: Optional[int]) -> str:
    """``blosc-zstd:5`` style label (for plans, records and reports)."""
    lvl = _level(name, level)
    return name if lvl is None else f"{name}:{lvl}"
