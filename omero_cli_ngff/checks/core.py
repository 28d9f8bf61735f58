"""The checks of `verify` (and of `locate` for annotations), one function per concern.

Each check returns `Problem`s; nothing here prints. Only `check_pixels` talks to OMERO,
through a tile source given by the caller, so every check runs without a server.

- annotation: keys, one per namespace, version, date, URL  (`check_annotations`)
- data over HTTP, as any client reads it                    (`RemoteCopy`, `check_data`)
- agreement with OMERO: sizes, pixel type, physical sizes   (`check_agreement`)
- pixels: random tiles compared with OMERO's                (`check_pixels`)
- outdated NGFF version                                     (`check_outdated`)
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional
from urllib.parse import urlsplit

import numpy as np

from ..omero_io.annotations import CONVERSION_DATE, KEYS, NGFF_VERSION, ZARR_PATH, PublishedCopy
from ..model.records import ImageRecord

KNOWN_VERSIONS = ("0.4", "0.5")
LATEST_VERSION = "0.5"
ERROR, WARNING = "error", "warning"
# Largest tile compared (pixels per side): bounded memory and message sizes.
MAX_TILE = 1024
AXIS_SIZES = {"t": "size_t", "c": "size_c", "z": "size_z", "y": "size_y", "x": "size_x"}


@dataclass
class Problem:
    """One thing wrong (error) or worth knowing (warning) about one published copy."""

    code: str
    message: str
    severity: str = ERROR
    annotation_id: Optional[int] = None
    url: Optional[str] = None
    # True when the annotation may be removed by --fix: the data is definitely gone
    # (the metadata document answers 404) or corrupt (invalid JSON / NGFF).
    fixable: bool = False

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "annotation_id": self.annotation_id, "url": self.url,
                "fixable": self.fixable}


# --------------------------------------------------------------------------- annotation

@dataclass
class ParsedCopy:
    """An annotation read as far as it can be: None where a value is missing or bad."""

    copy: PublishedCopy
    url: Optional[str] = None            # an http(s) URL, normalised to end with '/'
    version: Optional[str] = None        # a known NGFF version
    date: Optional[str] = None
    problems: list = field(default_factory=list)

    @property
    def annotation_id(self) -> int:
        return self.copy.annotation_id

    @property
    def usable(self) -> bool:
        """The data can be checked: a URL to read and a version to read it as."""
        return self.url is not None and self.version is not None


def normalise_url(url: str) -> str:
    url = url.strip()
    return url if url.endswith("/") else url + "/"


def parse_copy(copy: PublishedCopy) -> ParsedCopy:
    parsed = ParsedCopy(copy)
    aid = copy.annotation_id

    def problem(code, message, severity=ERROR):
        parsed.problems.append(Problem(code, message, severity, annotation_id=aid))

    keys = [k for k, _ in copy.pairs]
    for key in KEYS:
        if key not in keys:
            problem("missing-key", f"annotation {aid} has no '{key}'")
        elif len({v for k, v in copy.pairs if k == key}) > 1:
            problem("ambiguous-key", f"annotation {aid} has several different '{key}' values")

    raw_url = (copy.get(ZARR_PATH) or "").strip()
    if raw_url:
        parts = urlsplit(raw_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problem("bad-url", f"zarr_path {raw_url!r} is not an http(s) URL")
        else:
            parsed.url = normalise_url(raw_url)
            if parts.scheme == "http":
                problem("insecure-url", f"zarr_path {raw_url} is plain http, not https",
                        WARNING)
            if not raw_url.endswith("/"):
                problem("url-without-slash", f"zarr_path {raw_url} does not end with '/'",
                        WARNING)
    elif ZARR_PATH in keys:
        problem("bad-url", f"annotation {aid} has an empty zarr_path")

    version = (copy.get(NGFF_VERSION) or "").strip()
    if version in KNOWN_VERSIONS:
        parsed.version = version
    elif NGFF_VERSION in keys:
        problem("unknown-version", f"ngff_version {version!r} is not one of "
                f"{', '.join(KNOWN_VERSIONS)}")

    date = (copy.get(CONVERSION_DATE) or "").strip()
    if date:
        try:
            datetime.fromisoformat(date.replace("Z", "+00:00"))
            parsed.date = date
        except ValueError:
            problem("bad-date", f"zarr_conversion_date {date!r} is not an ISO 8601 date")
    elif CONVERSION_DATE in keys:
        problem("bad-date", f"annotation {aid} has an empty zarr_conversion_date")
    return parsed


def check_annotations(copies: list[PublishedCopy], namespace: str = "") -> tuple:
    """(parsed copies, problems of the annotations themselves) for one image."""
    parsed = [parse_copy(c) for c in copies]
    problems = [p for pc in parsed for p in pc.problems]
    if len(copies) > 1:
        ids = ", ".join(str(c.annotation_id) for c in copies)
        problems.insert(0, Problem(
            "duplicate-annotation",
            f"{len(copies)} annotations (ids {ids}) in {namespace or 'the namespace'}, "
            "one expected"))
    return parsed, problems


def check_outdated(version: Optional[str], wanted: Optional[str]) -> list:
    """Published at an older NGFF version than `wanted` (an error when asked for),
    or than the latest (a warning)."""
    if version is None:
        return []
    target = wanted or LATEST_VERSION
    if _version_key(version) < _version_key(target):
        return [Problem("outdated", f"published at NGFF {version}, older than {target}",
                        ERROR if wanted else WARNING)]
    return []


def _version_key(version: str) -> tuple:
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (0,)


# --------------------------------------------------------------------------- the data

@dataclass
class Level:
    """One pyramid level of a published copy."""

    path: str
    array: object = None                 # a zarr.Array (None when unreadable)
    scale: Optional[list] = None


class RemoteCopy:
    """A published copy read over plain HTTP, as any client would read it."""

    def __init__(self, url: str, version: str, policy=None):
        self.url = normalise_url(url)
        self.version = version
        self.policy = policy
        self.metadata: Optional[dict] = None      # the group metadata document
        self.ome: dict = {}                       # the NGFF attributes
        self.levels: list[Level] = []
        self._group = None

    @property
    def zarr_format(self) -> int:
        return 3 if self.version == "0.5" else 2

    @property
    def multiscale(self) -> dict:
        ms = self.ome.get("multiscales") or [{}]
        return ms[0] if isinstance(ms[0], dict) else {}

    @property
    def axes(self) -> list[str]:
        axes = self.multiscale.get("axes") or []
        return [a.get("name") if isinstance(a, dict) else str(a) for a in axes]

    def axis_units(self) -> dict:
        return {a.get("name"): a.get("unit") for a in self.multiscale.get("axes") or []
                if isinstance(a, dict)}

    def fetch(self) -> None:
        """GET the group's metadata document (raises storage FetchError kinds)."""
        from ..storage import fetch_metadata
        kwargs = {"policy": self.policy} if self.policy is not None else {}
        self.metadata = fetch_metadata(self.url, self.version, **kwargs)
        if self.zarr_format == 3:
            self.ome = dict((self.metadata.get("attributes") or {}).get("ome") or {})
        else:
            self.ome = dict(self.metadata)
            ms = self.ome.get("multiscales") or [{}]
            self.ome.setdefault("version", ms[0].get("version") if ms and
                                isinstance(ms[0], dict) else None)

    def declared_version(self) -> Optional[str]:
        """The NGFF version the data says it is."""
        if self.zarr_format == 3:
            return self.ome.get("version")
        return self.multiscale.get("version") or self.ome.get("version")

    def store(self, path: str = ""):
        from zarr.storage import FsspecStore
        url = self.url + path.strip("/") if path else self.url.rstrip("/")
        return FsspecStore.from_url(url, read_only=True,
                                    storage_options={"client_kwargs": _client_kwargs()})

    def group(self):
        if self._group is None:
            import zarr
            self._group = zarr.open_group(self.store(), mode="r",
                                          zarr_format=self.zarr_format)
        return self._group

    def validate(self) -> list[str]:
        """Problems found by the writer's validation helpers (ome-zarr-models and the
        structure of an image group); [] when valid. Chunks are read by check_data,
        and the version is compared there, so neither is asked for here."""
        try:
            from ..ngff.validate import validate
        except ImportError:   # an older writer: ome-zarr-models alone
            return validate_group(self.group(), self.version)
        return [_one_line(p) for p in validate(self.store(), None, kind="image",
                                                check_data=False)]

    def open_levels(self) -> None:
        import zarr
        self.levels = []
        for ds in self.multiscale.get("datasets") or []:
            path = str(ds.get("path", ""))
            scale = None
            for tr in ds.get("coordinateTransformations") or []:
                if isinstance(tr, dict) and tr.get("type") == "scale":
                    scale = tr.get("scale")
            level = Level(path, scale=scale)
            level.array = zarr.open_array(self.store(path), mode="r",
                                          zarr_format=self.zarr_format)
            self.levels.append(level)


