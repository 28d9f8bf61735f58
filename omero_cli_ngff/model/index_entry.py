"""One image's entry in the public index beside the data, and where entries go.

The index is public like the data: an entry holds what a scientist needs to find and
open an image without OMERO (names, where it sits in OMERO, sizes, channels, the URL,
the Key-Value pairs of namespaces the publisher chose), and owner and group names only
when the publisher asks for them. Entries are kept in shards by image id range
(`shard_of`), so that publishing one image rewrites one small shard, not the index.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: the manifest and the page at the destination root; shards and thumbnails beside them
MANIFEST = "index.json"
PAGE = "index.html"
SHARDS_DIR = "index/shards"
THUMBNAILS_DIR = "index/thumbnails"
#: image ids per shard: 500 entries are ~250 kB of JSON, fetched in parallel by the page
SHARD_SIZE = 500
FORMAT = "omero-ngff-index/1"


@dataclass(frozen=True)
class ImageFacts:
    """What OMERO says about an image beyond its record, for its entry."""

    containers: list[str] = field(default_factory=list)   # "Project/Dataset", ...
    channels: list[str] = field(default_factory=list)
    pairs: dict[str, str] = field(default_factory=dict)   # Key-Value pairs to show


@dataclass(frozen=True)
class IndexEntry:
    """One published image, as the index shows it (every value is plain JSON)."""

    image_id: int
    name: str
    zarr_path: str
    ngff_version: str
    conversion_date: str = ""
    containers: list[str] = field(default_factory=list)
    size_x: int = 0
    size_y: int = 0
    size_z: int = 1
    size_c: int = 1
    size_t: int = 1
    pixel_type: str = ""
    physical_sizes: dict[str, list[Any]] = field(default_factory=dict)   # axis -> [value, unit]
    channels: list[str] = field(default_factory=list)
    thumbnail: str = ""             # public URL of a small PNG, "" when there is none
    pairs: dict[str, str] = field(default_factory=dict)
    owner: str = ""                 # only with --index-owners
    group: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: Any) -> IndexEntry | None:
        """The entry a JSON object describes, or None when it is not one."""
        if not isinstance(doc, dict):
            return None
        names = {f.name for f in fields(cls)}
        try:
            entry = cls(**{k: v for k, v in doc.items() if k in names})
            return entry if isinstance(entry.image_id, int) else None
        except TypeError:
            return None


def shard_of(image_id: int) -> str:
    """The shard holding an image's entry: its id range, as a sortable name."""
    return f"{image_id // SHARD_SIZE:07d}"


def shard_path(shard: str) -> str:
    return f"{SHARDS_DIR}/{shard}.json"


def thumbnail_path(image_id: int) -> str:
    return f"{THUMBNAILS_DIR}/{image_id}.png"


@dataclass(frozen=True)
class IndexChoices:
    """What publish does with the index: keep it (``enabled``), which namespaces'
    Key-Value pairs it shows, and whether owner and group names are shown."""

    enabled: bool = True
    namespaces: tuple[str, ...] = ()
    owners: bool = False
