"""The object operations every backend shares, through an fsspec filesystem: listing,
reading, writing, removal, usage and the walk that finds OME-Zarr image groups."""

from __future__ import annotations

import contextlib
import json
import posixpath
from abc import abstractmethod
from typing import Any

from .base import Destination, Versioned, ZarrGroupInfo, content_version
from .paths import clean_rel
from .preflight import PROBE_PAYLOAD, PreflightReport, new_probe_name, read_probe_publicly

__all__ = ["FsspecDestination"]

# an fsspec AbstractFileSystem (fsspec has no type hints)
FileSystem = Any
_NOT_THERE = (FileNotFoundError, NotADirectoryError)


class FsspecDestination(Destination):
    """A destination whose objects are reached through an fsspec filesystem
    (``fs``, made on first use by ``_make_fs``)."""

    _fs: FileSystem | None = None
    #: the filesystem has real folders (local, memory), pruned when they empty
    has_folders: bool = False

    @abstractmethod
    def _make_fs(self) -> FileSystem:
        """A synchronous fsspec filesystem for this destination."""

    @property
    def fs(self) -> FileSystem:
        """A synchronous fsspec filesystem for this destination."""
        if self._fs is None:
            self._fs = self._make_fs()
        return self._fs

    def _fresh(self) -> FileSystem:
        """``fs`` with its listings cache dropped (others write there too)."""
        fs = self.fs
        if hasattr(fs, "invalidate_cache"):
            fs.invalidate_cache()
        return fs

    def fs_path(self, relpath: str = "") -> str:
        """A path under the root folder (``prefix``)."""
        rel = clean_rel(relpath)
        return posixpath.join(self.prefix, rel) if rel else self.prefix

    # -- objects --------------------------------------------------------------------------

    def exists(self, relpath: str = "") -> bool:
        with self.translate_errors("checking " + self.join(relpath), write=False):
            return bool(self._fresh().exists(self.fs_path(relpath)))

    def read_bytes(self, relpath: str) -> bytes | None:
        with self.translate_errors("reading " + self.join(relpath), write=False):
            try:
                return bytes(self._fresh().cat_file(self.fs_path(relpath)))
            except (FileNotFoundError, IsADirectoryError):
                return None

    def write_bytes(self, relpath: str, data: bytes) -> None:
        with self.translate_errors("writing " + self.join(relpath)):
            self.fs.pipe_file(self.fs_path(relpath), data)

    def _find(self, rel: str) -> list[str]:
        try:
            found = self._fresh().find(self.fs_path(rel))
        except _NOT_THERE:
            return []
        rels = (self.relpath_of(str(path)) for path in found)
        return [r for r in rels if r]

    def _delete(self, rels: list[str]) -> None:
        fs = self.fs
        with contextlib.suppress(FileNotFoundError):      # gone meanwhile: as wanted
            fs.rm([self.fs_path(r) for r in rels])
        if hasattr(fs, "invalidate_cache"):
            fs.invalidate_cache()
        if self.has_folders:
            self._prune(fs, rels)

    def _prune(self, fs: FileSystem, rels: list[str]) -> None:
        """Remove the folders left empty above deleted objects (never the root), so
        that a removed tree no longer `exists`."""
        folders = {posixpath.dirname(r) for r in rels}
        for rel in list(folders):
            while rel:
                folders.add(rel)
                rel = posixpath.dirname(rel)
        for rel in sorted(folders, key=lambda r: r.count("/"), reverse=True):
            path = self.fs_path(rel)
            try:
                if fs.isdir(path) and not fs.ls(path, detail=False):
                    fs.rmdir(path)
            except (FileNotFoundError, OSError):
                pass

    def list_names(self, relpath: str = "") -> list[str]:
        with self.translate_errors("listing " + self.join(relpath), write=False):
            try:
                entries = self._fresh().ls(self.fs_path(relpath), detail=False)
            except _NOT_THERE:
                return []
        return sorted({posixpath.basename(str(e).rstrip("/")) for e in entries})

    def usage(self, relpath: str = "") -> tuple[int, int]:
        with self.translate_errors("measuring " + self.join(relpath), write=False):
            try:
                found = self._fresh().find(self.fs_path(relpath), detail=True)
            except FileNotFoundError:
                return (0, 0)
            files = [v for v in found.values() if v.get("type", "file") == "file"]
            return (sum(int(v.get("size") or 0) for v in files), len(files))

    def read_versioned(self, relpath: str) -> Versioned | None:
        # without generations, the version is a digest of the content
        data = self.read_bytes(relpath)
        return None if data is None else Versioned(data, content_version(data))

    # -- image groups ---------------------------------------------------------------------

    def list_groups(self, relpath: str = "", max_depth: int = 8,
                    sizes: bool = False) -> list[ZarrGroupInfo]:
        # one level at a time (delimiter listing): chunks are never listed
        found: list[ZarrGroupInfo] = []
        with self.translate_errors("listing " + self.join(relpath), write=False):
            self._walk(self._fresh(), self.fs_path(relpath), 0, max_depth, found)
        for info in found:
            if sizes:
                info.size, info.objects = self.usage(info.relpath)
        return sorted(found, key=lambda g: g.relpath)

    def _walk(self, fs: FileSystem, path: str, depth: int, max_depth: int,
              found: list[ZarrGroupInfo]) -> None:
        try:
            entries = fs.ls(path, detail=True)
        except _NOT_THERE:
            return
        by_name = {posixpath.basename(e["name"].rstrip("/")): e for e in entries}
        if ".zarray" in by_name:
            return
        if "zarr.json" in by_name:
            doc = _load_json(fs, by_name["zarr.json"]["name"])
            if not isinstance(doc, dict) or doc.get("node_type") == "array":
                return
            info = _v3_image(doc)
        else:
            info = _v2_image(_load_json(fs, by_name[".zattrs"]["name"])) \
                if ".zattrs" in by_name else None
        if info:
            rel = self.relpath_of(path) or ""
            found.append(ZarrGroupInfo(rel, self.join(rel), info[0], info[1]))
            return
        if depth >= max_depth:
            return
        for entry in entries:
            if entry.get("type") == "directory":
                self._walk(fs, entry["name"].rstrip("/"), depth + 1, max_depth, found)

    # -- preflight (writing a probe through the filesystem) ------------------------------

    def _prepare_root(self) -> None:
        """Before the probe: make sure the root can hold objects (folders create it)."""

    def preflight(self, check_public: bool = True, check_cors: bool = True,
                  check_ranges: bool = True) -> PreflightReport:
        report = PreflightReport(self.url)
        self._prepare_root()
        probe = new_probe_name()
        self.write_bytes(probe, PROBE_PAYLOAD)
        try:
            if check_public and self._explicit_public:
                read_probe_publicly(self.public_url(probe, group=False), self.public_base,
                                    report, self.policy, ranges=check_ranges)
        finally:
            with self.translate_errors("removing the probe from " + self.url):
                self.fs.rm(self.fs_path(probe))
        if check_cors and self._explicit_public:
            report.warnings += self.cors_warnings()
        return report


def _load_json(fs: FileSystem, path: str) -> Any:
    try:
        return json.loads(fs.cat_file(path))
    except (ValueError, FileNotFoundError):
        return None


def _v3_image(doc: dict[str, Any]) -> tuple[str, int] | None:
    """(NGFF version, 3) when a zarr.json group document is an image's."""
    ome = (doc.get("attributes") or {}).get("ome") or {}
    if ome.get("multiscales"):
        return (str(ome.get("version") or "0.5"), 3)
    return None


def _v2_image(doc: Any) -> tuple[str, int] | None:
    """(NGFF version, 2) when a .zattrs document is an image's."""
    ms = doc.get("multiscales") if isinstance(doc, dict) else None
    if ms:
        version = ms[0].get("version") if isinstance(ms[0], dict) else None
        return (str(version or "0.4"), 2)
    return None
