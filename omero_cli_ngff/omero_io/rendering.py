"""Rendering settings of an image as OMERO has them, for the NGFF `omero` block."""

from __future__ import annotations

from typing import Any

from ..model.records import ChannelInfo, RenderingInfo
from .tile_source import PixelSourceError


def rendering_info(conn: Any, image_id: int) -> RenderingInfo:
    """Channel labels, colours, windows and defaults, as OMERO renders the image."""
    conn.SERVICE_OPTS.setOmeroGroup(-1)
    image = conn.getObject("Image", image_id)
    if image is None:
        raise PixelSourceError(f"Image:{image_id} is not readable")
    channels = []
    for ch in image.getChannels() or []:
        channels.append(ChannelInfo(
            label=ch.getLabel(),
            color=ch.getColor().getHtml(),
            window_start=ch.getWindowStart(), window_end=ch.getWindowEnd(),
            window_min=ch.getWindowMin(), window_max=ch.getWindowMax(),
            active=bool(ch.isActive()),
            inverted=bool(ch.isReverseIntensity()),
            coefficient=float(ch.getCoefficient() or 1.0),
            family=str(ch.getFamily().getValue()) if ch.getFamily() else "linear",
        ))
    info = RenderingInfo(
        channels=channels,
        default_z=image.getDefaultZ(), default_t=image.getDefaultT(),
        model="greyscale" if image.isGreyscaleRenderingModel() else "color",
    )
    image._closeRE()
    return info
