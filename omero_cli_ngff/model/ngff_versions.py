"""Facts of each NGFF version the tool reads and writes, in one place (as ome-zarr-py's
``format.py`` does): the Zarr format under it, where its metadata documents live, and
how a viewer names its storage. Plain values: every layer may use them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class NgffVersion:
    name: str                  # "0.4"
    zarr_format: Literal[2, 3]
    group_metadata: str        # the document of a group: ".zattrs" or "zarr.json"
    array_metadata: str        # the document of an array: ".zarray" or "zarr.json"
    neuroglancer_scheme: str   # "zarr2" or "zarr3"

    def ome_attrs(self, group_document: Any) -> dict[str, Any]:
        """The NGFF attributes inside a group's metadata document ({} when absent):
        0.5 keeps them under ``attributes.ome``, 0.4 at the top of ``.zattrs``."""
        if not isinstance(group_document, dict):
            return {}
        if self.zarr_format == 3:
            attrs = (group_document.get("attributes") or {}).get("ome") or {}
            return attrs if isinstance(attrs, dict) else {}
        return group_document


V04 = NgffVersion("0.4", 2, ".zattrs", ".zarray", "zarr2")
V05 = NgffVersion("0.5", 3, "zarr.json", "zarr.json", "zarr3")
VERSIONS = {v.name: v for v in (V04, V05)}
KNOWN = tuple(VERSIONS)
LATEST = "0.5"


def ngff_version(name: str) -> NgffVersion:
    """The facts of a version; ValueError for one the tool does not know."""
    try:
        return VERSIONS[str(name)]
    except KeyError:
        raise ValueError(f"unsupported NGFF version {name!r}: use one of "
                         f"{', '.join(KNOWN)}") from None


def of_zarr_format(zarr_format: int) -> NgffVersion:
    return V05 if zarr_format == 3 else V04


def find(name: str | None) -> NgffVersion | None:
    return VERSIONS.get(str(name)) if name is not None else None


def version_key(name: str) -> tuple[int, ...]:
    """Sortable form of a version name ("0.10" after "0.9"); (0,) when unparseable."""
    try:
        return tuple(int(p) for p in name.split("."))
    except ValueError:
        return (0,)
