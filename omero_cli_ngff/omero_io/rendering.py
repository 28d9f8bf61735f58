"""Rendering settings of images, for the NGFF `omero` block: read, never written.

The settings are read by query, for many images at once (three queries per 1,000
images), not from a rendering engine per image: an engine costs about 30 calls per
image (create, lookups, load, seven getters per channel, close), and on a real server
its ``load`` opens the image's pixels a second time. The query returns what the engine
would: the settings object omero-server's ``PixelsImpl.retrieveRndSettings`` picks (the
caller's newest, else the image owner's newest), its channel bindings (colour, window,
active, family, coefficient, a ReverseIntensityContext for inverted intensities),
default Z and T and model.

An image without settings gets the settings OMERO would make, without making them
(omero-py's ``ImageWrapper._prepareRE`` would call ``resetDefaultSettings(True)``: a
write a read-only server refuses, and a change to the user's data as a side effect of
export). They follow OMERO's rendering engine (``ColorsFactory``, ``omeis.providers.re``):
a channel's own colour, else the colour of its emission wavelength band (400-500 nm
blue, 501-600 green, 601-700 red), else by index (red, blue, then green); the window is
the channel's statistics (else the pixel type's range), every channel active, Z in the
middle, the first T; greyscale for one channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import omero

from ..model.records import ChannelInfo, ImageRecord, RenderingInfo
from . import identity, queries
from .query import QueryRunner

log = logging.getLogger(__name__)

# Pixel type -> the window of a channel without statistics (omero-py ChannelWrapper
# getWindowMin/getWindowMax use the same table).
TYPE_RANGES = {
    "bit": (0, 1), "int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
    "uint16": (0, 65535), "int32": (-2147483648, 2147483647), "uint32": (0, 4294967295),
    "float": (-2147483648, 2147483647), "double": (-2147483648, 2147483647),
}
RED, GREEN, BLUE = "FF0000", "00FF00", "0000FF"


def rendering_info(conn: Any, record: ImageRecord,
                   runner: QueryRunner | None = None) -> RenderingInfo:
    """One image's settings (many images: `read_rendering`)."""
    return read_rendering(runner or QueryRunner(conn), [record], identity.user_id(conn))[
        record.id]


def read_rendering(runner: QueryRunner, records: list[ImageRecord],
                   caller_id: int) -> dict[int, RenderingInfo]:
    """Image id -> its rendering settings, for every record with pixels (see above)."""
    ids = [r.id for r in records if r.has_pixels]
    if not ids:
        return {}
    channels = channel_rows(runner, ids)
    try:
        found = _settings(runner, ids)
    except omero.ServerError as err:     # the pixels matter more than their display
        log.warning("rendering settings of %d images unreadable (%s): OMERO's defaults",
                    len(ids), type(err).__name__)
        found = {}
    out = {}
    for record in records:
        if not record.has_pixels:
            continue
        rows = channels.get(record.id, [])
        settings = chosen(found.get(record.id, []), caller_id, record.owner_id)
        if settings is None:
            log.info("Image:%s has no rendering settings: OMERO's defaults", record.id)
        out[record.id] = (settings.info(record, rows) if settings is not None
                          else default_rendering(record, rows))
    return out


def channel_rows(runner: QueryRunner, image_ids: list[int]) -> dict[int, list[list]]:
    """Image id -> its channels' rows (index, name, emission wavelength, red, green,
    blue, statistics min and max), in channel order."""
    out: dict[int, list[list]] = {}
    for row in runner.rows(queries.CHANNELS, image_ids):
        out.setdefault(row[0], []).append(row[1:])
    return out


def label_of(row: list) -> str:
    """OMERO's channel label (omero-py ChannelWrapper.getLabel): the name, else the
    emission wavelength, else the index."""
    index, name, emission = row[0], row[1], row[2]
    if name is not None and str(name).strip():
        return str(name)
    if emission is not None:
        return str(int(emission) if float(emission).is_integer() else emission)
    return str(index)