def _other_version_there(remote: RemoteCopy) -> Optional[str]:
    """The metadata of the declared version is missing: is the copy of another version?
    (then the annotation is wrong, the data is not gone)."""
    from ..storage import probe_metadata
    for version in KNOWN_VERSIONS:
        if version == remote.version:
            continue
        kwargs = {"policy": remote.policy} if remote.policy is not None else {}
        if probe_metadata(remote.url, version, **kwargs).ok:
            return version
    return None


def _is_collection(remote: RemoteCopy) -> bool:
    """Valid JSON of a group that holds images (bioformats2raw root, plate, well)."""
    from ..storage import FetchError, fetch_metadata
    kwargs = {"policy": remote.policy} if remote.policy is not None else {}
    try:
        doc = fetch_metadata(remote.url, remote.version, validate=False, **kwargs)
    except FetchError:
        return False
    if not isinstance(doc, dict):
        return False
    attrs = (doc.get("attributes") or {}).get("ome") or {} if remote.zarr_format == 3 \
        else doc
    return isinstance(attrs, dict) and any(
        k in attrs for k in ("bioformats2raw.layout", "plate", "well"))


def _client_kwargs() -> dict:
    import aiohttp
    return {"timeout": aiohttp.ClientTimeout(total=60, sock_connect=10)}


