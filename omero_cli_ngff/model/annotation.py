"""The annotation that says where an image's published copy is: its namespace, its keys,
and what one annotation in the namespace says (plain values, no OMERO)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

DEFAULT_NAMESPACE = "jax.org/public/zarr"
ZARR_PATH, NGFF_VERSION, CONVERSION_DATE = "zarr_path", "ngff_version", "zarr_conversion_date"
KEYS = (ZARR_PATH, NGFF_VERSION, CONVERSION_DATE)


@dataclass
class PublishedCopy:
    """What one annotation in the namespace says about one image."""

    image_id: int
    annotation_id: int
    link_id: int
    group_id: int
    owner_id: int
    can_edit: bool
    pairs: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        values = [v for k, v in self.pairs if k == key]
        return values[0] if values else None

    @property
    def zarr_path(self) -> str | None:
        return self.get(ZARR_PATH)

    @property
    def ngff_version(self) -> str | None:
        return self.get(NGFF_VERSION)

    @property
    def conversion_date(self) -> str | None:
        return self.get(CONVERSION_DATE)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def annotation_values(zarr_path: str, ngff_version: str,
                      date: str | None = None) -> dict[str, str]:
    return {ZARR_PATH: zarr_path, NGFF_VERSION: ngff_version,
            CONVERSION_DATE: date or now_iso()}


def normalise_url(url: str) -> str:
    """A zarr_path as the group URL it names: stripped, ending in '/'."""
    url = url.strip()
    return url if url.endswith("/") else url + "/"