def default_color(row: list, index: int) -> str:
    red, green, blue, emission = row[3], row[4], row[5], row[2]
    if red is not None and green is not None and blue is not None:
        return "%02X%02X%02X" % (int(red), int(green), int(blue))
    if emission is not None:
        wave = float(emission)
        for low, high, color in ((400, 500, BLUE), (501, 600, GREEN), (601, 700, RED)):
            if low <= wave <= high:
                return color
    return (RED, BLUE)[index] if index < 2 else GREEN


def _window(record: ImageRecord, row: list | None) -> tuple[float, float]:
    low, high = TYPE_RANGES.get(record.pixel_type or "", (0, 255))
    if row is not None and row[6] is not None and row[7] is not None:
        low, high = row[6], row[7]
    return float(low), float(high)


def _row(channels: list[list], c: int) -> list:
    """Channel c's row of `channel_rows` (nothing known: its index alone)."""
    return channels[c] if c < len(channels) else [c] + [None] * 7


def _default_channel(record: ImageRecord, row: list, c: int) -> ChannelInfo:
    low, high = _window(record, row)
    return ChannelInfo(label=label_of(row), color=default_color(row, c), window_start=low,
                       window_end=high, window_min=low, window_max=high)


def default_rendering(record: ImageRecord, channels: list[list]) -> RenderingInfo:
    """The settings OMERO would make for an image that has none (see above)."""
    out = [_default_channel(record, _row(channels, c), c)
           for c in range(record.size_c or len(channels) or 1)]
    return RenderingInfo(channels=out, default_z=max(0, (record.size_z or 1) // 2),
                         default_t=0, model="greyscale" if len(out) == 1 else "color")


@dataclass
class Settings:
    """One RenderingDef: its owner, image-level values and channel bindings by index."""

    id: int
    owner_id: int
    default_z: int
    default_t: int
    model: str
    bindings: dict[int, list] = field(default_factory=dict)
    reversed: set[int] = field(default_factory=set)

    def info(self, record: ImageRecord, channels: list[list]) -> RenderingInfo:
        out = []
        for c in range(record.size_c or len(channels) or 1):
            row = _row(channels, c)
            b = self.bindings.get(c)
            if b is None:                # no binding for the channel: OMERO's defaults
                out.append(_default_channel(record, row, c))
                continue
            low, high = _window(record, row)
            active, red, green, blue, start, end, family, coefficient = b
            out.append(ChannelInfo(
                label=label_of(row), color="%02X%02X%02X" % (red, green, blue),
                window_start=float(start), window_end=float(end), window_min=low,
                window_max=high, active=bool(active), inverted=c in self.reversed,
                coefficient=float(coefficient if coefficient is not None else 1.0),
                family=str(family or "linear")))
        return RenderingInfo(channels=out, default_z=self.default_z,
                             default_t=self.default_t,
                             model="greyscale" if self.model == "greyscale" else "color")


def chosen(found: list[Settings], caller_id: int, owner_id: int) -> Settings | None:
    """The settings the server's rendering engine would load (PixelsImpl
    .retrieveRndSettings): the caller's newest, else the image owner's newest."""
    for who in (caller_id, owner_id):
        for settings in found:            # newest first (the query's order)
            if settings.owner_id == who:
                return settings
    return None


def _settings(runner: QueryRunner, ids: list[int]) -> dict[int, list[Settings]]:
    """Image id -> its settings objects, newest first."""
    by_id: dict[int, Settings] = {}
    out: dict[int, list[Settings]] = {}
    for row in runner.rows(queries.RENDERING_SETTINGS, ids):
        image_id, rdef_id, owner_id, z, t, model, index = row[:7]
        settings = by_id.get(rdef_id)
        if settings is None:
            settings = by_id[rdef_id] = Settings(rdef_id, owner_id, int(z or 0), int(t or 0),
                                                 str(model or ""))
            out.setdefault(image_id, []).append(settings)
        settings.bindings[int(index)] = row[7:]
    for rdef_id, index in (runner.rows(queries.REVERSED_CHANNELS, ids) if by_id else []):
        if rdef_id in by_id:
            by_id[rdef_id].reversed.add(int(index))
    return out
