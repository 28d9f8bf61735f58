"""The catalogue: users, groups and the OMERO object tree, read from a YAML spec file.

Plain data, no Ice: the test process imports it (through ``pixels``) to know what the
server holds. The YAML format (see ``test_infra/catalogues/demo.yaml`` for an example):

```yaml
groups:   [{id: 3, name: public-lab, permissions: rwra--}]
users:    [{id: 2, name: alice, password: alice-pw, groups: [public-lab]}]
          (``leads: [public-lab]`` makes a user a leader, "owner", of those groups)
config:   {omero.ngff.dest: "memory://demo"}      # IConfig client config values
configDefaults: {omero.ngff.ngff_version: "0.5"}  # getClientConfigDefaults
settings: {pixelsIdOffset: 100}                   # pixels id = image id + offset
projects:
  - {id: 1, name: demo, owner: alice, datasets: [{id: 1, name: d1, images: [...]}]}
datasets: [...]           # datasets without a project
images:   [...]           # orphan images
screens:  [{id: 1, name: s, plates: [...]}]
plates:   [...]           # plates without a screen
filesets: [{id: 1, files: [alice_3/2024-03/01/10-00-00.000/slide.ndpi]}]
```

Owner and group are inherited from the parent unless given; an owner's default group
is the first of its groups. Ids are optional: missing ones are assigned after loading,
skipping every explicit id. Images (keys follow OMERO's field names):

```yaml
- id: 7
  name: slide.ndpi
  sizeX: 4096, sizeY: 3072, sizeZ: 1, sizeC: 3, sizeT: 1   # Z/C/T default to 1
  type: uint8          # int8 uint8 int16 uint16 int32 uint32 float double bit
  physicalSize: {x: [0.25, MICROMETER], y: [0.25, MICROMETER], z: [2, MICROMETER]}
  channels: [{name: R, color: FF0000, window: [0, 255]}, ...]
  levels: 4            # server-side resolution levels (full + 3 halvings)
  tileSize: [256, 256]
  pattern: ramp        # ramp (default), zeros, constant, noise, blocks, slide (uint8),
                       # fluorescence (uint16)
  pyramid: pending     # getTile raises MissingPyramidException
  pixels: false        # an image without pixels
  pixelBuffer: romio   # bioformats (default with a fileset), pyramid (default without a
                       # fileset and levels > 1), romio (default otherwise: no original
                       # file, one level; see pixel_buffers.py)
  tileSize: [[512, 512], [256, 256]]   # or one tile per level, full resolution first
  renderingDef: false  # no rendering settings yet: a client must create them (a write)
  fileset: {id: 3, files: [alice_3/.../slide.ndpi]}   # or a fileset id; series: 0
  annotations: [{ns: jax.org/public/zarr, values: {zarr_path: "https://..."}}]
  rois: [{name: cell, shapes: [{type: Rectangle, x: 0, y: 0, width: 9, height: 9}]}]
```

Annotations of every OMERO type (Tag, Comment, Boolean, Long, Double, Term, Map) and
the top-level ``annotations:`` list that images share by ``{ref: id}``: see
``annotation_specs.py``. ROIs with every shape type, mask bits and ROI generators: see
``shapes.py``.
An image may be linked into more containers than the one that defines it: an item
``{link: ID}`` in a dataset's ``images`` links the image with that (explicit) id,
defined anywhere else in the spec (another dataset, ``images:``, a plate's wells).

Generators keep big specs short: any list of images accepts an item with ``count``
(``name`` and string values are ``str.format`` templates over ``i`` = 0..count-1 and
``id``; ``firstId`` fixes the ids), and plates accept ``rows``/``columns``/``fields``
with an ``image`` template that fills every well (``wells`` lists explicit ones).
"""

from __future__ import annotations

import copy
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from . import annotation_specs, shapes
from . import pixel_buffers as pb

PIXEL_TYPES = ("int8", "uint8", "int16", "uint16", "int32", "uint32",
               "float", "double", "bit")
BITS = {"int8": 8, "uint8": 8, "int16": 16, "uint16": 16, "int32": 32, "uint32": 32,
        "float": 32, "double": 64, "bit": 1}
REALISTIC_TYPES = {"slide": "uint8", "fluorescence": "uint16"}
DEFAULT_COLORS = ("FF0000", "00FF00", "0000FF", "FFFFFF", "FF00FF", "00FFFF", "FFFF00")
CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "catalogues"
DEMO_CATALOGUE = CATALOGUE_DIR / "demo.yaml"


