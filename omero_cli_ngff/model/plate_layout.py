"""OMERO plates as plain layouts: rows, columns, wells and their fields, acquisitions."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any


@dataclass
class WellLayout:
    row: str
    column: str
    fields: list[tuple[int, int | None]] = field(default_factory=list)   # (image, acquisition)


@dataclass
class PlateLayout:
    id: int
    name: str
    rows: list[str]
    columns: list[str]
    wells: list[WellLayout] = field(default_factory=list)
    acquisitions: list[dict[str, Any]] = field(default_factory=list)   # NGFF acquisition dicts
    screen_id: int | None = None       # the first screen it is in (None: in none)

    @property
    def image_ids(self) -> list[int]:
        return [image_id for well in self.wells for image_id, _ in well.fields]

    def field_paths(self, usable: set[int] | None = None) -> dict[int, str]:
        """Image id -> its field group in the NGFF plate (``A/1/0``): fields numbered
        in well-sample order, counting only ``usable`` images (those with pixels)."""
        out: dict[int, str] = {}
        for well in self.wells:
            index = 0
            for image_id, _ in well.fields:
                if usable is not None and image_id not in usable:
                    continue
                out[image_id] = f"{well.row}/{well.column}/{index}"
                index += 1
        return out


def axis_names(count: int, convention: str | None) -> list[str]:
    """Row or column names as OMERO shows them: letters (A..Z, AA..) or numbers (1..)."""
    if (convention or "").lower() != "letter":
        return [str(i + 1) for i in range(count)]
    letters = string.ascii_uppercase
    names = []
    for i in range(count):
        name, n = "", i
        while True:
            name = letters[n % 26] + name
            n = n // 26 - 1
            if n < 0:
                break
        names.append(name)
    return names
