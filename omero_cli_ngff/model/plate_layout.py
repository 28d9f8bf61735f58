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


def axis_name(index: int, convention: str | None) -> str:
    """Row or column ``index`` (from 0) as OMERO shows it: letters (A..Z, AA..) or
    numbers (1..)."""
    if (convention or "").lower() != "letter":
        return str(index + 1)
    name, n = "", index
    while True:
        name = string.ascii_uppercase[n % 26] + name
        n = n // 26 - 1
        if n < 0:
            return name


def axis_names(count: int, convention: str | None) -> list[str]:
    """Row or column names as OMERO shows them: letters (A..Z, AA..) or numbers (1..)."""
    return [axis_name(i, convention) for i in range(count)]


def well_label(row: int | None, column: int | None, row_naming: str | None = None,
               column_naming: str | None = None) -> str:
    """A well as OMERO labels it: its plate's row label then column label (omero-py's
    ``WellWrapper.getWellPos``: A1, H12, AA3; ``11`` for row 1, column 1 when rows are
    numbered), OMERO's defaults (rows letters, columns numbers) when a convention is
    unset; '' for no well."""
    if row is None or column is None:
        return ""
    return (axis_name(int(row), row_naming or "letter")
            + axis_name(int(column), column_naming or "number"))