class CatalogueError(ValueError):
    """The spec file is wrong: the message says where."""


# --------------------------------------------------------------------------- records

@dataclass
class Group:
    id: int
    name: str
    permissions: str = "rw----"


@dataclass
class User:
    id: int
    name: str
    password: str
    groups: List[int]            # ids, the first one is the default group
    first_name: str = ""
    last_name: str = ""
    admin: bool = False
    leads: List[int] = field(default_factory=list)    # groups the user is a leader of

    @property
    def default_group(self) -> int:
        return self.groups[0]


@dataclass(eq=False)
class Entity:
    """Something OMERO stores with an owner and a group."""
    id: Optional[int] = None
    owner: int = 0
    group: int = 0


@dataclass(eq=False)
class Channel:
    name: Optional[str]
    color: str = "FFFFFF"        # RRGGBB
    window: Tuple[float, float] = (0.0, 255.0)
    active: bool = True
    inverted: bool = False
    family: str = "linear"
    coefficient: float = 1.0
    emission_wave: Optional[float] = None


@dataclass(eq=False)
class Pixels:
    id: int
    size_x: int
    size_y: int
    size_z: int = 1
    size_c: int = 1
    size_t: int = 1
    pixel_type: str = "uint8"
    physical: Dict[str, Tuple[float, str]] = field(default_factory=dict)
    channels: List[Channel] = field(default_factory=list)
    levels: int = 1
    tile_size: Tuple[int, int] = (256, 256)       # full resolution's
    tile_sizes: List[Tuple[int, int]] = field(default_factory=list)   # per level
    buffer: str = "bioformats"   # pixel_buffers.KINDS: how OMERO reads these pixels
    rendering_def: bool = True   # rendering settings exist (of the owner)
    pattern: str = "ramp"
    pattern_value: float = 0
    pyramid_pending: bool = False
    default_z: int = 0
    default_t: int = 0
    model: str = "rgb"           # OMERO RenderingModel: "rgb" (colour) or "greyscale"
    seed: int = 0                # per image, so images differ

    @property
    def level_sizes(self) -> List[Tuple[int, int]]:
        """(sizeX, sizeY) per resolution, full resolution first (as the server's
        getResolutionDescriptions lists them): level k is the full size // 2**k."""
        return [(max(1, self.size_x >> k), max(1, self.size_y >> k))
                for k in range(self.levels)]

    @property
    def bytes_per_pixel(self) -> int:
        return max(1, BITS[self.pixel_type] // 8)


@dataclass(eq=False)
class Annotation(Entity):
    ns: Optional[str] = None
    values: List[Tuple[str, str]] = field(default_factory=list)    # MapAnnotation
    image_ids: List[int] = field(default_factory=list)
    kind: str = "MapAnnotation"                  # annotation_specs.KINDS
    value: object = None                         # the value of the other kinds
    name: Optional[str] = None
    description: Optional[str] = None
    links: List[Tuple[str, int]] = field(default_factory=list)    # (parent type, id)


@dataclass(eq=False)
class Image(Entity):
    name: str = ""
    description: Optional[str] = None
    pixels: Optional[Pixels] = None
    fileset: Optional["Fileset"] = None
    series: int = 0
    acquisition_date: Optional[int] = None   # ms since epoch
    datasets: List["Dataset"] = field(default_factory=list)
    well_samples: List["WellSample"] = field(default_factory=list)
    annotations: List[Annotation] = field(default_factory=list)
    rois: List[shapes.Roi] = field(default_factory=list)


@dataclass(eq=False)
class Dataset(Entity):
    name: str = ""
    description: Optional[str] = None
    images: List[Image] = field(default_factory=list)
    projects: List["Project"] = field(default_factory=list)
    image_link_ids: Dict[int, int] = field(default_factory=dict)   # image id -> link id


@dataclass(eq=False)
class Project(Entity):
    name: str = ""
    description: Optional[str] = None
    datasets: List[Dataset] = field(default_factory=list)
    dataset_link_ids: Dict[int, int] = field(default_factory=dict)


@dataclass(eq=False)
class Screen(Entity):
    name: str = ""
    description: Optional[str] = None
    plates: List["Plate"] = field(default_factory=list)
    plate_link_ids: Dict[int, int] = field(default_factory=dict)


@dataclass(eq=False)
class PlateAcquisition(Entity):
    name: Optional[str] = None
    plate: Optional["Plate"] = None


@dataclass(eq=False)
class Plate(Entity):
    name: str = ""
    description: Optional[str] = None
    rows: int = 0
    columns: int = 0
    row_naming: str = "letter"
    column_naming: str = "number"
    wells: List["Well"] = field(default_factory=list)
    acquisitions: List[PlateAcquisition] = field(default_factory=list)
    screens: List[Screen] = field(default_factory=list)


@dataclass(eq=False)
class Well(Entity):
    row: int = 0
    column: int = 0
    plate: Optional[Plate] = None
    samples: List["WellSample"] = field(default_factory=list)


@dataclass(eq=False)
class WellSample(Entity):
    well: Optional[Well] = None
    image: Optional[Image] = None
    acquisition: Optional[PlateAcquisition] = None
    index: int = 0


@dataclass(eq=False)
class OriginalFile(Entity):
    path: str = ""               # directory, with trailing "/" as OMERO stores it
    name: str = ""
    entry_id: Optional[int] = None


@dataclass(eq=False)
class Fileset(Entity):
    files: List[OriginalFile] = field(default_factory=list)
    images: List[Image] = field(default_factory=list)
    template_prefix: str = ""


BUILTIN_GROUPS = [Group(0, "system", "rw----"), Group(1, "user", "rwr---"),
                  Group(2, "guest", "rw----")]
BUILTIN_USERS = [User(0, "root", "omero", [0, 1], "root", "root", admin=True)]


@dataclass
class Catalogue:
    """Everything the server holds before any write, indexed by id."""
    path: Optional[Path] = None
    groups: Dict[int, Group] = field(default_factory=dict)
    users: Dict[int, User] = field(default_factory=dict)
    config: Dict[str, str] = field(default_factory=dict)
    config_defaults: Dict[str, str] = field(default_factory=dict)
    projects: Dict[int, Project] = field(default_factory=dict)
    datasets: Dict[int, Dataset] = field(default_factory=dict)
    images: Dict[int, Image] = field(default_factory=dict)
    screens: Dict[int, Screen] = field(default_factory=dict)
    plates: Dict[int, Plate] = field(default_factory=dict)
    wells: Dict[int, Well] = field(default_factory=dict)
    well_samples: Dict[int, WellSample] = field(default_factory=dict)
    acquisitions: Dict[int, PlateAcquisition] = field(default_factory=dict)
    filesets: Dict[int, Fileset] = field(default_factory=dict)
    annotations: Dict[int, Annotation] = field(default_factory=dict)
    pixels: Dict[int, Image] = field(default_factory=dict)   # pixels id -> image
    rois: Dict[int, shapes.Roi] = field(default_factory=dict)
    shapes: Dict[int, shapes.Shape] = field(default_factory=dict)

    def user(self, name_or_id) -> User:
        for u in self.users.values():
            if u.name == name_or_id or u.id == name_or_id:
                return u
        raise KeyError("no user %r in the catalogue" % (name_or_id,))

    def group(self, name_or_id) -> Group:
        for g in self.groups.values():
            if g.name == name_or_id or g.id == name_or_id:
                return g
        raise KeyError("no group %r in the catalogue" % (name_or_id,))

    def image(self, image_id: int) -> Image:
        try:
            return self.images[image_id]
        except KeyError:
            raise KeyError("no Image:%s in the catalogue %s" % (image_id, self.path))

    def image_by_name(self, name: str) -> Image:
        for img in self.images.values():
            if img.name == name:
                return img
        raise KeyError("no image named %r in the catalogue %s" % (name, self.path))

    def by_type(self, kind: str) -> dict:
        """The id -> record table of an OMERO type name (Image, Dataset, ...)."""
        table = {
            "Project": self.projects, "Dataset": self.datasets, "Image": self.images,
            "Screen": self.screens, "Plate": self.plates, "Well": self.wells,
            "WellSample": self.well_samples, "PlateAcquisition": self.acquisitions,
            "Fileset": self.filesets, "Roi": self.rois,
        }.get(kind)
        if table is None:
            raise KeyError(kind)
        return table


# --------------------------------------------------------------------------- loading

@lru_cache(maxsize=16)
def _load_cached(path: str, mtime: float) -> Catalogue:
    return _Loader(Path(path)).load()


def load_catalogue(path=None) -> Catalogue:
    """Load (and cache) a catalogue spec; the default is the demo catalogue."""
    p = Path(path) if path is not None else DEMO_CATALOGUE
    if not p.is_absolute() and not p.exists():
        p = CATALOGUE_DIR / p
    p = p.resolve()
    return _load_cached(str(p), p.stat().st_mtime)


def _fmt(value, variables):
    """Expand ``{i}``-style templates in strings of a generator item."""
    if isinstance(value, str) and "{" in value:
        return string.Formatter().vformat(value, (), variables)
    if isinstance(value, list):
        return [_fmt(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _fmt(v, variables) for k, v in value.items()}
    return value


class _Loader:
    KNOWN_IMAGE_KEYS = {
        "id", "name", "description", "owner", "group", "sizeX", "sizeY", "sizeZ",
        "sizeC", "sizeT", "type", "physicalSize", "channels", "levels", "tileSize",
        "pattern", "value", "pyramid", "pixels", "pixelsId", "fileset", "series",
        "acquisitionDate", "annotations", "defaultZ", "defaultT", "model", "seed",
        "rois",
        "pixelBuffer", "renderingDef",
    }

    def __init__(self, path: Path):
        self.path = path
        self.cat = Catalogue(path=path)
        self.entities: Dict[str, list] = {}
        self.shared: Dict[int, Annotation] = {}     # top-level annotations by id
        self.pixels_offset = 100
        self.pending_links: list = []       # (dataset, image id, where) of {link: ID}

    # -- helpers ---------------------------------------------------------------
    def fail(self, where, msg):
        raise CatalogueError("%s: %s: %s" % (self.path, where, msg))

    def add(self, kind, record, spec_id):
        record.id = int(spec_id) if spec_id is not None else None
        self.entities.setdefault(kind, []).append(record)
        return record

    def owner_group(self, spec, parent, where):
        if "owner" in spec:
            try:
                owner = self.cat.user(spec["owner"])
            except KeyError as e:
                self.fail(where, e.args[0])
            owner_id = owner.id
            group_id = owner.default_group
        else:
            owner_id = parent.owner if parent else 0
            group_id = parent.group if parent else 0
        if "group" in spec:
            try:
                group_id = self.cat.group(spec["group"]).id
            except KeyError as e:
                self.fail(where, e.args[0])
        return owner_id, group_id

    # -- top level -------------------------------------------------------------
    def load(self) -> Catalogue:
        with open(self.path) as f:
            spec = yaml.safe_load(f) or {}
        unknown = set(spec) - {"groups", "users", "config", "configDefaults",
                               "settings", "projects", "annotations",
                               "datasets", "images", "screens", "plates", "filesets"}
        if unknown:
            self.fail("top level", "unknown keys %s" % sorted(unknown))
        settings = spec.get("settings") or {}
        self.pixels_offset = int(settings.get("pixelsIdOffset", 100))
        for g in BUILTIN_GROUPS:
            self.cat.groups[g.id] = copy.copy(g)
        for g in spec.get("groups") or []:
            grp = Group(int(g["id"]), g["name"], g.get("permissions", "rw----"))
            self.cat.groups[grp.id] = grp
        for u in BUILTIN_USERS:
            self.cat.users[u.id] = copy.deepcopy(u)
        for u in spec.get("users") or []:
            groups = [self.cat.group(g).id for g in u.get("groups", [])]
            if 1 not in groups:
                groups.append(1)          # every user is in the "user" group
            if u.get("admin") and 0 not in groups:
                groups.append(0)
            leads = [self.cat.group(g).id for g in u.get("leads", [])]
            groups += [g for g in leads if g not in groups]
            user = User(int(u["id"]), u["name"], str(u["password"]), groups,
                        u.get("firstName", u["name"].title()), u.get("lastName", "Lab"),
                        bool(u.get("admin", False)), leads)
            self.cat.users[user.id] = user
        self.cat.config = {str(k): str(v) for k, v in (spec.get("config") or {}).items()}
        self.cat.config_defaults = {str(k): str(v) for k, v in
                                    (spec.get("configDefaults") or {}).items()}

        root = Entity(owner=0, group=0)
        for a in spec.get("annotations") or []:
            self.shared_annotation(a, root)
        for fs in spec.get("filesets") or []:
            self.fileset(fs, root, "filesets")
        for p in spec.get("projects") or []:
            self.project(p, root)
        for d in spec.get("datasets") or []:
            self.dataset(d, root, None)
        for item in spec.get("images") or []:
            self.images(item, root, None, "images")
        for s in spec.get("screens") or []:
            self.screen(s, root)
        for p in spec.get("plates") or []:
            self.plate(p, root, None)
        self.assign_ids()
        self.index()
        return self.cat

    def project(self, spec, parent):
        owner, group = self.owner_group(spec, parent, "project %s" % spec.get("name"))
        proj = self.add("Project", Project(owner=owner, group=group, name=spec["name"],
                                           description=spec.get("description")),
                        spec.get("id"))
        for d in spec.get("datasets") or []:
            self.dataset(d, proj, proj)

    def dataset(self, spec, parent, project):
        owner, group = self.owner_group(spec, parent, "dataset %s" % spec.get("name"))
        ds = self.add("Dataset", Dataset(owner=owner, group=group, name=spec["name"],
                                         description=spec.get("description")),
                      spec.get("id"))
        if project is not None:
            project.datasets.append(ds)
            ds.projects.append(project)
        for item in spec.get("images") or []:
            self.images(item, ds, ds, "dataset %s" % ds.name)

    def images(self, spec, parent, dataset, where):
        """One image spec, a generator item (with ``count``), or a ``{link: ID}``."""
        if "link" in spec:
            if dataset is None or set(spec) != {"link"}:
                self.fail(where, "{link: ID} links an image into a dataset, and has no "
                          "other keys")
            self.pending_links.append((dataset, int(spec["link"]), where))
            return []
        if "count" not in spec:
            img = self.image(spec, parent, where)
            if dataset is not None:
                dataset.images.append(img)
                img.datasets.append(dataset)
            return [img]
        count = int(spec["count"])
        first = spec.get("firstId")
        template = {k: v for k, v in spec.items() if k not in ("count", "firstId")}
        out = []
        for i in range(count):
            variables = {"i": i, "n": i + 1}
            if first is not None:
                variables["id"] = int(first) + i
            item = _fmt(template, variables)
            if first is not None:
                item["id"] = int(first) + i
            out.extend(self.images(item, parent, dataset, where))
        return out

    def image(self, spec, parent, where) -> Image:
        where = "%s: image %s" % (where, spec.get("name", spec.get("id")))
        unknown = set(spec) - self.KNOWN_IMAGE_KEYS
        if unknown:
            self.fail(where, "unknown keys %s" % sorted(unknown))
        owner, group = self.owner_group(spec, parent, where)
        img = self.add("Image", Image(owner=owner, group=group,
                                      name=str(spec.get("name", "")),
                                      description=spec.get("description"),
                                      series=int(spec.get("series", 0)),
                                      acquisition_date=spec.get("acquisitionDate")),
                       spec.get("id"))
        if spec.get("pixels", True) is not False:
            img.pixels = self.pixels(spec, where)
            img._pixels_id = spec.get("pixelsId")
        fs = spec.get("fileset")
        if isinstance(fs, dict):
            fileset = self.fileset(fs, img, where)
        elif fs is not None:
            fileset = self._fileset_ref(int(fs), where)
        else:
            fileset = None
        if fileset is not None:
            img.fileset = fileset
            fileset.images.append(img)
        if img.pixels is not None:
            self.pixel_buffer(spec, img, where)
        for a in spec.get("annotations") or []:
            self.annotation(a, img, where)
        pix = img.pixels
        dims = (pix.size_x, pix.size_y, pix.size_z) if pix is not None else (1, 1, 1)
        try:
            for r in shapes.expand_rois(spec.get("rois") or [], *dims):
                self.roi(r, img, where)
        except shapes.ShapeError as e:
            self.fail(where, str(e))
        return img

    def pixels(self, spec, where) -> Pixels:
        if "sizeX" not in spec or "sizeY" not in spec:
            self.fail(where, "sizeX and sizeY are required (or pixels: false)")
        ptype = spec.get("type", "uint8")
        if ptype not in PIXEL_TYPES:
            self.fail(where, "type %r is not one of %s" % (ptype, PIXEL_TYPES))
        pix = Pixels(id=0, size_x=int(spec["sizeX"]), size_y=int(spec["sizeY"]),
                     size_z=int(spec.get("sizeZ", 1)), size_c=int(spec.get("sizeC", 1)),
                     size_t=int(spec.get("sizeT", 1)), pixel_type=ptype,
                     levels=int(spec.get("levels", 1)),
                     pattern=spec.get("pattern", "ramp"),
                     pattern_value=float(spec.get("value", 0)),
                     pyramid_pending=spec.get("pyramid") == "pending",
                     default_z=int(spec.get("defaultZ", 0)),
                     default_t=int(spec.get("defaultT", 0)),
                     seed=int(spec.get("seed", -1)))
        if pix.pattern not in ("ramp", "zeros", "constant", "noise", "blocks", "slide",
                               "fluorescence"):
            self.fail(where, "unknown pattern %r" % pix.pattern)
        if pix.pattern in REALISTIC_TYPES and ptype != REALISTIC_TYPES[pix.pattern]:
            self.fail(where, "pattern %s needs type %s" % (pix.pattern,
                                                          REALISTIC_TYPES[pix.pattern]))
        if "tileSize" in spec:
            tiles = spec["tileSize"]
            if tiles and isinstance(tiles[0], (list, tuple)):
                pix.tile_sizes = [(int(w), int(h)) for w, h in tiles]
            else:
                pix.tile_sizes = [(int(tiles[0]), int(tiles[1]))]
            pix.tile_size = pix.tile_sizes[0]
        elif pix.levels == 1:
            # an image without a pyramid: OMERO serves row stripes of the full width
            pix.tile_size = (min(pix.size_x, 1024), min(pix.size_y, 1024))
        phys = spec.get("physicalSize")
        if isinstance(phys, (int, float)):
            phys = {"x": phys, "y": phys}
        for axis, v in (phys or {}).items():
            value, unit = (v, "MICROMETER") if isinstance(v, (int, float)) else v
            pix.physical[axis] = (float(value), str(unit))
        rng = type_range(ptype)
        chans = spec.get("channels") or []
        if len(chans) not in (0, pix.size_c):
            self.fail(where, "%d channels listed for sizeC=%d" % (len(chans), pix.size_c))
        for c in range(pix.size_c):
            cs = chans[c] if chans else {}
            if isinstance(cs, str):
                cs = {"name": cs}
            default_color = ("FFFFFF" if pix.size_c == 1
                             else DEFAULT_COLORS[c % len(DEFAULT_COLORS)])
            pix.channels.append(Channel(
                name=cs.get("name"), color=str(cs.get("color", default_color)).upper(),
                window=tuple(float(v) for v in cs.get("window", rng)),
                active=bool(cs.get("active", True)),
                inverted=bool(cs.get("inverted", False)),
                family=cs.get("family", "linear"),
                coefficient=float(cs.get("coefficient", 1.0)),
                emission_wave=cs.get("emissionWave")))
        pix.model = "greyscale" if spec.get("model") == "greyscale" else "rgb"
        pix.rendering_def = bool(spec.get("renderingDef", True))
        return pix

    def pixel_buffer(self, spec, img, where):
        """How OMERO reads these pixels (pixel_buffers.py), and the tiles that follow."""
        pix = img.pixels
        kind = spec.get("pixelBuffer") or pb.default_kind(img.fileset is not None,
                                                          pix.levels)
        if kind not in pb.KINDS:
            self.fail(where, "pixelBuffer %r is not one of %s" % (kind, pb.KINDS))
        if kind == pb.ROMIO:
            if pix.levels != 1:
                self.fail(where, "a ROMIO pixel buffer has one level, not %d (give the "
                          "image a fileset, or pixelBuffer: pyramid)" % pix.levels)
            if "tileSize" in spec:
                self.fail(where, "a ROMIO pixel buffer (no fileset, one level) has a "
                          "fixed tile: full width, 1 MiB of rows; drop tileSize or give "
                          "the image a fileset")
            pix.tile_size = pb.romio_tile(pix.size_x, pix.size_y, pix.bytes_per_pixel)
        pix.buffer = kind
        if not pix.tile_sizes:
            pix.tile_sizes = [pix.tile_size]

    def fileset(self, spec, parent, where) -> "Fileset":
        owner, group = self.owner_group(spec, parent, where)
        if spec.get("id") is not None:
            existing = [f for f in self.entities.get("Fileset", [])
                        if f.id == int(spec["id"])]
            if existing:
                return existing[0]
        fs = self.add("Fileset", Fileset(owner=owner, group=group), spec.get("id"))
        for p in spec.get("files") or []:
            directory, _, name = str(p).rpartition("/")
            of = self.add("OriginalFile", OriginalFile(
                owner=owner, group=group, path=directory + "/" if directory else "",
                name=name), None)
            fs.files.append(of)
        return fs

    def _fileset_ref(self, fid, where):
        for f in self.entities.get("Fileset", []):
            if f.id == fid:
                return f
        self.fail(where, "fileset %d is not defined (list it under filesets:)" % fid)

    def annotation(self, spec, parent, where, parent_type="Image"):
        """An annotation linked to ``parent`` (an Image or a Roi): new, or a shared one
        of the top-level list (``{ref: id}``)."""
        if "ref" in spec:
            ann = self.shared.get(spec["ref"])
            if ann is None or set(spec) != {"ref"}:
                self.fail(where, "{ref: id} names an annotation of the top-level "
                          "annotations: list, and nothing else (%r)" % (spec,))
        else:
            ann = self._new_annotation(spec, parent, where)
        if parent_type == "Image":
            parent.annotations.append(ann)
        ann._parents.append((parent_type, parent))

    def _new_annotation(self, spec, parent, where) -> Annotation:
        owner, group = self.owner_group(spec, parent, where)
        try:
            fields = annotation_specs.parse(spec)
        except annotation_specs.AnnotationSpecError as e:
            self.fail(where, str(e))
        ann = self.add("Annotation", Annotation(owner=owner, group=group, **fields),
                       spec.get("id"))
        ann._parents = []
        return ann

    def shared_annotation(self, spec, root):
        if spec.get("id") is None:
            self.fail("annotations", "a shared annotation needs an id (images link it "
                      "with {ref: id})")
        self.shared[int(spec["id"])] = self._new_annotation(spec, root, "annotations")

    def roi(self, spec, image, where):
        try:
            roi = shapes.parse_roi(spec)
        except shapes.ShapeError as e:
            self.fail(where, "ROI %s: %s" % (spec.get("name", ""), e))
        roi.owner, roi.group, roi.image = image.owner, image.group, image
        self.add("Roi", roi, spec.get("id"))
        for shape in roi.shapes:
            self.add("Shape", shape, shape.id)
        image.rois.append(roi)
        for a in spec.get("annotations") or []:
            self.annotation(a, roi, where, "Roi")

    def screen(self, spec, parent):
        owner, group = self.owner_group(spec, parent, "screen %s" % spec.get("name"))
        scr = self.add("Screen", Screen(owner=owner, group=group, name=spec["name"],
                                        description=spec.get("description")),
                       spec.get("id"))
        for p in spec.get("plates") or []:
            self.plate(p, scr, scr)

    def plate(self, spec, parent, screen):
        where = "plate %s" % spec.get("name")
        owner, group = self.owner_group(spec, parent, where)
        plate = self.add("Plate", Plate(
            owner=owner, group=group, name=spec["name"],
            description=spec.get("description"), rows=int(spec.get("rows", 1)),
            columns=int(spec.get("columns", 1)),
            row_naming=spec.get("rowNamingConvention", "letter"),
            column_naming=spec.get("columnNamingConvention", "number")),
            spec.get("id"))
        if screen is not None:
            screen.plates.append(plate)
            plate.screens.append(screen)
        for a in spec.get("acquisitions") or []:
            acq = self.add("PlateAcquisition", PlateAcquisition(
                owner=owner, group=group, name=a.get("name"), plate=plate), a.get("id"))
            plate.acquisitions.append(acq)
        wells = spec.get("wells")
        if wells is None:        # every well, each with `fields` images from the template
            template = spec.get("image") or {}
            fields = int(spec.get("fields", 1))
            wells = [{"row": r, "column": c,
                      "fields": [dict(template) for _ in range(fields)]}
                     for r in range(plate.rows) for c in range(plate.columns)]
        next_image_id = spec.get("firstImageId")
        next_well_id = spec.get("firstWellId")
        for w in wells:
            row, col = int(w["row"]), int(w["column"])
            wid = w.get("id", next_well_id)
            if next_well_id is not None:
                next_well_id += 1
            well = self.add("Well", Well(owner=owner, group=group, row=row, column=col,
                                         plate=plate), wid)
            plate.wells.append(well)
            for index, f in enumerate(w.get("fields") or []):
                f = dict(f)
                label = well_label(plate, row, col)
                variables = {"plate": plate.name, "well": label, "field": index,
                             "row": row, "column": col}
                f = _fmt(f, variables)
                f.setdefault("name", "%s %s field %d" % (plate.name, label, index))
                if "id" not in f and next_image_id is not None:
                    f["id"] = next_image_id
                if next_image_id is not None:
                    next_image_id += 1
                acq_index = f.pop("acquisition", 0 if plate.acquisitions else None)
                img = self.image(f, plate, where)
                ws = self.add("WellSample", WellSample(
                    owner=owner, group=group, well=well, image=img, index=index,
                    acquisition=(plate.acquisitions[acq_index]
                                 if acq_index is not None else None)), None)
                well.samples.append(ws)
                img.well_samples.append(ws)

    # -- ids and indexes ---------------------------------------------------------
    def assign_ids(self):
        for kind, records in self.entities.items():
            used = set()
            for r in records:
                if r.id is not None:
                    if r.id in used and kind != "Fileset":
                        self.fail(kind, "id %d is used twice" % r.id)
                    used.add(r.id)
            nxt = 1
            for r in records:
                if r.id is None:
                    while nxt in used:
                        nxt += 1
                    r.id = nxt
                    used.add(nxt)
        self.resolve_links()
        link = 1
        for p in self.entities.get("Project", []):
            for d in p.datasets:
                p.dataset_link_ids[d.id] = link
                link += 1
        link = 1
        for d in self.entities.get("Dataset", []):
            for i in d.images:
                d.image_link_ids[i.id] = link
                link += 1
        link = 1
        for s in self.entities.get("Screen", []):
            for p in s.plates:
                s.plate_link_ids[p.id] = link
                link += 1
        entry = 1
        for fs in self.entities.get("Fileset", []):
            for of in fs.files:
                of.entry_id = entry
                entry += 1
        for img in self.entities.get("Image", []):
            if img.pixels is not None:
                pid = getattr(img, "_pixels_id", None)
                img.pixels.id = int(pid) if pid is not None else img.id + self.pixels_offset
                if img.pixels.seed < 0:
                    img.pixels.seed = img.id

    def resolve_links(self):
        """Link the images named by ``{link: ID}`` items into their datasets."""
        images = {i.id: i for i in self.entities.get("Image", [])}
        for dataset, image_id, where in self.pending_links:
            img = images.get(image_id)
            if img is None:
                self.fail(where, "{link: %d}: no image with that id" % image_id)
            if img in dataset.images:
                self.fail(where, "{link: %d}: already in dataset %s" % (image_id,
                                                                         dataset.name))
            dataset.images.append(img)
            img.datasets.append(dataset)

    def index(self):
        tables = {"Project": self.cat.projects, "Dataset": self.cat.datasets,
                  "Image": self.cat.images, "Screen": self.cat.screens,
                  "Plate": self.cat.plates, "Well": self.cat.wells,
                  "WellSample": self.cat.well_samples,
                  "PlateAcquisition": self.cat.acquisitions,
                  "Fileset": self.cat.filesets, "Annotation": self.cat.annotations,
                  "Roi": self.cat.rois, "Shape": self.cat.shapes}
        for kind, records in self.entities.items():
            table = tables.get(kind)
            if table is None:
                continue
            for r in records:
                table[r.id] = r
        for ann in self.cat.annotations.values():
            ann.links = [(kind, parent.id) for kind, parent in ann._parents]
            ann.image_ids = [pid for kind, pid in ann.links if kind == "Image"]
        for img in self.cat.images.values():
            if img.pixels is not None:
                if img.pixels.id in self.cat.pixels:
                    self.fail("image %s" % img.id, "pixels id %d used twice"
                              % img.pixels.id)
                self.cat.pixels[img.pixels.id] = img


def type_range(ptype: str) -> Tuple[float, float]:
    """The value range of an OMERO pixel type (floats: a nominal 0..1)."""
    return {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
            "uint16": (0, 65535), "int32": (-2 ** 31, 2 ** 31 - 1),
            "uint32": (0, 2 ** 32 - 1), "float": (0.0, 1.0), "double": (0.0, 1.0),
            "bit": (0, 1)}[ptype]


def well_label(plate: Plate, row: int, column: int) -> str:
    def name(index, convention):
        if convention == "letter":
            s = ""
            index += 1
            while index:
                index, rem = divmod(index - 1, 26)
                s = chr(65 + rem) + s
            return s
        return str(index + 1)
    return name(row, plate.row_naming) + name(column, plate.column_naming)
