"""Rendering settings of an image, for the NGFF `omero` block: read, never written.

From a rendering engine when the server has one to offer: the settings exist (the
caller's, else the image owner's: omero-server ``PixelsImpl.retrieveRndSettings``) and
the pixels are readable. Otherwise from the channels alone, without an engine:

- no settings yet: omero-py's ``ImageWrapper._prepareRE`` would create them
  (``resetDefaultSettings(True)``), a write the plugin never makes (a read-only server
  refuses it; on any other it would change the user's data as a side effect of export);
- the pyramid is still being built: ``RenderingEngine.load`` raises
  ``MissingPyramidException`` (a ``ConcurrencyException``), as ``getChannels`` finds
  when it returns channels without an engine;
- any other refusal of the engine.

Without an engine the settings are those OMERO would make (``ColorsFactory`` of its
rendering engine, ``omeis.providers.re``): a channel's own colour, else the colour of its
emission wavelength band (400-500 nm blue, 501-600 green, 601-700 red), else by index
(red, blue, then green); the window is the channel's statistics (else the pixel type's
range), every channel active, Z in the middle, the first T; greyscale for one channel.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import omero

from ..model.records import ChannelInfo, ImageRecord, RenderingInfo
from . import queries
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


def rendering_info(conn: Any, record: ImageRecord, runner: QueryRunner | None = None,
                   channels: list[list] | None = None) -> RenderingInfo:
    """Channel labels, colours, windows and defaults, without writing anything
    (``channels``: the image's rows of `channel_rows`, when read already in a batch)."""
    if channels is None:
        channels = channel_rows(runner or QueryRunner(conn), [record.id]).get(record.id, [])
    info = _from_engine(conn, record, channels)
    return info if info is not None else default_rendering(record, channels)


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


def default_rendering(record: ImageRecord, channels: list[list]) -> RenderingInfo:
    """The settings OMERO would make for an image that has none (see above)."""
    out = []
    for c in range(record.size_c or len(channels) or 1):
        row = channels[c] if c < len(channels) else [c, None, None, None, None, None,
                                                     None, None]
        low, high = _window(record, row)
        out.append(ChannelInfo(label=label_of(row), color=default_color(row, c),
                               window_start=low, window_end=high, window_min=low,
                               window_max=high))
    return RenderingInfo(channels=out, default_z=max(0, (record.size_z or 1) // 2),
                         default_t=0, model="greyscale" if len(out) == 1 else "color")


def _from_engine(conn: Any, record: ImageRecord,
                 channels: list[list]) -> RenderingInfo | None:
    """The engine's settings, or None when the server has no engine to offer."""
    ctx = {"omero.group": str(record.group_id)}
    engine = None
    try:
        engine = conn.c.sf.createRenderingEngine(ctx)
        engine.lookupPixels(record.pixels_id, ctx)
        if not engine.lookupRenderingDef(record.pixels_id, ctx):
            log.info("Image:%s has no rendering settings: OMERO's defaults", record.id)
            return None
        engine.load(ctx)
        return _read_engine(engine, ctx, record, channels)
    except omero.ServerError as err:
        log.info("Image:%s: no rendering engine (%s): OMERO's defaults", record.id,
                 type(err).__name__)
        return None
    finally:
        if engine is not None:
            with contextlib.suppress(Exception):   # a dead service: nothing to free
                engine.close(ctx)


# What _read_engine asks the engine for each channel and once for the image.
CHANNEL_CALLS = ("getChannelFamily", "getCodomainMapContext", "getRGBA", "getChannelWindowStart",
                 "getChannelWindowEnd", "isActive", "getChannelCurveCoefficient")
IMAGE_CALLS = ("getModel", "getDefaultZ", "getDefaultT")


def _ask_all(engine, ctx: dict, size_c: int) -> tuple[list[dict], dict]:
    """Every getter's answer, asked all at once (Ice's asynchronous calls: one round trip
    instead of 7 per channel + 3, about 30 for an RGB image, which made most of a small
    image's time), then collected in order."""
    def begin(name: str, *args):
        return name, getattr(engine, "begin_" + name)(*args, _ctx=ctx)

    channels = [[begin(name, c) for name in CHANNEL_CALLS] for c in range(size_c)]
    image = [begin(name) for name in IMAGE_CALLS]

    def end(pending):
        return {name: getattr(engine, "end_" + name)(r) for name, r in pending}
    return [end(p) for p in channels], end(image)


def _read_engine(engine, ctx: dict, record: ImageRecord,
                 channels: list[list]) -> RenderingInfo:
    out = []
    answers, image = _ask_all(engine, ctx, record.size_c or len(channels))
    for c, a in enumerate(answers):
        row = channels[c] if c < len(channels) else [c] + [None] * 7
        low, high = _window(record, row)
        family = a["getChannelFamily"]
        reverse = any(isinstance(m, omero.model.ReverseIntensityContext)
                      for m in a["getCodomainMapContext"] or [])
        out.append(ChannelInfo(
            label=label_of(row), color="%02X%02X%02X" % tuple(a["getRGBA"][:3]),
            window_start=a["getChannelWindowStart"], window_end=a["getChannelWindowEnd"],
            window_min=low, window_max=high, active=bool(a["isActive"]), inverted=reverse,
            coefficient=float(a["getChannelCurveCoefficient"] or 1.0),
            family=str(family.getValue().getValue()) if family is not None else "linear"))
    model = image["getModel"]
    greyscale = model is not None and model.getValue().getValue() == "greyscale"
    return RenderingInfo(channels=out, default_z=image["getDefaultZ"],
                         default_t=image["getDefaultT"],
                         model="greyscale" if greyscale else "color")
