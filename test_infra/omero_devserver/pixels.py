"""Deterministic pixel values: what the dev server sends, and what tests expect.

Every pixel is a function of (image, z, c, t, x, y), computed vectorised with numpy,
so an image of 200,000 x 100,000 pixels costs nothing until a tile is asked for, and
a test can compute the expected value of any pixel::

    from test_infra.omero_devserver.pixels import expected_tile
    want = expected_tile(image_id, z, c, t, x, y, w, h)           # demo catalogue
    want = expected_tile(7, 0, 1, 0, 0, 0, 256, 256, level=2, catalogue="other.yaml")

The result is a native-endian array of shape (h, w) with the image's numpy dtype; the
server sends the same values big-endian (``encode``). ``level`` counts like
``getResolutionDescriptions`` and NGFF: 0 is full resolution, level k has size
``full // 2**k`` and its pixel (x, y) is the full-resolution pixel (x * 2**k, y * 2**k).
OMERO's own numbering is reversed (``setResolutionLevel(levels - 1)`` is full
resolution): ``level = levels - 1 - omero_level``.

Patterns (``pattern:`` in the spec; ``ramp`` by default):

- ramp: ``v = 7*seed + x + 2*y + 101*z + 37*c + 11*t`` (seed = image id unless given),
  wrapped into integer types (two's complement), ``v / 2`` for float and double,
  ``v & 1`` for bit;
- zeros, constant (``value:``), blocks (the ramp of (x // 64, y // 64): compresses
  well), noise (a splitmix64 hash of the coordinates: does not compress);
- slide (uint8, channel c of an RGB brightfield slide: ~2/3 near-white glass with
  sensor noise, tissue from skimage's ihc.png) and fluorescence (uint16: dark
  background, sparse bright blobs fading over z), from ``test_infra.realistic_pixels``
  (the generators of ``benchmarks/slide_data.py``): data that compresses like real
  data, for measurements. Seeded by seed, z and t.
"""

from __future__ import annotations

from typing import Optional, Union

import numpy as np

from .catalogue import Catalogue, Image, Pixels, load_catalogue

DTYPES = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16, "uint16": np.uint16,
          "int32": np.int32, "uint32": np.uint32, "float": np.float32,
          "double": np.float64, "bit": np.uint8}


def dtype_of(pixel_type: str) -> np.dtype:
    return np.dtype(DTYPES[pixel_type])


def resolve_pixels(image: Union[int, Image, Pixels],
                   catalogue: Union[None, str, Catalogue] = None) -> Pixels:
    """The Pixels record of an image id, Image record or Pixels record."""
    if isinstance(image, Pixels):
        return image
    if not isinstance(image, Image):
        cat = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)
        image = cat.image(int(image))
    if image.pixels is None:
        raise ValueError("Image:%s has no pixels" % image.id)
    return image.pixels


def _splitmix(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.uint64)
    with np.errstate(over="ignore"):
        v = v + np.uint64(0x9E3779B97F4A7C15)
        v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return v ^ (v >> np.uint64(31))


def _to_type(v: np.ndarray, pixel_type: str) -> np.ndarray:
    """int64 values -> the pixel type (integers wrap, floats halve, bits mask)."""
    if pixel_type == "bit":
        return (v & 1).astype(np.uint8)
    if pixel_type in ("float", "double"):
        return (v / 2.0).astype(DTYPES[pixel_type])
    bits = np.dtype(DTYPES[pixel_type]).itemsize * 8
    wrapped = (v & ((1 << bits) - 1)).astype(np.uint64)
    return wrapped.astype(np.dtype("u%d" % (bits // 8))).view(DTYPES[pixel_type])


def expected_tile(image: Union[int, Image, Pixels], z: int, c: int, t: int,
                  x: int, y: int, w: int, h: int, level: int = 0,
                  catalogue: Union[None, str, Catalogue] = None) -> np.ndarray:
    """The values of a tile, shape (h, w), as the dev server generates them.

    ``image``: an image id (looked up in ``catalogue``, default the demo catalogue),
    or an Image / Pixels record. ``level``: 0 = full resolution (see module doc).
    """
    pix = resolve_pixels(image, catalogue)
    scale = 1 << level
    xs = (np.arange(x, x + w, dtype=np.int64) * scale)[None, :]
    ys = (np.arange(y, y + h, dtype=np.int64) * scale)[:, None]
    pattern = pix.pattern
    if pattern in ("slide", "fluorescence"):
        return _realistic(pix, z, c, t, xs[0], ys[:, 0])
    if pattern == "zeros":
        return np.zeros((h, w), dtype=DTYPES[pix.pixel_type])
    if pattern == "constant":
        return np.full((h, w), pix.pattern_value, dtype=DTYPES[pix.pixel_type])
    if pattern == "blocks":
        xs, ys = xs // 64, ys // 64
    base = 7 * pix.seed + 101 * z + 37 * c + 11 * t
    v = (base + xs) + 2 * ys                # broadcasts to (h, w)
    if pattern == "noise":
        v = (_splitmix(v * 1000003 + xs * 7919) & np.uint64(0x7FFFFFFF)).astype(np.int64)
        if pix.pixel_type in ("float", "double"):
            return ((v & 0xFFFF) / 65536.0).astype(DTYPES[pix.pixel_type])
    return _to_type(v, pix.pixel_type)


def _realistic(pix: Pixels, z: int, c: int, t: int, xs: np.ndarray,
               ys: np.ndarray) -> np.ndarray:
    from test_infra.realistic_pixels import fluorescence_pixels, slide_pixels

    if pix.pattern == "slide":
        seed = pix.seed + 1009 * z + 7919 * t
        out = slide_pixels(ys, xs, seed=seed, channel=c % 3)
    else:
        out = fluorescence_pixels(ys, xs, c, z, pix.size_z, seed=pix.seed + 7919 * t)
    return out.astype(DTYPES[pix.pixel_type], copy=False)


def encode(tile: np.ndarray) -> bytes:
    """Bytes as OMERO sends them: big-endian."""
    return tile.astype(tile.dtype.newbyteorder(">"), copy=False).tobytes()


def decode(data: bytes, pixel_type: str, w: int, h: int) -> np.ndarray:
    """Big-endian bytes from RawPixelsStore -> native array (h, w)."""
    return np.frombuffer(data, dtype=dtype_of(pixel_type).newbyteorder(">")).reshape(
        h, w).astype(dtype_of(pixel_type))


def expected_plane(image, z, c, t, level: int = 0,
                   catalogue: Optional[Union[str, Catalogue]] = None) -> np.ndarray:
    """A whole plane (of a small image!) at a resolution level."""
    pix = resolve_pixels(image, catalogue)
    sx, sy = pix.level_sizes[level]
    return expected_tile(pix, z, c, t, 0, 0, sx, sy, level=level)
