"""A zarr store over a tree this run holds: a plate root under its claim and ownership
record, where nobody else writes while it is held. What exists there is what one
listing found at the start plus what was written through this store's filesystem since
(zarr's ``set`` and the writer's shard uploads alike), so existence checks, reads of
missing keys, listings and deletes of folders are answered from that knowledge instead
of a request each. Written metadata documents are kept to be read back.

Why: zarr asks the store about every parent group of every array it creates (each
``exists`` is two requests on gcsfs, one of them a listing), and an object store lists
by prefix at a cost that grows with the bucket (fake-gcs-server scans every object; GCS
bills every listing). Per field of a plate that was ~70 requests, 14 of them listings.
"""

from __future__ import annotations

import contextlib
import posixpath
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

from zarr.abc.store import ByteRequest
from zarr.core.buffer import Buffer, BufferPrototype
from zarr.storage import FsspecStore, WrapperStore

__all__ = ["KnownTree", "HeldTreeStore", "notifying_class"]

#: documents read back by zarr when it opens groups and arrays (kept once written)
_DOCUMENTS = {"zarr.json", ".zgroup", ".zattrs", ".zarray", ".zmetadata", "plan.json"}
_MAX_DOCUMENT = 1 << 20


class KnownTree:
    """The keys under a root (relative, ``a/b/c``) and the folders above them, plus the
    content of small metadata documents; thread-safe."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._children: dict[str, set[str]] = {"": set()}   # folder -> child names
        self._keys: set[str] = set()
        self._documents: dict[str, bytes] = {}
        for key in keys:
            self.add(key)

    def add(self, key: str, data: bytes | None = None) -> None:
        with self._lock:
            self._keys.add(key)
            if data is not None and posixpath.basename(key) in _DOCUMENTS \
                    and len(data) <= _MAX_DOCUMENT:
                self._documents[key] = bytes(data)
            else:
                self._documents.pop(key, None)
            child = key
            while child:
                folder = posixpath.dirname(child)
                names = self._children.setdefault(folder, set())
                name = posixpath.basename(child)
                if name in names:
                    break
                names.add(name)
                child = folder

    def discard(self, key: str) -> None:
        with self._lock:
            self._keys.discard(key)
            self._documents.pop(key, None)
            child = key
            while child:
                folder = posixpath.dirname(child)
                names = self._children.get(folder, set())
                if child in self._children and self._children[child]:
                    break                                   # a folder still holding keys
                self._children.pop(child, None)
                names.discard(posixpath.basename(child))
                if names or not folder:
                    break
                child = folder

    def has_key(self, key: str) -> bool:
        return key in self._keys

    def document(self, key: str) -> bytes | None:
        return self._documents.get(key)

    def keep_document(self, key: str, data: bytes) -> None:
        with self._lock:
            if key in self._keys and posixpath.basename(key) in _DOCUMENTS \
                    and len(data) <= _MAX_DOCUMENT:
                self._documents[key] = bytes(data)

    def is_folder(self, path: str) -> bool:
        return bool(self._children.get(path.strip("/")))

    def children(self, folder: str) -> list[str]:
        with self._lock:
            return sorted(self._children.get(folder.strip("/"), ()))

    def under(self, prefix: str) -> list[str]:
        """Every key below ``prefix`` (a folder, or a key itself)."""
        folder = prefix.strip("/")
        with self._lock:
            found = [folder] if folder in self._keys else []
            stack = [folder]
            while stack:
                here = stack.pop()
                for name in self._children.get(here, ()):
                    path = f"{here}/{name}" if here else name
                    if path in self._keys:
                        found.append(path)
                    if path in self._children:
                        stack.append(path)
        return sorted(found)


def notifying_class(base: type[Any]) -> type[Any]:
    """``base`` (an async fsspec filesystem class) telling ``on_write(path, data)`` of
    every object it writes, and ``on_delete(path)`` of every object it removes by name
    (the writer uploads shards through the filesystem, past the zarr store)."""

    class Notifying(base):  # type: ignore[misc]
        on_write: Callable[[str, bytes | None], None] | None = None

        async def _pipe_file(self, path: str, data: Any, *args: Any, **kwargs: Any) -> Any:
            out = await super()._pipe_file(path, data, *args, **kwargs)
            if self.on_write is not None:
                self.on_write(path, bytes(data))
            return out

        async def _put_file(self, lpath: str, rpath: str, *args: Any, **kwargs: Any) -> Any:
            out = await super()._put_file(lpath, rpath, *args, **kwargs)
            if self.on_write is not None:
                self.on_write(rpath, None)
            return out

    Notifying.__name__ = Notifying.__qualname__ = "Notifying" + base.__name__
    return Notifying


class HeldTreeStore(WrapperStore[FsspecStore]):
    """An FsspecStore (whose filesystem is a `notifying_class`) over a held tree. Does not
    override ``set``: writes go to the FsspecStore and are learnt from its filesystem."""

    def __init__(self, store: FsspecStore, tree: KnownTree | None = None) -> None:
        super().__init__(store)
        self.root = store.path.rstrip("/")
        if tree is None:
            from zarr.core.sync import sync
            tree = KnownTree(sync(self._listed()))
        self.tree = tree
        store.fs.on_write = self._written

    async def _listed(self) -> list[str]:
        try:
            found = await self._store.fs._find(self.root, detail=False, withdirs=False)
        except FileNotFoundError:
            return []
        return [k for k in (self._key(str(p)) for p in found) if k]

    def _with_store(self, store: FsspecStore) -> HeldTreeStore:
        return type(self)(store, self.tree)

    def _key(self, path: str) -> str | None:
        path = path.split("://", 1)[-1]
        return path[len(self.root) + 1:] if path.startswith(self.root + "/") else None

    def _written(self, path: str, data: bytes | None) -> None:
        key = self._key(path)
        if key:
            self.tree.add(key, data)

    def _path(self, key: str) -> str:
        return f"{self.root}/{key}" if key else self.root

    # -- reading ------------------------------------------------------------------------
    async def exists(self, key: str) -> bool:
        return self.tree.has_key(key) or self.tree.is_folder(key)

    async def get(self, key: str, prototype: BufferPrototype,
                  byte_range: ByteRequest | None = None) -> Buffer | None:
        if not self.tree.has_key(key):
            return None
        kept = self.tree.document(key) if byte_range is None else None
        if kept is not None:
            return prototype.buffer.from_bytes(kept)
        found = await self._store.get(key, prototype, byte_range)
        if found is not None and byte_range is None:
            self.tree.keep_document(key, found.to_bytes())
        return found

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        if not self.tree.has_key(key):
            await self._store.set(key, value)

    async def is_empty(self, prefix: str) -> bool:
        return not self.tree.under(prefix)

    async def list(self) -> AsyncIterator[str]:
        for key in self.tree.under(""):
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        for key in self.tree.under(prefix):
            yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        for name in self.tree.children(prefix):
            yield name

    # -- removing -----------------------------------------------------------------------
    async def delete(self, key: str) -> None:
        if self.tree.has_key(key):
            await self._remove([key])

    async def delete_dir(self, prefix: str) -> None:
        keys = self.tree.under(prefix.rstrip("/"))
        if keys:
            await self._remove(keys)

    async def clear(self) -> None:
        await self.delete_dir("")

    async def _remove(self, keys: Sequence[str]) -> None:
        self._check_writable()
        with contextlib.suppress(FileNotFoundError):      # gone meanwhile: as wanted
            await self._store.fs._rm([self._path(k) for k in keys])
        for key in keys:
            self.tree.discard(key)
