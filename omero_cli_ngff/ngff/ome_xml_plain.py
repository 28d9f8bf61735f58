"""The OME-XML of images without ROIs or annotations, written as text: the same
characters ome-types writes (``tests/ngff/test_ome_xml_plain.py`` holds the two equal),
without importing it.

Why: importing ome-types builds its pydantic models, about half a second of CPU and of
the GIL (measured: 0.46 of the 0.9 CPU seconds of exporting a 4k x 4k slide, slowing
every reader thread meanwhile). Most images carry no ROIs or annotations; their
OME-XML is an Image, its Pixels and Channels, and at most a date and a description.
Anything more (ROIs, annotations, plates) is written by ome-types (``ome_xml``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from ..model.annotations_meta import ImageMetadata
from ..model.pixel_types import NGFF_TO_SYMBOL, ngff_length
from . import metadata as md
from .errors import UnsupportedPixelTypeError
from .spec import ImageSpec

OME_URI = "http://www.openmicroscopy.org/Schemas/OME/2016-06"
OME_TYPES = {"int8", "int16", "int32", "uint8", "uint16", "uint32", "float", "double", "bit"}
ORDERS = ("XYZCT", "XYZTC", "XYCTZ", "XYCZT", "XYTCZ", "XYTZC")
HEAD = (f'<OME xmlns="{OME_URI}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{OME_URI} {OME_URI}/ome.xsd" Creator="omero-cli-ngff">')
# Characters XML 1.0 cannot hold (names in OMERO may): shown as \xNN, as ome_xml does.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ATTR = {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
_TEXT = {"\r": "&#13;"}


def is_plain(metadata: Sequence[ImageMetadata | None] | None) -> bool:
    """Can ``plain_ome_xml`` describe images with this metadata (no ROIs, no
    annotations)?"""
    return all(m is None or (not m.rois and not m.annotations) for m in metadata or ())


def _safe(text: str) -> str:
    return NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _attr(text: str) -> str:
    return escape(_safe(text), _ATTR)


def _float(value: float) -> str:
    """A double as xsdata writes it (``repr``, capital E, no plus sign)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "INF" if value > 0 else "-INF"
    return repr(float(value)).upper().replace("E+", "E")


def _date(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _color(rrggbb: str) -> str:
    """OME's Color: RGBA (alpha 255) as a signed 32-bit integer."""
    rgba = (int(md.hex_color(rrggbb), 16) << 8) | 0xFF
    return str(rgba - (1 << 32) if rgba >= 1 << 31 else rgba)


def physical_sizes(spec: ImageSpec) -> list[tuple[str, float, str]]:
    """(axis, value, OME unit symbol) of the physical sizes OME-XML can hold."""
    out = []
    for axis in ("x", "y", "z"):
        p = getattr(spec, f"physical_{axis}")
        if p is None:
            continue
        value, unit = ngff_length(p.value, p.unit)
        if unit and value > 0:
            out.append((axis, value, NGFF_TO_SYMBOL[unit]))
    return out


def channel_infos(spec: ImageSpec) -> list[Any]:
    """Each channel's settings (OMERO's defaults for those the rendering lacks)."""
    rendering = spec.rendering or md.default_rendering(spec)
    defaults = md.default_rendering(spec).channels
    return (list(rendering.channels) + defaults[len(rendering.channels):])[:spec.size_c]


def _physical(spec: ImageSpec) -> str:
    return "".join(f' PhysicalSize{axis.upper()}="{_float(value)}"'
                   f' PhysicalSize{axis.upper()}Unit="{_attr(symbol)}"'
                   for axis, value, symbol in physical_sizes(spec))


def _image(i: int, spec: ImageSpec, meta: ImageMetadata | None) -> list[str]:
    ptype = spec.pixel_type
    if ptype not in OME_TYPES:
        raise UnsupportedPixelTypeError(f"{spec.name!r}: OME-XML has no pixel type {ptype}")
    lines = [f'  <Image ID="Image:{i}" Name="{_attr(spec.name)}">']
    if meta is not None and meta.acquisition_date is not None:
        lines.append(f"    <AcquisitionDate>{_date(meta.acquisition_date)}</AcquisitionDate>")
    if meta is not None and meta.description is not None:
        text = escape(_safe(meta.description), _TEXT)
        lines.append(f"    <Description>{text}</Description>" if text else "    <Description/>")
    order = spec.dimension_order if spec.dimension_order in ORDERS else "XYZCT"
    lines.append(f'    <Pixels ID="Pixels:{i}" DimensionOrder="{order}" Type="{ptype}" '
                 f'BigEndian="false" SizeX="{spec.size_x}" SizeY="{spec.size_y}" '
                 f'SizeZ="{spec.size_z}" SizeC="{spec.size_c}" SizeT="{spec.size_t}"'
                 f'{_physical(spec)}>')
    for c, ch in enumerate(channel_infos(spec)):
        lines.append(f'      <Channel ID="Channel:{i}:{c}" Name="{_attr(ch.label)}" '
                     f'SamplesPerPixel="1" Color="{_color(ch.color)}"/>')
    lines += ["      <MetadataOnly/>", "    </Pixels>", "  </Image>"]
    return lines


def plain_ome_xml(images: Sequence[ImageSpec],
                  metadata: Sequence[ImageMetadata | None] | None = None) -> str:
    """The OME-XML of ``images`` (their metadata: ``is_plain``), as ome-types writes it."""
    metas = list(metadata or ())
    metas += [None] * (len(images) - len(metas))
    lines = [HEAD]
    for i, (spec, meta) in enumerate(zip(images, metas)):
        lines += _image(i, spec, meta)
    return "\n".join(lines + ["</OME>", ""])
