"""An image's target in the store: what is there before writing, and its level arrays.

What is there decides how a write starts: nothing (``fresh``: write from the start), a
resume record of the same layout (``resume``: continue it), the same image complete
(``complete``: nothing to do), or anything else (``TargetExistsError``, unless the
options say overwrite).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Literal, NamedTuple

import numpy as np
import zarr

from ..model.ngff_versions import of_zarr_format
from . import codecs as cd
from . import metadata as md
from . import shards as sh
from . import store as st
from .errors import TargetExistsError
from .layout import ImagePlan, LevelPlan
from .record import ResumeRecord
from .spec import ImageSpec, WriteOptions

State = Literal["fresh", "resume", "complete"]


class ExistingImage(NamedTuple):
    """An NGFF image found at the target."""

    version: str
    shapes: list[tuple[int, ...]]
    dtype: np.dtype[Any] | None


class Target:
    """The image group at ``path`` in ``store``; ``url`` names it in messages."""

    def __init__(self, store: st.CountingStore, path: str, url: str,
                 options: WriteOptions) -> None:
        self.store, self.path, self.url, self.options = store, path, url, options

    def key(self, *parts: str) -> str:
        return st.join(self.path, *parts)

    def inspect(self, plan: ImagePlan, record: ResumeRecord) -> tuple[State, ImagePlan]:
        """'fresh', 'resume' (with the recorded plan) or 'complete'; TargetExistsError
        for anything else that is in the way."""
        prefix = self.path + "/" if self.path else ""
        if self.options.overwrite:
            if st.any_key(self.store, prefix):
                st.delete_prefix(self.store, prefix)
            return "fresh", plan
        recorded = record.read_plan()
        fmt = self._existing_format()
        found = self._existing_image(fmt) if fmt is not None else None
        # metadata is written only after all data: a kill while deleting the record
        if found is not None and record.exists() and _matches(found, plan):
            record.remove()
            return "complete", plan
        if recorded is not None:
            old = ImagePlan.from_json(recorded)
            if old.same_image(plan) and old.compression == plan.compression and \
                    [lv.chunks for lv in old.levels] == [lv.chunks for lv in plan.levels]:
                return "resume", old
            raise TargetExistsError(
                f"{self.url}: an interrupted write with other settings is there "
                f"({describe(old)}; now {describe(plan)}); use overwrite to start afresh")
        if found is not None:
            if _matches(found, plan):
                return "complete", plan
            raise TargetExistsError(
                f"{self.url}: a different image exists there (NGFF {found.version}, "
                f"{found.dtype}, "
                f"{'x'.join(map(str, found.shapes[0])) if found.shapes else 'no levels'}; "
                f"new: NGFF {plan.ngff_version}, {np.dtype(plan.dtype)}, "
                f"{'x'.join(map(str, plan.levels[0].shape))}); use overwrite to replace it")
        if st.any_key(self.store, prefix):
            raise TargetExistsError(f"{self.url}: the target is not empty and is not an image "
                                    f"written by this tool; use overwrite to replace it")
        return "fresh", plan

    def _existing_format(self) -> Literal[2, 3] | None:
        if st.get_bytes(self.store, self.key("zarr.json")) is not None:
            return 3
        if st.get_bytes(self.store, self.key(".zgroup")) is not None:
            return 2
        return None

    def _existing_image(self, fmt: Literal[2, 3]) -> ExistingImage | None:
        try:
            group = zarr.open_group(self.store, path=self.path, mode="r", zarr_format=fmt)
            ome = md.read_ome(dict(group.attrs))
            ms = ome.get("multiscales")
            if not ms:
                return None
            version = (ome.get("version") or ms[0].get("version")
                       or of_zarr_format(fmt).name)
            shapes: list[tuple[int, ...]] = []
            dtype = None
            for ds in ms[0]["datasets"]:
                arr = group[ds["path"]]
                if not isinstance(arr, zarr.Array):
                    raise TypeError(f"{ds['path']} is a group, not an array")
                shapes.append(tuple(arr.shape))
                dtype = arr.dtype
            return ExistingImage(version, shapes, dtype)
        except (KeyError, ValueError, TypeError, FileNotFoundError) as exc:
            raise TargetExistsError(f"{self.url}: an unreadable zarr group is there ({exc}); "
                                    f"use overwrite to replace it") from exc

    # -- arrays ------------------------------------------------------------------------
    def create_arrays(self, plan: ImagePlan, dtype: np.dtype[Any], fill: Any,
                      missing_only: bool = False) -> None:
        """Create the level arrays (resuming: those a kill kept from being created)."""
        options = self.options
        fmt = options.zarr_format
        group = zarr.open_group(self.store, path=self.path, mode="a", zarr_format=fmt)
        for lv in plan.levels:
            if missing_only and self._array_exists(lv):
                continue
            common: dict[str, Any] = dict(
                name=str(lv.index), shape=lv.shape, dtype=dtype, chunks=lv.chunks,
                fill_value=fill, overwrite=not missing_only,
                config={"write_empty_chunks": options.write_empty_chunks})
            if fmt == 3:
                group.create_array(
                    **common, shards=lv.shards, dimension_names=list("tczyx"),
                    compressors=cd.v3_compressors(options.compression,
                                                  options.compression_level, dtype))
            else:
                group.create_array(
                    **common, chunk_key_encoding={"name": "v2", "separator": "/"},
                    compressors=cd.v2_compressor(options.compression,
                                                 options.compression_level, dtype))

    def _array_exists(self, lv: LevelPlan) -> bool:
        meta = "zarr.json" if self.options.zarr_format == 3 else ".zarray"
        return st.get_bytes(self.store, self.key(str(lv.index), meta)) is not None

    def open_array(self, lv: LevelPlan) -> zarr.Array[Any]:
        arr = zarr.open_array(self.store, path=self.key(str(lv.index)), mode="r+",
                              zarr_format=self.options.zarr_format)
        if tuple(arr.shape) != lv.shape:
            raise TargetExistsError(f"{self.url}/{lv.index}: array shape {arr.shape} differs from "
                                    f"the recorded plan {lv.shape}; use overwrite")
        if self.options.zarr_format == 3:
            sh.check_sharding(arr)          # the sinks write exactly this shard format
        return arr

    # -- the end -----------------------------------------------------------------------
    def write_metadata(self, spec: ImageSpec, plan: ImagePlan, image_id: int | None) -> None:
        """The NGFF attributes, which make the image complete for its readers."""
        group = zarr.open_group(self.store, path=self.path, mode="r+",
                                zarr_format=self.options.zarr_format)
        paths = [str(lv.index) for lv in plan.levels]
        version = self.options.ngff_version
        group.attrs.update(md.label_attrs(spec, paths, version) if spec.label is not None
                           else md.image_attrs(spec, paths, version, image_id))

    def clean_partial_files(self) -> None:
        """LocalStore writes ``<key>.<uuid>.partial`` then renames; a kill leaves them."""
        root = st.local_root(self.store)
        if root is None:
            return
        for dirpath, _, files in os.walk(os.path.join(root, self.path)):
            for f in files:
                if f.endswith(".partial"):
                    with contextlib.suppress(OSError):
                        os.remove(os.path.join(dirpath, f))


def _matches(found: ExistingImage, plan: ImagePlan) -> bool:
    return (found.version == plan.ngff_version and found.dtype == np.dtype(plan.dtype)
            and found.shapes == [lv.shape for lv in plan.levels])


def describe(plan: ImagePlan) -> str:
    """The plan in a few words, for messages."""
    lv = plan.levels[0]
    return (f"NGFF {plan.ngff_version}, {np.dtype(plan.dtype)}, {'x'.join(map(str, lv.shape))}, "
            f"{plan.compression}, chunk {lv.chunks[-1]}")
