"""Pixel types and length units as OMERO names them, and what NGFF stores for them.

Plain facts shared by the writer (what to store) and the checks (what to expect).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike


class UnsupportedPixelType(ValueError):
    """A pixel type that cannot be stored in OME-Zarr (e.g. complex numbers)."""


#: OMERO PixelsType values -> numpy dtype of the stored array. OMERO ``bit`` is stored as
#: uint8 holding 0/1: every viewer and OMERO's zarr pixel buffer reads uint8, few read a
#: zarr ``bool``, and a mean pyramid of bits is only meaningful as numbers.
OMERO_PIXEL_TYPES: dict[str, np.dtype[Any]] = {
    "bit": np.dtype("uint8"),
    "int8": np.dtype("int8"),
    "uint8": np.dtype("uint8"),
    "int16": np.dtype("int16"),
    "uint16": np.dtype("uint16"),
    "int32": np.dtype("int32"),
    "uint32": np.dtype("uint32"),
    "float": np.dtype("float32"),
    "double": np.dtype("float64"),
}

#: Length units: OMERO ``UnitsLength`` enum names (and their OME-XML symbols) -> the NGFF
#: (UDUNITS-2) unit name, with a factor for the few OMERO units NGFF does not name.
_SYMBOLS = {
    "Å": "angstrom", "am": "attometer", "cm": "centimeter", "dm": "decimeter",
    "Em": "exameter", "fm": "femtometer", "ft": "foot", "Gm": "gigameter",
    "hm": "hectometer", "in": "inch", "km": "kilometer", "Mm": "megameter", "m": "meter",
    "µm": "micrometer", "um": "micrometer", "mi.": "mile", "mm": "millimeter",
    "nm": "nanometer", "pc": "parsec", "Pm": "petameter", "pm": "picometer",
    "Tm": "terameter", "yd": "yard", "ym": "yoctometer", "Ym": "yottameter",
    "zm": "zeptometer", "Zm": "zettameter",
}
_NGFF_UNITS = frozenset(_SYMBOLS.values())
#: NGFF unit name -> its OME-XML symbol
NGFF_TO_SYMBOL = {name: symbol for symbol, name in _SYMBOLS.items() if symbol != "um"}
_CONVERTED = {  # unit -> (NGFF unit, factor)
    "thou": ("inch", 1e-3), "line": ("inch", 1 / 12), "point": ("inch", 1 / 72),
    "pt": ("inch", 1 / 72), "li": ("inch", 1 / 12), "ly": ("meter", 9.4607304725808e15),
    "lightyear": ("meter", 9.4607304725808e15),
}


def ngff_length(value: float, unit: str) -> tuple[float, str | None]:
    """(value, OMERO unit name or symbol) -> (value, NGFF unit name or None).

    None means a unit NGFF cannot express (PIXEL, REFERENCEFRAME): the caller then
    writes a unit-less scale.
    """
    key = (unit or "").strip()
    if key in _SYMBOLS:
        return float(value), _SYMBOLS[key]
    low = key.lower()
    if low in _NGFF_UNITS:
        return float(value), low
    if low in _CONVERTED:
        name, factor = _CONVERTED[low]
        return float(value) * factor, name
    return float(value), None


def stored_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    """The numpy dtype the array is written with, or UnsupportedPixelType."""
    if isinstance(dtype, str) and dtype in OMERO_PIXEL_TYPES:
        return OMERO_PIXEL_TYPES[dtype]
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise UnsupportedPixelType(f"unsupported pixel type {dtype!r}") from exc
    if dt == np.bool_:
        return np.dtype("uint8")
    if dt.kind in "iuf" and dt.itemsize <= 8 and dt.isnative:
        return dt
    if dt.kind in "iuf" and dt.itemsize <= 8:
        return dt.newbyteorder("=")
    raise UnsupportedPixelType(
        f"unsupported pixel type {dt} (only integers, floats and bit/bool can be stored)")
