"""The abstract destination: what the rest of the plugin may do with a place where
converted images go, whatever the backend (a GCS bucket, a local folder, memory).

The operations, in the spirit of zarr-python 3's ``zarr.abc.store.Store``:

- identity and paths: ``url``, ``join``, ``fs_path``, ``relpath_of``, ``root_name``;
- objects: ``exists``, ``read_bytes``, ``write_bytes``, ``list_names``, ``list_tree``,
  ``delete_objects``, ``remove`` (recursive, refusing the root and trees holding an
  ownership record), ``usage`` / ``du``;
- exclusive and conditional writes (what claims are built on): ``create_exclusive``
  (create if absent, atomically), ``read_versioned``, ``replace_if`` and ``delete_if``
  (only when the object is still the version the caller read);
- Zarr: ``zarr_store``, ``list_groups`` (the OME-Zarr images under a path);
- publishing: ``public_url``, ``relpath_of_public_url``, ``preflight``,
  ``cors_warnings``; ``translate_errors`` turns storage exceptions into one-line
  DestinationErrors.

Capabilities are class attributes, so that callers ask what a backend can do instead
of which backend it is. Relative paths are '/'-separated and never leave the
destination (InvalidDestination otherwise).
"""

from __future__ import annotations

import hashlib
import posixpath
import urllib.parse
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..model.paths import encode_url
from ..model.urls import url_problem
from .errors import InvalidDestination, PublicUrlError
from .http import DEFAULT_POLICY, HttpPolicy
from .paths import clean_rel, quote_path
from .preflight import PreflightReport
from .translate import translating

if TYPE_CHECKING:
    from zarr.abc.store import Store

__all__ = ["Destination", "DestinationOptions", "ZarrGroupInfo", "Versioned",
           "content_version", "OWNER_RECORD"]

#: the ownership record of a copy's root, ``<root>/.omero-ngff-owner.json`` (ownership.py)
OWNER_RECORD = ".omero-ngff-owner.json"


@dataclass(frozen=True)
class DestinationOptions:
    """How to reach a destination, besides its URL (each backend takes what it needs)."""

    public_url: str | None = None
    credentials_file: str | None = None
    anonymous: bool | None = None
    endpoint_url: str | None = None
    project: str | None = None
    policy: HttpPolicy = DEFAULT_POLICY


@dataclass
class ZarrGroupInfo:
    """An OME-Zarr image (multiscales) group found under a destination."""

    relpath: str                    # relative to the destination root
    url: str                        # storage URL (gs://..., file://..., memory://...)
    ngff_version: str               # "0.4", "0.5", ...
    zarr_format: int                # 2 or 3
    size: int | None = None      # bytes under the group (when asked)
    objects: int | None = None   # objects/files under the group (when asked)


@dataclass(frozen=True)
class Versioned:
    """An object's content and its version: an opaque token that changes whenever the
    object is written (a GCS generation; a digest of the content elsewhere)."""

    data: bytes
    version: str


