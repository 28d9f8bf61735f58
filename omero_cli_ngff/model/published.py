"""A published copy as read back from its URL: its metadata and its pyramid levels.

Plain values filled by whoever reads the copy (over HTTP, from a store); the checks
judge them without doing any I/O of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .ngff_versions import ngff_version


@dataclass
class PublishedLevel:
    """One pyramid level: its path in the group, its array (anything indexable with a
    ``shape``, ``dtype`` and ``chunks``; None when it could not be opened), its scale."""

    path: str
    array: Any = None
    scale: list[Any] | None = None


@dataclass
class PublishedImage:
    """An image's multiscales group at `url`, published as NGFF `version`."""

    url: str
    version: str
    metadata: dict[str, Any] | None = None   # the group's metadata document
    ome: dict[str, Any] = field(default_factory=dict)   # its NGFF attributes
    levels: list[PublishedLevel] = field(default_factory=list)

    @property
    def zarr_format(self) -> int:
        return ngff_version(self.version).zarr_format

    def set_metadata(self, document: dict[str, Any]) -> None:
        """Keep the group's metadata document and find the NGFF attributes in it."""
        self.metadata = document
        self.ome = dict(ngff_version(self.version).ome_attrs(document))
        if self.zarr_format == 2:
            ms = self.ome.get("multiscales") or [{}]
            self.ome.setdefault("version", ms[0].get("version") if ms and
                                isinstance(ms[0], dict) else None)

    @property
    def multiscale(self) -> dict[str, Any]:
        ms = self.ome.get("multiscales") or [{}]
        return ms[0] if isinstance(ms[0], dict) else {}

    @property
    def axes(self) -> list[str]:
        axes = self.multiscale.get("axes") or []
        return [str(a.get("name")) if isinstance(a, dict) else str(a) for a in axes]

    def axis_units(self) -> dict[str, str | None]:
        return {str(a.get("name")): a.get("unit") for a in self.multiscale.get("axes") or []
                if isinstance(a, dict)}

    def declared_version(self) -> str | None:
        """The NGFF version the data says it is."""
        if self.zarr_format == 3:
            return self.ome.get("version")
        return self.multiscale.get("version") or self.ome.get("version")

    def dataset_paths(self) -> list[tuple[str, list[Any] | None]]:
        """(path, scale) of each level the multiscales metadata lists."""
        out = []
        for ds in self.multiscale.get("datasets") or []:
            scale = None
            for tr in ds.get("coordinateTransformations") or []:
                if isinstance(tr, dict) and tr.get("type") == "scale":
                    scale = tr.get("scale")
            out.append((str(ds.get("path", "")), scale))
        return out