def validate_group(group, version: str) -> list[str]:
    """Validate an image group with ome-zarr-models; a list of one-line problems."""
    from pydantic import ValidationError
    if version == "0.5":
        from ome_zarr_models.v05.image import Image
    else:
        from ome_zarr_models.v04.image import Image
    try:
        Image.from_zarr(group)
    except ValidationError as err:
        return [_one_line(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}")
                for e in err.errors()][:5]
    except Exception as err:  # the library fails in other ways on broken data
        return [_one_line(f"{type(err).__name__}: {err}")]
    return []


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _first_chunk(array) -> tuple:
    return tuple(slice(0, max(1, min(c, s))) for c, s in zip(array.chunks, array.shape))


def check_data(remote: RemoteCopy, annotation_id: Optional[int] = None) -> list:
    """Reachable, valid NGFF of the declared version, every level readable.

    The remote's levels are open afterwards when the data is readable.
    """
    from ..storage import FetchError

    def problem(code, message, severity=ERROR, fixable=False):
        return Problem(code, _one_line(message), severity, annotation_id=annotation_id,
                       url=remote.url, fixable=fixable)

    try:
        remote.fetch()
    except FetchError as err:
        if err.kind == "not_found":
            other = _other_version_there(remote)
            if other:
                return [problem("version-mismatch",
                                f"the annotation says NGFF {remote.version}, but the data "
                                f"at the URL is NGFF {other}")]
        if err.kind == "corrupt" and _is_collection(remote):
            return [problem("not-an-image", f"{remote.url} is a bioformats2raw or plate "
                            "group, not an image's multiscales group: the annotation "
                            f"should point at an image inside it (e.g. {remote.url}0/)")]
        code = {"not_found": "data-not-found", "corrupt": "corrupt-metadata",
                "forbidden": "forbidden", "server_error": "server-error",
                "timeout": "timeout", "unreachable": "unreachable",
                "dropped": "connection-dropped"}.get(err.kind, "http-error")
        return [problem(code, str(err), fixable=bool(err.definite))]

    problems = []
    found = remote.declared_version()
    if found and str(found) != remote.version:
        problems.append(problem(
            "version-mismatch",
            f"the annotation says NGFF {remote.version}, the data says {found}"))
    try:
        invalid = remote.validate()
    except Exception as err:  # cannot even open the group as Zarr
        invalid = [f"{type(err).__name__}: {err}"]
    for text in invalid:
        problems.append(problem("invalid-ngff", f"not valid NGFF {remote.version}: {text}",
                                fixable=True))
    if invalid:
        return problems

    try:
        remote.open_levels()
    except Exception as err:
        remote.levels = []
        return problems + [problem("level-unreadable",
                                   f"a pyramid level cannot be opened: {err}")]
    for level in remote.levels:
        try:
            level.array[_first_chunk(level.array)]
        except Exception as err:
            problems.append(problem(
                "chunk-unreadable",
                f"level {level.path}: a chunk cannot be read ({type(err).__name__}: {err})"))
    return problems


