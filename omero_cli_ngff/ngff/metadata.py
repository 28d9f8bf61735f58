"""NGFF attributes as plain dicts: multiscales, the ``omero`` rendering block, plates
and wells, for 0.4 (``.zattrs``, version inside each block) and 0.5 (``zarr.json``
attributes under ``ome`` with one ``version``).

``image_attrs`` and friends return the *attributes* dict to store on the group; the
writer decides when (after all data: readers take multiscales as "complete").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..model.pixel_types import ngff_length
from ..model.records import ChannelInfo, PhysicalSize, RenderingInfo
from .spec import AXES, ImageSpec

_RGB = ["FF0000", "00FF00", "0000FF"]
_DEFAULT_COLORS = ["FFFFFF"]


def axes(spec: ImageSpec) -> list[dict[str, Any]]:
    """t, c, z, y, x with types and, where known, the NGFF unit of each spatial axis."""
    units = {"z": spec.physical_z, "y": spec.physical_y, "x": spec.physical_x}
    out = []
    for name in AXES:
        kind = {"t": "time", "c": "channel"}.get(name, "space")
        ax: dict[str, Any] = {"name": name, "type": kind}
        p = units.get(name)
        if p is not None:
            _, unit = ngff_length(p.value, p.unit)
            if unit:
                ax["unit"] = unit
        out.append(ax)
    return out


def base_scale(spec: ImageSpec) -> list[float]:
    """Physical size per axis at full resolution (1 where unknown)."""
    def v(p: PhysicalSize | None) -> float:
        if p is None:
            return 1.0
        value, _ = ngff_length(p.value, p.unit)
        return value if value > 0 else 1.0

    return [1.0, 1.0, v(spec.physical_z), v(spec.physical_y), v(spec.physical_x)]


def level_scales(spec: ImageSpec, n_levels: int) -> list[list[float]]:
    """One scale per level: y and x double at each level, t/c/z unchanged."""
    base = base_scale(spec)
    return [base[:3] + [base[3] * 2 ** k, base[4] * 2 ** k] for k in range(n_levels)]


def multiscale(spec: ImageSpec, paths: Sequence[str], version: str) -> dict[str, Any]:
    ms: dict[str, Any] = {
        "name": spec.name,
        "axes": axes(spec),
        "datasets": [
            {"path": p, "coordinateTransformations": [{"type": "scale", "scale": s}]}
            for p, s in zip(paths, level_scales(spec, len(paths)))
        ],
        "type": "mode" if spec.label is not None else "mean",
        "metadata": {"method": "2x2 mode (ties to the top-left pixel)" if spec.label
                     is not None else "2x2 mean (integers rounded half to even)",
                     "description": "written by omero-cli-ngff"},
    }
    if version == "0.4":
        ms = {"version": "0.4", **ms}
    return ms


def _dtype_range(dtype: np.dtype[Any]) -> tuple[float, float]:
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return float(info.min), float(info.max)
    return 0.0, 1.0


def default_rendering(spec: ImageSpec) -> RenderingInfo:
    """Neutral settings when the caller has none: full type range, RGB colours for 3
    channels of uint8, white otherwise."""
    lo, hi = _dtype_range(spec.numpy_dtype)
    if spec.pixel_type == "bit":
        lo, hi = 0.0, 1.0
    rgb = spec.size_c == 3 and spec.numpy_dtype == np.uint8
    colors = _RGB if rgb else _DEFAULT_COLORS * spec.size_c
    chans = [ChannelInfo(label=str(i), color=colors[i], window_start=lo, window_end=hi,
                         window_min=lo, window_max=hi)
             for i in range(spec.size_c)]
    return RenderingInfo(channels=chans, default_z=spec.size_z // 2, default_t=0,
                         model="color" if spec.size_c > 1 else "greyscale")


def hex_color(c: str) -> str:
    """``RRGGBB`` of a colour as OMERO stores it (white when it is not one)."""
    c = (c or "FFFFFF").lstrip("#").upper()
    return c[:6] if len(c) >= 6 else "FFFFFF"


def omero_block(spec: ImageSpec, version: str, image_id: int | None = None) -> dict[str, Any]:
    """The NGFF ``omero`` block (transitional metadata, read by OMERO and viewers)."""
    r = spec.rendering or default_rendering(spec)
    chans = list(r.channels)
    if len(chans) < spec.size_c:         # complete missing channels with defaults
        chans += default_rendering(spec).channels[len(chans):]
    block: dict[str, Any] = {
        "name": spec.name,
        "channels": [
            {
                "label": ch.label,
                "color": hex_color(ch.color),
                "window": {"start": float(ch.window_start), "end": float(ch.window_end),
                           "min": float(ch.window_min), "max": float(ch.window_max)},
                "active": bool(ch.active),
                "inverted": bool(ch.inverted),
                "coefficient": float(ch.coefficient),
                "family": ch.family or "linear",
            }
            for ch in chans[:spec.size_c]
        ],
        "rdefs": {"defaultZ": int(min(max(r.default_z, 0), spec.size_z - 1)),
                  "defaultT": int(min(max(r.default_t, 0), spec.size_t - 1)),
                  "model": r.model if r.model in ("color", "greyscale") else "color"},
    }
    if image_id is not None:
        block["id"] = int(image_id)
    if version == "0.4":
        block["version"] = "0.4"
    return block


def wrap(version: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """0.5 keeps NGFF attributes under ``ome`` with one version; 0.4 at the top."""
    if version == "0.5":
        return {"ome": {"version": "0.5", **attrs}}
    return attrs


def image_attrs(spec: ImageSpec, paths: Sequence[str], version: str,
                image_id: int | None = None) -> dict[str, Any]:
    return wrap(version, {"multiscales": [multiscale(spec, paths, version)],
                          "omero": omero_block(spec, version, image_id)})


def label_attrs(spec: ImageSpec, paths: Sequence[str], version: str) -> dict[str, Any]:
    """A label image's attributes: multiscales and ``image-label`` (colours, properties
    and the source image), no ``omero`` block."""
    info = spec.label
    assert info is not None
    image_label: dict[str, Any] = {
        "colors": [{"label-value": int(v), "rgba": [int(c) for c in rgba]}
                   for v, rgba in info.colors],
        "properties": [dict(p) for p in info.properties],
        "source": {"image": info.source},
    }
    if version == "0.4":
        image_label["version"] = "0.4"
    return wrap(version, {"multiscales": [multiscale(spec, paths, version)],
                          "image-label": image_label})


def labels_group_attrs(names: Sequence[str], version: str) -> dict[str, Any]:
    """The ``labels`` group of an image: the names of its label images."""
    return wrap(version, {"labels": list(names)})


def read_ome(attrs: object) -> dict[str, Any]:
    """NGFF attributes of a group as one dict, whatever the version."""
    if not isinstance(attrs, dict):
        return {}
    ome: dict[str, Any] = attrs.get("ome", attrs)
    return ome


# -- plates ------------------------------------------------------------------------------

def plate_attrs(name: str, rows: Sequence[str], columns: Sequence[str],
                wells: Sequence[tuple[str, str]], field_count: int, version: str,
                acquisitions: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """``wells``: (row name, column name) pairs that exist."""
    ri = {r: i for i, r in enumerate(rows)}
    ci = {c: i for i, c in enumerate(columns)}
    plate: dict[str, Any] = {
        "name": name,
        "rows": [{"name": r} for r in rows],
        "columns": [{"name": c} for c in columns],
        "wells": [{"path": f"{r}/{c}", "rowIndex": ri[r], "columnIndex": ci[c]} for r, c in wells],
        "field_count": int(field_count),
    }
    if acquisitions:
        plate["acquisitions"] = [dict(a) for a in acquisitions]
    plate["version"] = version       # 0.5 too: ome-zarr-models expects it in the plate
    return wrap(version, {"plate": plate})


def well_attrs(fields: Sequence[tuple[str, int | None]], version: str) -> dict[str, Any]:
    """``fields``: (path, acquisition id or None) per field image."""
    images = []
    for path, acq in fields:
        im: dict[str, Any] = {"path": str(path)}
        if acq is not None:
            im["acquisition"] = int(acq)
        images.append(im)
    well: dict[str, Any] = {"images": images}
    if version == "0.4":
        well["version"] = "0.4"
    return wrap(version, {"well": well})
