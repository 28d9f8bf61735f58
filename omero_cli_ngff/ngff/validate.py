"""Checking written OME-Zarr: ome-zarr-models validation plus a few checks of our own,
returned as readable problems (an empty list means sound), never raised.

Targets: a local path, an fsspec URL (``gs://...`` with ``storage_options``), an
``http(s)://`` URL (read-only, e.g. the public URL of a published image), or a zarr
store. Used by the tests and by the ``verify`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from ..model.ngff_versions import KNOWN, of_zarr_format
from . import metadata as md
from . import store as st
from .record import RECORD_DIR

if TYPE_CHECKING:
    import zarr

KINDS = ("image", "plate", "well", "bioformats2raw")


def open_group(target: st.Dest, storage_options: dict[str, Any] | None = None,
               path: str = "") -> tuple[zarr.Group, Literal[2, 3]]:
    """(zarr.Group, zarr_format) of an existing group, read-only."""
    import zarr
    from zarr.abc.store import Store
    from zarr.storage import FsspecStore, LocalStore

    if isinstance(target, Store):
        store = target
    else:
        text = str(target)
        if "://" in text and not text.startswith("file://"):
            store = FsspecStore.from_url(text.rstrip("/"), storage_options=storage_options or {},
                                         read_only=True)
        else:
            store = LocalStore(text[7:] if text.startswith("file://") else text, read_only=True)
    last = None
    formats: tuple[Literal[2, 3], ...] = (3, 2)
    for fmt in formats:
        try:
            return zarr.open_group(store, path=path, mode="r", zarr_format=fmt), fmt
        except Exception as exc:            # noqa: BLE001 - try the other format
            last = exc
    raise FileNotFoundError(f"no zarr group at {target}{'/' + path if path else ''} ({last})")


def ome_attrs(group: zarr.Group) -> dict[str, Any]:
    return md.read_ome(dict(group.attrs))


def detect(group: zarr.Group, fmt: int) -> tuple[str | None, str | None]:
    """(NGFF version, kind) of a group from its attributes (None where unknown)."""
    ome = ome_attrs(group)
    kind = None
    if "plate" in ome:               # bioformats2raw marks a plate's root as its layout too
        kind = "plate"
    elif "bioformats2raw.layout" in ome:
        kind = "bioformats2raw"
    elif "multiscales" in ome:
        kind = "image"
    elif "well" in ome:
        kind = "well"
    version = ome.get("version")
    if version is None and kind in ("image",):
        version = (ome["multiscales"][0] or {}).get("version")
    if version is None and kind in ("plate", "well"):
        version = ome[kind].get("version")
    if version is None and kind is not None:
        version = of_zarr_format(fmt).name
    return version, kind


class _Model(Protocol):
    """An ome-zarr-models class: validates a group as it reads it."""

    def from_zarr(self, group: zarr.Group) -> object: ...


def _model(version: str, kind: str) -> _Model:
    from ome_zarr_models import v04, v05

    m: Any = v05 if version == "0.5" else v04
    model: _Model = {"image": m.Image, "plate": m.HCS, "well": m.Well,
                     "bioformats2raw": m.BioFormats2Raw}[kind]
    return model


def _pydantic_problems(exc: Exception) -> list[str]:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                    for e in errors()]
        except Exception:  # noqa: BLE001
            pass
    return [f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"]


def _image_checks(group: zarr.Group, check_data: bool) -> list[str]:
    problems = []
    ome = ome_attrs(group)
    try:
        datasets = ome["multiscales"][0]["datasets"]
    except (KeyError, IndexError, TypeError):
        return ["no multiscales datasets"]
    prev = None
    dtype = None
    for ds in datasets:
        p = ds.get("path")
        try:
            arr: Any = group[p]             # an array, if the metadata is right
        except Exception as exc:  # noqa: BLE001
            problems.append(f"dataset {p}: cannot open ({type(exc).__name__})")
            continue
        shape = tuple(arr.shape)
        if prev is not None and any(a > b for a, b in zip(shape, prev)):
            problems.append(f"dataset {p}: shape {shape} larger than the level above {prev}")
        prev = shape
        if dtype is not None and arr.dtype != dtype:
            problems.append(f"dataset {p}: dtype {arr.dtype} differs from level 0 ({dtype})")
        dtype = dtype or arr.dtype
        # a shard may stick out of the level by less than a chunk (like an edge chunk),
        # never hold a chunk wholly outside it (bioformats2raw issue 299)
        shards = getattr(arr, "shards", None)
        if shards is not None and any(s > -(-n // c) * c
                                      for s, n, c in zip(shards, shape, arr.chunks)):
            problems.append(f"dataset {p}: shard {shards} holds chunks {arr.chunks} wholly "
                            f"outside the level {shape}")
        if check_data:
            try:
                idx = tuple(slice(0, min(c, n)) for c, n in zip(arr.chunks, shape))
                np.asarray(arr[idx])
            except Exception as exc:  # noqa: BLE001
                problems.append(f"dataset {p}: first chunk unreadable ({type(exc).__name__}: "
                                f"{str(exc).splitlines()[0] if str(exc) else ''})")
    return problems


def _record_present(group: zarr.Group) -> bool:
    store = group.store_path.store
    prefix = (group.store_path.path + "/" if group.store_path.path else "") + RECORD_DIR + "/"
    try:
        return st.any_key(store, prefix)
    except Exception:  # noqa: BLE001 - unlistable (http): cannot tell
        return False


def validate(target: st.Dest, version: str | None = None, *, kind: str | None = None,
             storage_options: dict[str, Any] | None = None, path: str = "",
             check_data: bool = True) -> list[str]:
    """Problems of the OME-Zarr group at ``target``/``path`` ([] when sound).

    ``version``: expected NGFF version ('0.4'/'0.5'; None accepts either); ``kind``:
    expected kind (image, plate, well, bioformats2raw; None: whatever is found).
    Images get extra checks: levels shrink, one dtype, shards within levels, first
    chunk of each level decodes (``check_data``), no leftover resume record.
    """
    try:
        group, fmt = open_group(target, storage_options, path)
    except Exception as exc:  # noqa: BLE001
        return [f"cannot open: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"]
    found_version, found_kind = detect(group, fmt)
    if found_kind is None:
        return ["no OME-Zarr metadata (no multiscales, plate, well or bioformats2raw.layout)"]
    problems: list[str] = []
    if version is not None and found_version != version:
        problems.append(f"NGFF version {found_version}, expected {version}")
    if kind is not None and found_kind != kind:
        problems.append(f"a {found_kind} group, expected a {kind}")
    if (found_version == "0.5") != (fmt == 3):
        problems.append(f"NGFF {found_version} in a Zarr v{fmt} group")
    if found_version not in KNOWN:
        return problems + [f"unsupported NGFF version {found_version!r}"]
    try:
        _model(found_version, found_kind).from_zarr(group)
    except Exception as exc:  # noqa: BLE001 - pydantic and zarr errors alike
        problems += [f"ome-zarr-models: {p}" for p in _pydantic_problems(exc)]
    if found_kind == "image":
        problems += _image_checks(group, check_data)
        if _record_present(group):
            problems.append("incomplete: a resume record (.ngff-progress) is still there")
    return problems


def read_level(target: st.Dest, level: int = 0,
               storage_options: dict[str, Any] | None = None) -> np.ndarray:
    """Pixels of one level as ome-zarr-py's ``Reader`` sees them (an independent
    reader, for read-back checks). ``target``: local path, URL or zarr store."""
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    where: st.Dest = target
    if isinstance(target, str) and (target.startswith("gs://") or target.startswith("s3://")):
        from zarr.storage import FsspecStore

        where = FsspecStore.from_url(target, storage_options=storage_options or {},
                                     read_only=True)
    loc = parse_url(where)
    if loc is None:
        raise FileNotFoundError(f"ome-zarr-py cannot open {where}")
    nodes = list(Reader(loc)())
    if not nodes:
        raise FileNotFoundError(f"ome-zarr-py found no image at {where}")
    return np.asarray(nodes[0].data[level])