# --------------------------------------------------------------------------- agreement

def _axis_sizes(remote: RemoteCopy, shape) -> dict:
    axes = remote.axes
    if len(axes) != len(shape):
        axes = list("tczyx")[-len(shape):]
    return dict(zip(axes, shape))


def check_agreement(record: ImageRecord, remote: RemoteCopy) -> list:
    """Sizes, pixel type, physical sizes and channel count as OMERO has them."""
    from ..ngff.spec import ngff_length, stored_dtype

    if not remote.levels or remote.levels[0].array is None:
        return []
    problems = []
    full = remote.levels[0].array
    sizes = _axis_sizes(remote, full.shape)
    wrong = []
    for axis, attr in AXIS_SIZES.items():
        expected = getattr(record, attr)
        actual = sizes.get(axis, 1)
        if expected != actual:
            wrong.append(f"{axis.upper()} {actual} (OMERO {expected})")
    if wrong:
        problems.append(Problem("shape-mismatch", "full resolution has " + ", ".join(wrong),
                                url=remote.url))

    try:
        expected_dtype = stored_dtype(record.pixel_type)
    except Exception:
        expected_dtype = None
    if expected_dtype is not None and np.dtype(full.dtype) != expected_dtype:
        problems.append(Problem(
            "pixel-type-mismatch",
            f"data type {np.dtype(full.dtype)}, OMERO {record.pixel_type} "
            f"(expected {expected_dtype})", url=remote.url))

    scale = remote.levels[0].scale
    units = remote.axis_units()
    if scale and len(scale) == len(remote.axes):
        by_axis = dict(zip(remote.axes, scale))
        for axis, size in (("x", record.physical_x), ("y", record.physical_y),
                           ("z", record.physical_z)):
            if size is None or axis not in by_axis:
                continue
            value, unit = ngff_length(size.value, size.unit)
            actual = by_axis[axis]
            if not isinstance(actual, (int, float)) or not math.isclose(
                    float(actual), value, rel_tol=1e-6, abs_tol=1e-12):
                problems.append(Problem(
                    "physical-size-mismatch",
                    f"physical size {axis.upper()} {actual} {units.get(axis) or ''}"
                    f" (OMERO {value:g} {unit or ''})".replace("  ", " "), url=remote.url))
            elif unit and units.get(axis) and units.get(axis) != unit:
                problems.append(Problem(
                    "physical-size-mismatch",
                    f"physical size {axis.upper()} unit {units.get(axis)} (OMERO {unit})",
                    url=remote.url))

    omero_block = remote.ome.get("omero") or {}
    channels = omero_block.get("channels") if isinstance(omero_block, dict) else None
    if isinstance(channels, list) and len(channels) != record.size_c:
        problems.append(Problem(
            "channel-count-mismatch",
            f"{len(channels)} channels described, OMERO has {record.size_c}",
            url=remote.url))
    return problems


