"""A local folder (a path or file:// URL): files on this machine, served by a web server
at --public-url when the copies are to be public.

Exclusive creation writes a temporary file (``O_CREAT | O_EXCL``) and hard-links it
into place: link(2) fails when the name exists, like O_EXCL, and readers never see a
half-written file (where hard links are refused, O_EXCL on the name itself). A
conditional replace or delete holds a lock of this machine on the file's name (flock
on a file under /tmp/omero-ngff-locks: nothing is left in the destination), checks that
the file is still the version it was asked about, then replaces it with a rename
(readers and creators see the old file or the new one, never no file: an earlier
rename-aside left a moment without the file, in which a racing read-modify-write
started from nothing and lost what the file held) or deletes it. The version of a file
is a digest of its content. Temporary files are hidden ('.' names) beside the file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import posixpath
import tempfile
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .base import DestinationOptions, content_version
from .errors import DestinationNotFound, InvalidDestination, ReadOnlyDestination
from .fsspec_backed import FileSystem, FsspecDestination
from .paths import clean_rel

if TYPE_CHECKING:
    from zarr.storage import LocalStore

__all__ = ["FolderDestination"]

#: where the locks of conditional writes are (tests may set it; default /tmp's)
LOCK_DIR_ENV = "OMERO_NGFF_LOCK_DIR"
_NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK)


class FolderDestination(FsspecDestination):
    """A local folder; ``prefix`` is its absolute path."""

    scheme = "file"
    is_local = True
    has_folders = True

    @classmethod
    def from_url(cls, text: str, parts: urllib.parse.SplitResult,
                 options: DestinationOptions) -> FolderDestination:
        if parts.netloc not in ("", "localhost"):
            raise InvalidDestination(f"{text}: file:// URLs name a local path "
                                     "(file:///abs/path)")
        return cls(os.path.abspath(urllib.parse.unquote(parts.path)), options.public_url,
                   policy=options.policy)

    @classmethod
    def from_path(cls, text: str, options: DestinationOptions) -> FolderDestination:
        """The folder a plain path names ('~' expanded, made absolute)."""
        return cls(os.path.abspath(os.path.expanduser(text)), options.public_url,
                   policy=options.policy)

    def _make_fs(self) -> FileSystem:
        from fsspec.implementations.local import LocalFileSystem
        return LocalFileSystem()

    def zarr_store(self, relpath: str = "", read_only: bool = False) -> LocalStore:
        from zarr.storage import LocalStore
        return LocalStore(self.fs_path(relpath), read_only=read_only)

    def write_bytes(self, relpath: str, data: bytes) -> None:
        with self.translate_errors("writing " + self.join(relpath)):
            os.makedirs(posixpath.dirname(self.fs_path(relpath)), exist_ok=True)
        super().write_bytes(relpath, data)

    # -- exclusive and conditional writes ------------------------------------------------

    def create_exclusive(self, relpath: str, data: bytes) -> str | None:
        with self.translate_errors("creating " + self.join(relpath)):
            path = self.fs_path(relpath)
            os.makedirs(posixpath.dirname(path), exist_ok=True)
            return _create(path, data)

    def replace_if(self, relpath: str, data: bytes, version: str) -> str | None:
        with self.translate_errors("replacing " + self.join(relpath)):
            path = self.fs_path(relpath)
            with _name_lock(path):
                if not _is_version(path, version):
                    return None
                tmp = _beside(path, "new")
                with open(tmp, "xb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
                return content_version(data)

    def delete_if(self, relpath: str, version: str) -> bool:
        with self.translate_errors("deleting " + self.join(relpath)):
            path = self.fs_path(relpath)
            with _name_lock(path):
                if not _is_version(path, version):
                    return False
                os.unlink(path)
            self._prune(self.fs, [clean_rel(relpath)])
            return True

    # -- checks ---------------------------------------------------------------------------

    def _prepare_root(self) -> None:
        root = self.prefix
        parent = os.path.dirname(root.rstrip("/")) or "/"
        if os.path.isdir(root):
            return
        if not os.path.isdir(parent):
            raise DestinationNotFound(f"{self.url}: the parent folder {parent} "
                                      "does not exist")
        try:
            os.makedirs(root, exist_ok=True)
        except PermissionError:
            raise ReadOnlyDestination(f"{self.url}: cannot create the folder "
                                      "(permission denied)") from None

    def cors_warnings(self) -> list[str]:
        return [f"CORS of {self.url} depends on the web server serving "
                f"{self.public_base or 'it'}: it must allow GET/HEAD with Range from "
                "the viewers' origins (or *)"]


def _beside(path: str, tag: str) -> str:
    """A hidden name of our own next to ``path``."""
    folder, name = posixpath.split(path)
    return posixpath.join(folder, f".{name}.{tag}-{uuid.uuid4().hex[:12]}")


def _create(path: str, data: bytes) -> str | None:
    """Create ``path`` with ``data`` unless it exists: its version, or None."""
    tmp = _beside(path, "new")
    with open(tmp, "xb") as fh:
        fh.write(data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        return _create_in_place(path, data)
    finally:
        os.unlink(tmp)
    return content_version(data)


def _create_in_place(path: str, data: bytes) -> str | None:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return content_version(data)


def _lock_dir() -> str:
    """One folder for every process of this machine, whatever its TMPDIR (runs with
    different temporary folders must still take turns): /tmp's, shared by all users."""
    base = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
    folder = os.environ.get(LOCK_DIR_ENV) or os.path.join(base, "omero-ngff-locks")
    if not os.path.isdir(folder):
        os.makedirs(folder, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o1777)          # every user's runs lock here (sticky)
    return folder


@contextlib.contextmanager
def _name_lock(path: str) -> Iterator[None]:
    """Hold this machine's lock on ``path`` (conditional writes of one name in turn)."""
    name = hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:32]
    fd = os.open(os.path.join(_lock_dir(), name), os.O_RDONLY | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)        # read-only is enough to lock: any user
        yield
    finally:
        os.close(fd)                          # closing releases the lock


def _is_version(path: str, version: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return content_version(fh.read()) == version
    except FileNotFoundError:
        return False