def content_version(data: bytes) -> str:
    """The version of backends without generations: a digest of the content (the same
    content is the same version, which is all a conditional write needs to know)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Destination(ABC):
    """A parsed destination. Build it with `parse_destination()`.

    ``prefix`` is the key prefix within the bucket (gs), the absolute folder (file) or
    the path (memory); ``public_base`` the public URL of the root, or None.
    """

    scheme: ClassVar[str]
    #: conditional writes are checked by the storage service itself (generations);
    #: otherwise this process emulates them (a lock, renames)
    supports_generations: ClassVar[bool] = False
    #: the data are files on this machine (paths a web server may serve)
    is_local: ClassVar[bool] = False
    #: other processes (and other hosts) see the same objects, so claims protect
    #: across runs; False for memory://, private to this process
    shared: ClassVar[bool] = True
    #: the GCS bucket holding the destination (None for folders and memory)
    bucket: str | None = None

    def __init__(self, prefix: str, public_url: str | None = None, *,
                 policy: HttpPolicy = DEFAULT_POLICY) -> None:
        self.prefix = prefix
        self.policy = policy
        self._explicit_public = public_url is not None
        self.public_base = self._public_base(public_url)

    @classmethod
    @abstractmethod
    def from_url(cls, text: str, parts: urllib.parse.SplitResult,
                 options: DestinationOptions) -> Destination:
        """The destination a URL of this backend's scheme names (``parts`` is the URL
        split); raises InvalidDestination / PublicUrlError."""

    # -- identity and paths ---------------------------------------------------------------

    @abstractmethod
    def fs_path(self, relpath: str = "") -> str:
        """Path of ``relpath`` for the backend's fsspec filesystem."""

    def join(self, relpath: str = "") -> str:
        """Storage URL of ``relpath``: gs://BUCKET/PREFIX/REL, file:///ABS/REL, ..."""
        return f"{self.scheme}://{self.fs_path(relpath)}"

    @property
    def url(self) -> str:
        """The canonical destination URL (gs://b/p, file:///abs, memory://p)."""
        return self.join("")

    @property
    def root_name(self) -> str:
        """The last name of the root as URLs serving it show it (its folder's name;
        "" for a root without one)."""
        return posixpath.basename(self.prefix.rstrip("/")) if self.prefix else ""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} public={self.public_base}>"

    def relpath_of(self, url_or_path: str) -> str | None:
        """Inverse of `join` (also accepts fs paths): the relative path, or None when
        the location is not under this destination."""
        for base in (self.join(""), self.fs_path("")):
            base = base.rstrip("/")
            if url_or_path == base:
                return ""
            if url_or_path.startswith(base + "/"):
                return clean_rel(url_or_path[len(base) + 1:])
        return None

    # -- public URLs ----------------------------------------------------------------------

    def _default_public_base(self) -> str | None:
        """The public URL of the root when none is given (None: it must be given)."""
        return None

    def _public_base(self, public_url: str | None) -> str | None:
        if public_url:
            # percent-encoded first: what a user types with spaces or accents is a
            # valid URL once encoded (#11); what stays wrong is refused (#10)
            try:
                encoded = encode_url(public_url)
                problem = url_problem(encoded)
            except ValueError as err:          # e.g. brackets in a host name
                encoded, problem = public_url, str(err)
            parts = urllib.parse.urlsplit(encoded) if problem is None else None
            if parts is None or parts.query or parts.fragment:
                raise PublicUrlError(f"--public-url {public_url!r} must be an http(s) URL "
                                     "without credentials, query or fragment"
                                     + (f" ({problem})" if problem else ""))
            return encoded.rstrip("/")
        return self._default_public_base()

    def require_public_url(self) -> str:
        """The public base URL; raises PublicUrlError when there is none (local folders
        and memory:// need --public-url: the URL a web server serves the folder at)."""
        if not self.public_base:
            raise PublicUrlError(
                f"{self.url} has no public URL: a local folder is only public when a web "
                "server serves it; give that URL with --public-url")
        return self.public_base

    def public_url(self, relpath: str = "", group: bool = True) -> str:
        """Public https URL of ``relpath``; groups (multiscales) end with '/'."""
        base = self.require_public_url()
        rel = clean_rel(relpath)
        url = f"{base}/{quote_path(rel)}" if rel else base
        return url + "/" if group else url

    def relpath_of_public_url(self, url: str) -> str | None:
        """The relative path a public URL points at, or None when it is not under this
        destination's public base (e.g. published somewhere else)."""
        if not self.public_base:
            return None
        base = self.public_base
        for candidate in (base, urllib.parse.unquote(base)):
            if url.rstrip("/") == candidate:
                return ""
            if url.startswith(candidate + "/"):
                try:
                    return clean_rel(urllib.parse.unquote(url[len(candidate) + 1:]))
                except InvalidDestination:       # '..' leaves the destination: not ours
                    return None
        return None

    # -- objects --------------------------------------------------------------------------

    @abstractmethod
    def exists(self, relpath: str = "") -> bool:
        """Is there anything (object, file, folder, prefix) at ``relpath``?"""

    @abstractmethod
    def read_bytes(self, relpath: str) -> bytes | None:
        """The content of one object/file, or None when it does not exist."""

    @abstractmethod
    def write_bytes(self, relpath: str, data: bytes) -> None:
        """Create or overwrite one object/file (folders on the way are made)."""

    @abstractmethod
    def list_names(self, relpath: str = "") -> list[str]:
        """Names (not paths) directly under ``relpath``, files and folders, sorted; []
        when there is nothing."""

    @abstractmethod
    def usage(self, relpath: str = "") -> tuple[int, int]:
        """(bytes, objects) under ``relpath``."""

    def du(self, relpath: str = "") -> int:
        """Bytes stored under ``relpath``."""
        return self.usage(relpath)[0]

    def remove(self, relpath: str) -> bool:
        """Remove everything under ``relpath`` (recursive). Returns False when there was
        nothing. Refuses the destination root itself, and any tree holding an ownership
        record: copies are removed by their owners only (see ownership.py)."""
        rel = clean_rel(relpath)
        if not rel:
            raise InvalidDestination("refusing to remove the whole destination "
                                     f"{self.url}")
        with self.translate_errors("removing " + self.join(rel)):
            names = self.list_tree(rel)
            owned = [n for n in names if posixpath.basename(n) == OWNER_RECORD]
            if owned:
                raise InvalidDestination(
                    f"refusing to remove {self.join(rel)}: it holds a copy with an "
                    f"ownership record ({owned[0]}); only its owner removes it")
            self.delete_objects(names)
            return bool(names)

    def list_tree(self, relpath: str) -> list[str]:
        """Every object at or under ``relpath`` (relative paths, sorted)."""
        with self.translate_errors("listing " + self.join(relpath), write=False):
            return sorted(self._find(clean_rel(relpath)))

    def delete_objects(self, relpaths: list[str]) -> None:
        """Delete these objects (missing ones are no error)."""
        rels = [clean_rel(r) for r in relpaths]
        if any(not r for r in rels):
            raise InvalidDestination(f"refusing to remove the whole destination {self.url}")
        if rels:
            with self.translate_errors(f"removing {len(rels)} objects under {self.url}"):
                self._delete(rels)

    @abstractmethod
    def _find(self, rel: str) -> list[str]:
        """Relative paths of the objects at or under ``rel`` ([] when nothing)."""

    @abstractmethod
    def _delete(self, rels: list[str]) -> None:
        """Delete exactly these objects (relative paths; never the root)."""

    # -- exclusive and conditional writes ------------------------------------------------

    @abstractmethod
    def create_exclusive(self, relpath: str, data: bytes) -> str | None:
        """Create the object only if nothing is there, atomically: of racing creators
        exactly one succeeds. Its version, or None when the object exists."""

    @abstractmethod
    def read_versioned(self, relpath: str) -> Versioned | None:
        """The object's content and version, or None when it does not exist."""

    @abstractmethod
    def replace_if(self, relpath: str, data: bytes, version: str) -> str | None:
        """Overwrite the object only if it is still at ``version``: the new version, or
        None when it changed, vanished, or another writer won the race."""

    @abstractmethod
    def delete_if(self, relpath: str, version: str) -> bool:
        """Delete the object only if it is still at ``version``; False otherwise (of
        racing deleters of one version exactly one gets True)."""

    # -- Zarr -----------------------------------------------------------------------------

    @abstractmethod
    def zarr_store(self, relpath: str = "", read_only: bool = False) -> Store:
        """A zarr 3 store rooted at ``relpath``."""

    def held_zarr_store(self, relpath: str) -> Store:
        """A zarr store for writing at ``relpath`` while this run holds it (its claim and
        ownership record: nobody else writes there meanwhile). Object stores answer
        existence checks and listings there from what they know (`held_tree`)."""
        return self.zarr_store(relpath)

    @abstractmethod
    def list_groups(self, relpath: str = "", max_depth: int = 8,
                    sizes: bool = False) -> list[ZarrGroupInfo]:
        """OME-Zarr image groups (multiscales in zarr.json or .zattrs) under ``relpath``,
        sorted by path; with ``sizes``, their bytes and objects. Image groups and
        arrays are not descended into, so chunks are never listed."""

    # -- checks and errors ----------------------------------------------------------------

    @abstractmethod
    def preflight(self, check_public: bool = True, check_cors: bool = True,
                  check_ranges: bool = True) -> PreflightReport:
        """Check before converting anything: credentials, storage reachable, bucket (or
        parent folder) exists, writable (a small probe object is written and deleted
        under the prefix), and optionally that the public URL serves what we write
        (with ``check_ranges``, HTTP Range requests too: sharded data needs them) and
        that browsers may read it (CORS). Problems that stop us raise a
        DestinationError subclass; the others come back as warnings."""

    @abstractmethod
    def cors_warnings(self) -> list[str]:
        """Warnings about browser viewers that could not read the published images."""

    def translate_errors(self, what: str, write: bool = True) -> AbstractContextManager[None]:
        """Turn storage exceptions raised inside into one-line DestinationErrors
        (exceptions that are not about storage pass unchanged)."""
        return translating(what, write=write)