# --------------------------------------------------------------------------- pixels

def tile_plan(shape: dict, tile: tuple, count: int, seed: int) -> list:
    """`count` distinct tiles (t, c, z, y, x, h, w) on the tile grid, reproducibly."""
    th, tw = tile
    ny = max(1, math.ceil(shape["y"] / th))
    nx = max(1, math.ceil(shape["x"] / tw))
    total = shape["t"] * shape["c"] * shape["z"] * ny * nx
    rng = random.Random(seed)
    picks = rng.sample(range(total), min(count, total)) if total <= 10 ** 7 else \
        [rng.randrange(total) for _ in range(count)]
    tiles = []
    for index in picks:
        index, ix = divmod(index, nx)
        index, iy = divmod(index, ny)
        index, z = divmod(index, shape["z"])
        t, c = divmod(index, shape["c"])
        y, x = iy * th, ix * tw
        tiles.append((t, c, z, y, x, min(th, shape["y"] - y), min(tw, shape["x"] - x)))
    return tiles


def _read_region(array, axes: list, t, c, z, y, x, h, w) -> np.ndarray:
    where = {"t": t, "c": c, "z": z, "y": slice(y, y + h), "x": slice(x, x + w)}
    index = tuple(where.get(a, 0) for a in axes)
    return np.asarray(array[index])


def check_pixels(record: ImageRecord, remote: RemoteCopy, source, count: int,
                 seed: int = 0) -> list:
    """Compare `count` random full-resolution tiles (and one tile of every lower level
    whose size OMERO also serves) with the same tiles read from OMERO."""
    if count <= 0 or not remote.levels:
        return []
    axes = remote.axes
    if len(axes) != len(remote.levels[0].array.shape) or not {"y", "x"} <= set(axes):
        return [Problem("pixels-not-compared", "axes not understood: pixels not compared",
                        WARNING, url=remote.url)]
    problems = []
    tile = tuple(min(MAX_TILE, max(16, s)) for s in source.tile_size)
    omero_levels = {tuple(shape): i for i, shape in enumerate(source.levels)}
    rng_seed = seed * 1_000_003 + record.id
    for n, level in enumerate(remote.levels):
        sizes = _axis_sizes(remote, level.array.shape)
        shape = {a: sizes.get(a, 1) for a in "tczyx"}
        source_level = 0 if n == 0 else omero_levels.get((shape["y"], shape["x"]))
        if source_level is None:
            continue
        wanted = count if n == 0 else 1
        for (t, c, z, y, x, h, w) in tile_plan(shape, tile, wanted, rng_seed + n):
            where = f"level {level.path} t={t} c={c} z={z} x={x} y={y} {w}x{h}"
            try:
                ours = _read_region(level.array, axes, t, c, z, y, x, h, w)
            except Exception as err:
                problems.append(Problem("chunk-unreadable", _one_line(
                    f"{where}: cannot be read ({type(err).__name__}: {err})"),
                    url=remote.url))
                continue
            try:
                theirs = source.read(source_level, t, c, z, y, x, h, w)
            except Exception as err:
                problems.append(Problem("omero-tile-unreadable", _one_line(
                    f"{where}: OMERO did not serve the tile ({err})"), WARNING,
                    url=remote.url))
                continue
            if ours.shape != theirs.shape or not np.array_equal(
                    ours, theirs.astype(ours.dtype, copy=False),
                    equal_nan=ours.dtype.kind == "f"):
                differ = _count_differences(ours, theirs)
                problems.append(Problem(
                    "pixels-differ",
                    f"{where}: {differ} pixels differ from OMERO's"
                    + ("" if n == 0 else " (a lower level: it may have been computed "
                       "differently)"),
                    ERROR if n == 0 else WARNING, url=remote.url))
    return problems


def _count_differences(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}:"
    try:
        return str(int(np.count_nonzero(a != b.astype(a.dtype, copy=False))))
    except Exception:
        return "some"
