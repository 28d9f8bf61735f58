"""memory://PATH: fsspec's in-memory filesystem, one per process (tests, dry runs).

Nothing outside this process sees it, so a process-wide lock makes exclusive and
conditional writes atomic. The version of an object is a digest of its content.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import TYPE_CHECKING

from .base import DestinationOptions, content_version
from .fsspec_backed import FileSystem, FsspecDestination
from .paths import clean_rel

if TYPE_CHECKING:
    from zarr.storage import FsspecStore

__all__ = ["MemoryDestination"]

_LOCK = threading.Lock()          # the memory filesystem is one per process


class MemoryDestination(FsspecDestination):
    """A path in the process' memory filesystem; ``prefix`` is that path ('/...')."""

    scheme = "memory"
    shared = False
    has_folders = True

    def join(self, relpath: str = "") -> str:
        return "memory://" + self.fs_path(relpath).lstrip("/")

    def _make_fs(self) -> FileSystem:
        from fsspec.implementations.memory import MemoryFileSystem
        return MemoryFileSystem()

    def zarr_store(self, relpath: str = "", read_only: bool = False) -> FsspecStore:
        from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper
        from zarr.storage import FsspecStore

        fs = AsyncFileSystemWrapper(self.fs, asynchronous=True)
        return FsspecStore(fs, path=self.fs_path(relpath), read_only=read_only)

    # -- exclusive and conditional writes ------------------------------------------------

    def create_exclusive(self, relpath: str, data: bytes) -> str | None:
        with _LOCK:
            if self.exists(relpath):
                return None
            self.write_bytes(relpath, data)
            return content_version(data)

    def replace_if(self, relpath: str, data: bytes, version: str) -> str | None:
        with _LOCK:
            if not self._is_at(relpath, version):
                return None
            self.write_bytes(relpath, data)
            return content_version(data)

    def delete_if(self, relpath: str, version: str) -> bool:
        with _LOCK:
            if not self._is_at(relpath, version):
                return False
            self._delete([clean_rel(relpath)])
            return True

    def _is_at(self, relpath: str, version: str) -> bool:
        current = self.read_versioned(relpath)
        return current is not None and current.version == version

    def cors_warnings(self) -> list[str]:
        return []

    # -- made from memory://PATH ----------------------------------------------------------

    @classmethod
    def from_url(cls, text: str, parts: urllib.parse.SplitResult,
                 options: DestinationOptions) -> MemoryDestination:
        path = "/" + clean_rel(parts.netloc + parts.path)
        return cls(path.rstrip("/") or "/", options.public_url, policy=options.policy)
