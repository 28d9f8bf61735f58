"""Plain records passed between the layers, so that only a few modules talk to OMERO."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PhysicalSize:
    """One physical pixel size, in the unit OMERO stores it in (its UnitsLength symbol)."""

    value: float
    unit: str = "MICROMETER"


@dataclass(frozen=True)
class ImageRecord:
    """What the plugin needs to know about one OMERO image, without a server."""

    id: int
    name: str
    pixels_id: int | None          # None: the image has no pixels
    size_x: int = 0
    size_y: int = 0
    size_z: int = 1
    size_c: int = 1
    size_t: int = 1
    pixel_type: str = "uint8"         # OMERO PixelsType value: int8 ... double, bit
    physical_x: PhysicalSize | None = None
    physical_y: PhysicalSize | None = None
    physical_z: PhysicalSize | None = None
    series: int = 0
    fileset_id: int | None = None
    repo_path: str | None = None   # managed-repository path of the fileset's first file
    owner_id: int = -1
    owner: str = ""
    group_id: int = -1
    group: str = ""
    group_permissions: str = ""       # e.g. "rwra--"
    can_annotate: bool = True         # as the server says for the calling user

    @property
    def has_pixels(self) -> bool:
        return self.pixels_id is not None

    @property
    def is_private_group(self) -> bool:
        """A private group (rw----) shares nothing with its other members."""
        perms = self.group_permissions or "rw----"
        return perms[2] != "r"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChannelInfo:
    """A channel's rendering settings, for the NGFF `omero` block."""

    label: str
    color: str = "FFFFFF"             # RRGGBB
    window_start: float = 0.0
    window_end: float = 255.0
    window_min: float = 0.0
    window_max: float = 255.0
    active: bool = True
    inverted: bool = False
    coefficient: float = 1.0
    family: str = "linear"


@dataclass
class RenderingInfo:
    """Image-level rendering settings (the NGFF `omero.rdefs` block)."""

    channels: list[ChannelInfo] = field(default_factory=list)
    default_z: int = 0
    default_t: int = 0
    model: str = "color"              # "color" or "greyscale"
