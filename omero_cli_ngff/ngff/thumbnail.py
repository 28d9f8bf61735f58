"""A small PNG of an OME-Zarr image, from its lowest pyramid level, for the index page.

The picture follows the image's own ``omero`` rendering block when it has one (channel
colours and windows, active channels), else grey or RGB with each channel stretched to
its range; the middle Z plane, the first T. Pillow encodes and resizes (it is the
well-kept imaging library; nothing here writes PNG by hand).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

__all__ = ["thumbnail_png", "render_thumbnail", "MAX_SIDE"]

MAX_SIDE = 128


def _ome(attrs: dict[str, Any]) -> dict[str, Any]:
    ome = attrs.get("ome")
    return ome if isinstance(ome, dict) else attrs


def thumbnail_png(store: Any, group_path: str = "0", max_side: int = MAX_SIDE) -> bytes:
    """The PNG of the image group ``group_path`` of a zarr store (its lowest level)."""
    import zarr

    group = zarr.open_group(store, mode="r", path=group_path)
    ome = _ome(dict(group.attrs))
    multiscale = ome["multiscales"][0]
    axes = [a["name"] if isinstance(a, dict) else str(a) for a in multiscale["axes"]]
    level = group[multiscale["datasets"][-1]["path"]]
    if not isinstance(level, zarr.Array):
        raise ValueError("the lowest level is not an array")
    index: list[int | slice] = []
    for axis, size in zip(axes, level.shape):
        if axis == "t":
            index.append(0)
        elif axis == "z":
            index.append(size // 2)
        else:
            index.append(slice(None))
    plane = np.asarray(level[tuple(index)])
    if "c" not in axes:
        plane = plane[np.newaxis]
    channels = (ome.get("omero") or {}).get("channels") or []
    return render_thumbnail(plane, channels, max_side)


def _window(data: np.ndarray, channel: dict[str, Any] | None) -> tuple[float, float]:
    """The channel's window, narrowed to the data's range (a default window is often
    the pixel type's whole range, which would make a dim picture black)."""
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return 0.0, 1.0
    # percentiles, not extremes: one hot or dead pixel must not wash the picture out
    low, high = (float(v) for v in np.percentile(finite, [0.5, 99.5]))
    window = (channel or {}).get("window") or {}
    if "start" in window and "end" in window and window["end"] > window["start"]:
        low, high = max(low, float(window["start"])), min(high, float(window["end"]))
    return (low, high) if high > low else (low, low + 1.0)


def _colour(channel: dict[str, Any] | None, index: int, count: int) -> np.ndarray:
    text = str((channel or {}).get("color") or "")
    if len(text) == 6:
        try:
            return np.array([int(text[i:i + 2], 16) / 255.0 for i in (0, 2, 4)])
        except ValueError:
            pass
    if count == 1:
        return np.ones(3)
    colour: np.ndarray = np.eye(3)[index % 3]
    return colour


def render_thumbnail(plane: np.ndarray, channels: list[dict[str, Any]],
                     max_side: int = MAX_SIDE) -> bytes:
    """A (C, Y, X) plane as an RGB PNG no larger than ``max_side`` on either side."""
    from PIL import Image

    count = plane.shape[0]
    rgb = np.zeros(plane.shape[1:] + (3,), dtype=np.float64)
    for c in range(count):
        channel = channels[c] if c < len(channels) else None
        if channel is not None and channel.get("active") is False:
            continue
        data = plane[c].astype(np.float64)
        low, high = _window(data, channel)
        scaled = np.clip((np.nan_to_num(data) - low) / (high - low), 0.0, 1.0)
        rgb += scaled[..., np.newaxis] * _colour(channel, c, count)
    pixels = (np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)
    picture = Image.fromarray(pixels, mode="RGB")
    picture.thumbnail((max_side, max_side))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
