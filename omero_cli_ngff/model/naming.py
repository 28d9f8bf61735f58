"""Names for written images: safe for paths and object keys, never two alike."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .plate_layout import PlateLayout
from .records import ImageRecord

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 120


def safe_name(text: str) -> str:
    """ASCII letters, digits, dot, dash and underscore; no leading dots; not empty."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = _UNSAFE.sub("_", text).strip("._-")
    return text[:MAX_NAME] or "image"


def _strip_zarr(name: str) -> str:
    for suffix in (".ome.zarr", ".zarr"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def image_names(records: list[ImageRecord], name_by: str) -> dict[int, str]:
    """Image id -> `<id>.ome.zarr` or `<safe name>.ome.zarr`, unique among them."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for record in records:
        if name_by == "name":
            stem = safe_name(_strip_zarr(record.name))
            if stem.lower() in taken:
                stem = f"{stem}_{record.id}"
        else:
            stem = str(record.id)
        taken.add(stem.lower())
        names[record.id] = f"{stem}.ome.zarr"
    return names


def plate_names(layouts: Iterable[PlateLayout], name_by: str, taken: set[str]) -> list[str]:
    """`plate-<id>.ome.zarr` or `<safe plate name>.ome.zarr`, unique among `taken`."""
    taken = {t.lower() for t in taken}
    names = []
    for layout in layouts:
        stem = safe_name(layout.name) if name_by == "name" else f"plate-{layout.id}"
        name = f"{stem}.ome.zarr"
        if name.lower() in taken:
            name = f"{stem}_plate{layout.id}.ome.zarr"
        taken.add(name.lower())
        names.append(name)
    return names
