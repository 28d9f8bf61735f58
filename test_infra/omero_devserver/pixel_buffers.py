"""Which pixel buffer a real OMERO reads an image through, and what follows from it.

Plain data (no Ice): the catalogue uses it to validate specs, the RawPixelsStore to
answer. Follows ome/omero-romio ``ome/io/nio/PixelsService._getPixelBuffer``:

- ``bioformats``: the image has an original file (a fileset): ``BfPixelBuffer`` reads
  it with Bio-Formats (or a ``BfPyramidPixelBuffer`` over a generated pyramid). Its
  levels are the reader's resolutions; ``getTileSize`` is the reader's optimal tile
  *for the current resolution* (``BfPixelBuffer.getTileSize``), so it may differ per
  level (the catalogue's ``tileSize`` may list one per level).
- ``pyramid``: no original file but a pyramid file (legacy big images):
  ``BfPyramidPixelBuffer``, which delegates to a ``BfPixelBuffer``.
- ``romio``: no original file, no pyramid (images written by scripts, legacy data):
  ``RomioPixelBuffer``: one level; ``setResolutionLevel`` throws
  ``UnsupportedOperationException("Cannot set resolution levels on a ROMIO pixel
  buffer.")`` whatever the level, which omero-blitz ``IceMapper.handleException``
  turns into ``omero.InternalException``; ``getTileSize`` is the full width by as
  many rows as fit ``MAXIMUM_BUFFER_SIZE`` (1 MiB).
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

BIOFORMATS, PYRAMID, ROMIO = "bioformats", "pyramid", "romio"
KINDS = (BIOFORMATS, PYRAMID, ROMIO)
ROMIO_MAXIMUM_BUFFER_SIZE = 1048576        # RomioPixelBuffer.MAXIMUM_BUFFER_SIZE
ROMIO_LEVEL_REFUSED = "Cannot set resolution levels on a ROMIO pixel buffer."
ROMIO_EXCEPTION_CLASS = "java.lang.UnsupportedOperationException"


def default_kind(has_original_file: bool, levels: int) -> str:
    """The buffer OMERO picks when the catalogue does not say."""
    if has_original_file:
        return BIOFORMATS
    return PYRAMID if levels > 1 else ROMIO


def romio_tile(size_x: int, size_y: int, bytes_per_pixel: int) -> Tuple[int, int]:
    """RomioPixelBuffer.getTileSize."""
    rows = (ROMIO_MAXIMUM_BUFFER_SIZE // bytes_per_pixel) // size_x
    return size_x, max(1, min(size_y, rows))


def level_tile(tile_sizes: Sequence[Tuple[int, int]], level_size: Tuple[int, int],
               index: int) -> List[int]:
    """The tile of level ``index`` (0 = full resolution): its own entry, else the last
    one listed, never larger than the level."""
    w, h = tile_sizes[min(index, len(tile_sizes) - 1)]
    return [min(w, level_size[0]), min(h, level_size[1])]
