"""Where converted images go: a local folder, gs://BUCKET/PREFIX or memory:// (tests).

`parse_destination()` gives a `Destination`: paths and URLs under it, a Zarr store for
the writer, existence / removal / listing of Zarr image groups, the public URL of each
group, preflight checks (bucket exists, writable, reachable, publicly readable) and the
CORS check. No OMERO here.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import posixpath
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Iterator, List, Optional

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")   # before gcsfs

import requests

from .cors import evaluate_cors
from .credentials import (GcsCredentials, emulator_endpoint, is_google_endpoint,
                          resolve_gcs_credentials)
from .errors import (CredentialsError, DestinationError, DestinationNotFound,
                     DestinationUnreachable, FetchDropped, FetchError, FetchTimeout,
                     FetchUnreachable, InvalidDestination, PublicUrlError,
                     ReadOnlyDestination, StorageWriteError)
from .http import DEFAULT_POLICY, HttpPolicy, request_with_retries

__all__ = ["Destination", "parse_destination", "ZarrGroupInfo", "PreflightReport",
           "storage_error", "GOOGLE_PUBLIC_BASE", "PROBE_PREFIX"]

GOOGLE_PUBLIC_BASE = "https://storage.googleapis.com"
GOOGLE_API_BASE = "https://storage.googleapis.com"
PROBE_PREFIX = ".omero-ngff-probe-"
_BUCKET_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _clean_rel(relpath) -> str:
    """A relative path under the destination: '/'-separated, no '.', no '..'."""
    rel = str(relpath or "").replace("\\", "/")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidDestination(f"path {relpath!r} leaves the destination")
    return "/".join(parts)


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def _quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/-._~")


def _check_bucket_name(name: str, dest: str) -> None:
    if not (3 <= len(name) <= 222) or not set(name) <= _BUCKET_CHARS \
            or not name[0].isalnum() or not name[-1].isalnum():
        raise InvalidDestination(f"{dest}: {name!r} is not a valid bucket name "
                                 "(lowercase letters, digits, - _ .)")


@dataclass
class ZarrGroupInfo:
    """An OME-Zarr image (multiscales) group found under a destination."""

    relpath: str                    # relative to the destination root
    url: str                        # storage URL (gs://..., file://..., memory://...)
    ngff_version: str               # "0.4", "0.5", ...
    zarr_format: int                # 2 or 3
    size: Optional[int] = None      # bytes under the group (when asked)
    objects: Optional[int] = None   # objects/files under the group (when asked)


@dataclass
class PreflightReport:
    """What preflight found besides errors (those are raised)."""

    destination: str
    credentials: str = ""
    warnings: List[str] = field(default_factory=list)
    cors: Optional[list] = None
    public_readable: Optional[bool] = None


class Destination:
    """A parsed destination. Build it with `parse_destination()`.

    ``scheme`` is "gs", "file" or "memory"; ``bucket`` is the bucket (gs only);
    ``prefix`` the key prefix within the bucket (gs), the absolute folder (file) or the
    path (memory). Relative paths given to the methods are '/'-separated and never
    leave the destination.
    """

    def __init__(self, scheme: str, root: str, bucket: Optional[str] = None,
                 public_url: Optional[str] = None, *, endpoint_url: Optional[str] = None,
                 credentials_file: Optional[str] = None, anonymous: Optional[bool] = None,
                 project: Optional[str] = None, policy: HttpPolicy = DEFAULT_POLICY):
        self.scheme = scheme
        self.bucket = bucket
        self.prefix = root
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        self.policy = policy
        self._credentials_file = credentials_file
        self._anonymous = anonymous
        self._project = project
        self._credentials: Optional[GcsCredentials] = None
        self._fs = None
        self._explicit_public = public_url is not None
        self.public_base = self._public_base(public_url)

    # -- identity -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The canonical destination URL (gs://b/p, file:///abs, memory://p)."""
        return self.join("")

    def __repr__(self) -> str:
        return f"<Destination {self.url} public={self.public_base}>"

    @property
    def endpoint(self) -> str:
        """The GCS endpoint in use (gs only)."""
        return self.endpoint_url or emulator_endpoint() or GOOGLE_API_BASE

    def fs_path(self, relpath: str = "") -> str:
        """Path of ``relpath`` for the fsspec filesystem ``self.fs``."""
        rel = _clean_rel(relpath)
        if self.scheme == "gs":
            return _join(self.bucket, self.prefix, rel)
        return posixpath.join(self.prefix, rel) if rel else self.prefix

    def join(self, relpath: str = "") -> str:
        """Storage URL of ``relpath``: gs://BUCKET/PREFIX/REL, file:///ABS/REL, memory://..."""
        if self.scheme == "gs":
            return "gs://" + self.fs_path(relpath)
        if self.scheme == "file":
            return "file://" + self.fs_path(relpath)
        return "memory://" + self.fs_path(relpath).lstrip("/")

    def relpath_of(self, url_or_path: str) -> Optional[str]:
        """Inverse of `join` (also accepts fs paths): the relative path, or None when
        the location is not under this destination."""
        for base in (self.join(""), self.fs_path("")):
            base = base.rstrip("/")
            if url_or_path == base:
                return ""
            if url_or_path.startswith(base + "/"):
                return _clean_rel(url_or_path[len(base) + 1:])
        return None

    # -- credentials and filesystems -----------------------------------------------------

    @property
    def credentials(self) -> Optional[GcsCredentials]:
        """Resolved on first use (gs only); raises CredentialsError."""
        if self.scheme != "gs":
            return None
        if self._credentials is None:
            self._credentials = resolve_gcs_credentials(
                self._credentials_file, self._anonymous, self.endpoint_url)
        return self._credentials

    def _gcsfs(self, asynchronous: bool = False):
        kwargs = dict(token=self.credentials.gcsfs_token(), skip_instance_cache=True,
                      asynchronous=asynchronous)
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        if self._project:
            kwargs["project"] = self._project
        return _gcsfs_class(asynchronous)(**kwargs)

    @property
    def fs(self):
        """A synchronous fsspec filesystem for this destination."""
        if self._fs is None:
            if self.scheme == "gs":
                self._fs = self._gcsfs()
            elif self.scheme == "file":
                from fsspec.implementations.local import LocalFileSystem
                self._fs = LocalFileSystem()
            else:
                from fsspec.implementations.memory import MemoryFileSystem
                self._fs = MemoryFileSystem()
        return self._fs

    def _fresh(self):
        fs = self.fs
        if hasattr(fs, "invalidate_cache"):
            fs.invalidate_cache()
        return fs

    def zarr_store(self, relpath: str = "", read_only: bool = False):
        """A zarr 3 store rooted at ``relpath``: LocalStore for folders, FsspecStore
        (async gcsfs / wrapped memory filesystem) otherwise."""
        import zarr.storage

        if self.scheme == "file":
            return zarr.storage.LocalStore(self.fs_path(relpath), read_only=read_only)
        if self.scheme == "gs":
            fs = self._gcsfs(asynchronous=True)
        else:
            from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper
            fs = AsyncFileSystemWrapper(self.fs, asynchronous=True)
        return zarr.storage.FsspecStore(fs, path=self.fs_path(relpath), read_only=read_only)

    # -- objects --------------------------------------------------------------------------

    def exists(self, relpath: str = "") -> bool:
        """Is there anything (object, file, folder, prefix) at ``relpath``?"""
        with self.translate_errors("checking " + self.join(relpath), write=False):
            return bool(self._fresh().exists(self.fs_path(relpath)))

    def read_bytes(self, relpath: str) -> Optional[bytes]:
        """The content of one object/file, or None when it does not exist."""
        with self.translate_errors("reading " + self.join(relpath), write=False):
            try:
                return self._fresh().cat_file(self.fs_path(relpath))
            except (FileNotFoundError, IsADirectoryError):
                return None

    def write_bytes(self, relpath: str, data: bytes) -> None:
        with self.translate_errors("writing " + self.join(relpath)):
            fs = self.fs
            if self.scheme == "file":
                fs.makedirs(posixpath.dirname(self.fs_path(relpath)), exist_ok=True)
            fs.pipe_file(self.fs_path(relpath), data)

    def remove(self, relpath: str) -> bool:
        """Remove everything under ``relpath`` (recursive). Returns False when there was
        nothing. Refuses the destination root itself."""
        rel = _clean_rel(relpath)
        if not rel:
            raise InvalidDestination("refusing to remove the whole destination "
                                     f"{self.url}")
        with self.translate_errors("removing " + self.join(rel)):
            fs = self._fresh()
            path = self.fs_path(rel)
            if not fs.exists(path):
                return False
            fs.rm(path, recursive=True)
            if hasattr(fs, "invalidate_cache"):
                fs.invalidate_cache()
            return True

    def list_names(self, relpath: str = "") -> List[str]:
        """Names (not paths) directly under ``relpath``, files and folders, sorted; []
        when there is nothing."""
        with self.translate_errors("listing " + self.join(relpath), write=False):
            try:
                entries = self._fresh().ls(self.fs_path(relpath), detail=False)
            except (FileNotFoundError, NotADirectoryError):
                return []
        return sorted({posixpath.basename(str(e).rstrip("/")) for e in entries})

    def usage(self, relpath: str = "") -> tuple:
        """(bytes, objects) under ``relpath``."""
        with self.translate_errors("measuring " + self.join(relpath), write=False):
            fs = self._fresh()
            path = self.fs_path(relpath)
            try:
                found = fs.find(path, detail=True)
            except FileNotFoundError:
                return (0, 0)
            files = [v for v in found.values() if v.get("type", "file") == "file"]
            return (sum(int(v.get("size") or 0) for v in files), len(files))

    def du(self, relpath: str = "") -> int:
        """Bytes stored under ``relpath``."""
        return self.usage(relpath)[0]

    def list_groups(self, relpath: str = "", max_depth: int = 8,
                    sizes: bool = False) -> List[ZarrGroupInfo]:
        """OME-Zarr image groups (multiscales in zarr.json or .zattrs) under ``relpath``,
        sorted. The walk lists one level at a time (delimiter listing) and does not
        descend into image groups or arrays, so chunks are never listed."""
        found: List[ZarrGroupInfo] = []
        with self.translate_errors("listing " + self.join(relpath), write=False):
            fs = self._fresh()
            self._walk(fs, self.fs_path(relpath), 0, max_depth, found)
        for info in found:
            if sizes:
                info.size, info.objects = self.usage(info.relpath)
        return sorted(found, key=lambda g: g.relpath)

    def _walk(self, fs, path: str, depth: int, max_depth: int, found: list) -> None:
        try:
            entries = fs.ls(path, detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return
        by_name = {posixpath.basename(e["name"].rstrip("/")): e for e in entries}
        if ".zarray" in by_name:
            return
        info = None
        if "zarr.json" in by_name:
            doc = self._load_json(fs, by_name["zarr.json"]["name"])
            if not isinstance(doc, dict) or doc.get("node_type") == "array":
                return
            ome = (doc.get("attributes") or {}).get("ome") or {}
            if ome.get("multiscales"):
                info = (str(ome.get("version") or "0.5"), 3)
        elif ".zattrs" in by_name:
            doc = self._load_json(fs, by_name[".zattrs"]["name"])
            ms = doc.get("multiscales") if isinstance(doc, dict) else None
            if ms:
                version = ms[0].get("version") if isinstance(ms[0], dict) else None
                info = (str(version or "0.4"), 2)
        if info:
            rel = self.relpath_of(path) or ""
            found.append(ZarrGroupInfo(rel, self.join(rel), info[0], info[1]))
            return
        if depth >= max_depth:
            return
        for entry in entries:
            if entry.get("type") == "directory":
                self._walk(fs, entry["name"].rstrip("/"), depth + 1, max_depth, found)

    @staticmethod
    def _load_json(fs, path: str):
        try:
            return json.loads(fs.cat_file(path))
        except (ValueError, FileNotFoundError):
            return None

    # -- public URLs ------------------------------------------------------------------------

    def _public_base(self, public_url: Optional[str]) -> Optional[str]:
        if public_url:
            parts = urllib.parse.urlsplit(public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc \
                    or parts.query or parts.fragment:
                raise PublicUrlError(f"--public-url {public_url!r} must be an http(s) URL "
                                     "without query or fragment")
            return public_url.rstrip("/")
        if self.scheme == "gs":
            endpoint = self.endpoint_url or emulator_endpoint()
            host = GOOGLE_PUBLIC_BASE if is_google_endpoint(endpoint) else endpoint
            base = f"{host.rstrip('/')}/{_quote(self.bucket)}"
            return f"{base}/{_quote(self.prefix)}" if self.prefix else base
        return None

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
        rel = _clean_rel(relpath)
        url = f"{base}/{_quote(rel)}" if rel else base
        return url + "/" if group else url

    def relpath_of_public_url(self, url: str) -> Optional[str]:
        """The relative path a public URL points at, or None when it is not under this
        destination's public base (e.g. published somewhere else)."""
        if not self.public_base:
            return None
        base = self.public_base
        for candidate in (base, urllib.parse.unquote(base)):
            if url.rstrip("/") == candidate:
                return ""
            if url.startswith(candidate + "/"):
                return _clean_rel(urllib.parse.unquote(url[len(candidate) + 1:]))
        return None

    # -- preflight --------------------------------------------------------------------------

    def http_session(self) -> requests.Session:
        """A requests session carrying this destination's credentials (gs), for JSON
        API calls of our own (e.g. conditional writes); plain for anonymous access."""
        return self._session()

    def _session(self) -> requests.Session:
        creds = self.credentials.credentials if self.scheme == "gs" else None
        if creds is None:
            return requests.Session()
        from google.auth.transport.requests import AuthorizedSession
        return AuthorizedSession(creds)

    def _api(self, session, method: str, path: str, what: str, **kwargs) -> requests.Response:
        url = self.endpoint + path
        try:
            return request_with_retries(method, url, session=session, policy=self.policy,
                                        **kwargs)
        except FetchUnreachable:
            raise DestinationUnreachable(f"{self.url}: storage service {self.endpoint} is "
                                         "unreachable (connection refused or name not "
                                         f"resolved) while {what}") from None
        except FetchTimeout:
            raise DestinationUnreachable(f"{self.url}: storage service {self.endpoint} did "
                                         f"not answer in time while {what}") from None
        except FetchDropped:
            raise DestinationUnreachable(f"{self.url}: connections to {self.endpoint} kept "
                                         f"dropping while {what}") from None
        except FetchError as exc:
            raise DestinationError(f"{self.url}: {what} failed: {exc}") from None
        except Exception as exc:                  # token refresh problems and the like
            import google.auth.exceptions as gexc
            if isinstance(exc, gexc.TransportError):
                raise DestinationUnreachable(f"{self.url}: cannot reach Google's token "
                                             "service to authenticate") from None
            if isinstance(exc, gexc.GoogleAuthError):
                raise CredentialsError(f"{self.url}: the credentials "
                                       f"({self.credentials.description}) could not be "
                                       "used to obtain an access token") from None
            raise

    def _status_error(self, response: requests.Response, what: str,
                      write: bool) -> DestinationError:
        status = response.status_code
        if status == 401:
            desc = self.credentials.description if self.credentials else "none"
            return CredentialsError(f"{self.url}: the storage service rejected the "
                                    f"credentials ({desc}) while {what} (HTTP 401)")
        if status == 403:
            if write:
                return ReadOnlyDestination(f"{self.url} is read-only for these credentials "
                                           f"(HTTP 403 while {what})")
            return ReadOnlyDestination(f"{self.url}: access denied (HTTP 403 while {what})")
        if status == 404:
            return DestinationNotFound(f"bucket {self.bucket} does not exist (HTTP 404 "
                                       f"while {what})")
        return DestinationError(f"{self.url}: storage service answered HTTP {status} "
                                f"while {what}")

    def bucket_metadata(self, session=None) -> Optional[dict]:
        """The bucket resource (gs only), or None when we may not read it (403)."""
        if self.scheme != "gs":
            return None
        session = session or self._session()
        what = f"reading bucket {self.bucket}"
        r = self._api(session, "GET", f"/storage/v1/b/{_quote(self.bucket)}", what)
        if r.status_code == 403:
            return None
        if r.status_code != 200:
            raise self._status_error(r, what, write=False)
        try:
            return r.json()
        except ValueError:
            raise DestinationError(f"{self.url}: the storage service sent invalid JSON "
                                   "for the bucket") from None

    def cors_warnings(self, bucket_meta: Optional[dict] = None) -> List[str]:
        """Warnings about browser viewers that could not read the published images."""
        if self.scheme == "memory":
            return []
        if self.scheme == "file":
            return [f"CORS of {self.url} depends on the web server serving "
                    f"{self.public_base or 'it'}: it must allow GET/HEAD with Range from "
                    "the viewers' origins (or *)"]
        meta = bucket_meta if bucket_meta is not None else self.bucket_metadata()
        if meta is None:
            return [f"could not read the CORS configuration of bucket {self.bucket} "
                    "(no storage.buckets.get permission): check it allows GET with "
                    "Range from the viewers' origins"]
        if "cors" not in meta and not is_google_endpoint(self.endpoint):
            return [f"CORS not checked: the storage endpoint {self.endpoint} reports no "
                    "CORS configuration (an emulator?)"]
        return evaluate_cors(meta.get("cors"), bucket=f"gs://{self.bucket}")

    def preflight(self, check_public: bool = True, check_cors: bool = True) -> PreflightReport:
        """Check before converting anything: credentials, storage reachable, bucket (or
        parent folder) exists, writable (a small probe object is written and deleted
        under the prefix), and optionally that the public URL serves what we write and
        that browsers may read it (CORS). Problems that stop us raise a
        DestinationError subclass; the others come back as warnings."""
        report = PreflightReport(self.url)
        probe = f"{PROBE_PREFIX}{uuid.uuid4().hex[:12]}"
        payload = b"omero-ngff preflight probe\n"
        if self.scheme == "gs":
            report.credentials = self.credentials.description
            session = self._session()
            meta = self.bucket_metadata(session)
            report.cors = meta.get("cors") if meta else None
            self._probe_gcs(session, probe, payload, report, check_public)
            if check_cors:
                report.warnings += self.cors_warnings(meta)
        else:
            self._probe_local(probe, payload, report, check_public)
            if check_cors and self._explicit_public:
                report.warnings += self.cors_warnings()
        return report

    def _probe_gcs(self, session, probe: str, payload: bytes, report: PreflightReport,
                   check_public: bool) -> None:
        name = _join(self.prefix, probe)
        what = f"writing a probe object to {self.url}"
        r = self._api(session, "POST", f"/upload/storage/v1/b/{_quote(self.bucket)}/o",
                      what, params={"uploadType": "media", "name": name}, data=payload,
                      headers={"Content-Type": "text/plain"})
        if r.status_code not in (200, 201):
            raise self._status_error(r, what, write=True)
        try:
            if check_public:
                self._check_public(probe, payload, report)
        finally:
            what = f"deleting the probe object from {self.url}"
            r = self._api(session, "DELETE",
                          f"/storage/v1/b/{_quote(self.bucket)}/o/{urllib.parse.quote(name, safe='')}",
                          what)
            if r.status_code == 403:
                report.warnings.append(
                    f"{self.url}: we may create but not delete objects (HTTP 403 deleting "
                    f"the probe {name}): replacing or removing old copies will fail")
            elif r.status_code not in (200, 204, 404):
                report.warnings.append(f"{self.url}: could not delete the probe object "
                                       f"{name} (HTTP {r.status_code})")

    def _probe_local(self, probe: str, payload: bytes, report: PreflightReport,
                     check_public: bool) -> None:
        if self.scheme == "file":
            root = self.prefix
            parent = os.path.dirname(root.rstrip("/")) or "/"
            if not os.path.isdir(root):
                if not os.path.isdir(parent):
                    raise DestinationNotFound(f"{self.url}: the parent folder {parent} "
                                              "does not exist")
                try:
                    os.makedirs(root, exist_ok=True)
                except PermissionError:
                    raise ReadOnlyDestination(f"{self.url}: cannot create the folder "
                                              "(permission denied)") from None
        self.write_bytes(probe, payload)
        try:
            if check_public and self._explicit_public:
                self._check_public(probe, payload, report)
        finally:
            with self.translate_errors("removing the probe from " + self.url):
                self.fs.rm(self.fs_path(probe))

    def _check_public(self, probe: str, payload: bytes, report: PreflightReport) -> None:
        """GET the probe through the public URL, anonymously, as a viewer would."""
        url = self.public_url(probe, group=False)
        try:
            r = request_with_retries("GET", url, policy=self.policy)
        except FetchError as exc:
            report.public_readable = False
            report.warnings.append(f"the public URL {self.public_base} could not be read "
                                   f"({exc.kind}): {exc}")
            return
        if r.status_code == 200 and r.content == payload:
            report.public_readable = True
            return
        report.public_readable = False
        if r.status_code in (401, 403):
            report.warnings.append(f"{self.public_base} is not publicly readable (HTTP "
                                   f"{r.status_code} for an object we wrote): viewers and "
                                   "the published URLs will fail")
        elif r.status_code == 404:
            report.warnings.append(f"--public-url {self.public_base} does not serve "
                                   f"{self.url} (HTTP 404 for an object we wrote there)")
        else:
            report.warnings.append(f"{self.public_base}: unexpected answer HTTP "
                                   f"{r.status_code} for an object we wrote")

    # -- error translation ----------------------------------------------------------------

    @contextlib.contextmanager
    def translate_errors(self, what: str, write: bool = True) -> Iterator[None]:
        """Turn storage exceptions raised inside into one-line DestinationErrors
        (exceptions that are not about storage pass unchanged)."""
        try:
            yield
        except DestinationError:
            raise
        except Exception as exc:
            err = storage_error(exc, what, write=write)
            if err is None:
                raise
            raise err from exc


_GCSFS_CLASSES = {}


def _on_loop_thread(loop) -> bool:
    import asyncio

    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _gcsfs_class(asynchronous: bool):
    """The plain gcsfs class (never the HNS/zonal one); for zarr (asynchronous) a
    subclass that closes its HTTP session on zarr's event loop, where it was opened -
    gcsfs would try fsspec's loop and print an error when the store is collected."""
    if asynchronous not in _GCSFS_CLASSES:
        from gcsfs.core import GCSFileSystem

        if not asynchronous:
            _GCSFS_CLASSES[False] = GCSFileSystem
        else:
            import asyncio

            class ZarrLoopGCSFileSystem(GCSFileSystem):
                @staticmethod
                def close_session(loop, session, asynchronous=False):
                    if session is None or session.closed:
                        return
                    try:
                        from zarr.core.sync import loop as zarr_loop
                        zloop = zarr_loop[0]
                    except ImportError:                # pragma: no cover
                        zloop = None
                    if zloop is not None and zloop.is_running() and not zloop.is_closed():
                        closing = asyncio.run_coroutine_threadsafe(session.close(), zloop)
                        if not _on_loop_thread(zloop):
                            # wait: at interpreter exit the loop's thread dies next, and
                            # a pending close would be reported as destroyed
                            try:
                                closing.result(timeout=2)
                            except Exception:  # noqa: BLE001 - closing is best effort
                                pass
                        return
                    connector = getattr(session, "_connector", None)
                    if connector is not None:
                        connector._close()

            _GCSFS_CLASSES[True] = ZarrLoopGCSFileSystem
    return _GCSFS_CLASSES[asynchronous]


def storage_error(exc: BaseException, what: str, write: bool = True) -> Optional[DestinationError]:
    """The DestinationError for a storage exception (gcsfs, aiohttp, OS), or None when
    ``exc`` is not about storage. ``what`` says what we were doing (one line)."""
    try:
        import aiohttp
        aio = aiohttp.client_exceptions
    except ImportError:                              # pragma: no cover
        aio = None
    try:
        from gcsfs.retry import HttpError
    except ImportError:                              # pragma: no cover
        HttpError = ()
    import asyncio

    if aio is not None:
        if isinstance(exc, aio.ClientConnectorError):
            return DestinationUnreachable(f"{what}: storage service unreachable "
                                          "(connection refused or name not resolved)")
        if isinstance(exc, (aio.ServerDisconnectedError, aio.ClientPayloadError,
                            aio.ClientOSError)):
            return StorageWriteError(f"{what}: connection kept dropping (gave up after "
                                     "retries)")
        if isinstance(exc, aio.ClientError):
            return StorageWriteError(f"{what}: {type(exc).__name__}")
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return DestinationUnreachable(f"{what}: the storage service did not answer in time")
    if HttpError and isinstance(exc, HttpError):
        code = getattr(exc, "code", None)
        if code == 401:
            return CredentialsError(f"{what}: credentials rejected (HTTP 401)")
        return StorageWriteError(f"{what}: storage service answered HTTP {code} "
                                 "(gave up after retries)")
    if isinstance(exc, requests.exceptions.ProxyError):   # gcsfs' form of HTTP 502
        return StorageWriteError(f"{what}: storage service answered HTTP 502 (gave up "
                                 "after retries)")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return DestinationUnreachable(f"{what}: storage service unreachable")
    if isinstance(exc, PermissionError) or (isinstance(exc, OSError)
                                            and str(exc).startswith("Forbidden")):
        return ReadOnlyDestination(f"{what}: permission denied"
                                   + (" (HTTP 403: read-only?)" if not isinstance(
                                       exc, PermissionError) else ""))
    if isinstance(exc, FileNotFoundError):
        if write:
            return DestinationNotFound(f"{what}: not found (missing bucket or folder)")
        return None
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageWriteError(f"{what}: no space left")
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return ReadOnlyDestination(f"{what}: read-only file system")
    return None


def parse_destination(dest: str, public_url: Optional[str] = None, *,
                      credentials_file: Optional[str] = None,
                      anonymous: Optional[bool] = None,
                      endpoint_url: Optional[str] = None, project: Optional[str] = None,
                      policy: HttpPolicy = DEFAULT_POLICY) -> Destination:
    """Parse a destination: a local folder (path or file://), gs://BUCKET[/PREFIX] or
    memory://PATH. Credentials are resolved lazily (first storage access or preflight),
    so URL mapping works without them. Raises InvalidDestination / PublicUrlError."""
    if dest is None or not str(dest).strip():
        raise InvalidDestination("no destination given")
    dest = str(dest).strip()
    parts = urllib.parse.urlsplit(dest)
    scheme = parts.scheme.lower()
    if len(scheme) == 1 and os.name == "nt":         # C:\... on Windows
        scheme = ""
    common = dict(public_url=public_url, endpoint_url=endpoint_url,
                  credentials_file=credentials_file, anonymous=anonymous, project=project,
                  policy=policy)
    if scheme == "gs":
        bucket = parts.netloc
        if not bucket:
            raise InvalidDestination(f"{dest}: no bucket (expected gs://BUCKET/PREFIX)")
        _check_bucket_name(bucket, dest)
        if parts.query or parts.fragment:
            raise InvalidDestination(f"{dest}: a destination has no query or fragment")
        return Destination("gs", _clean_rel(urllib.parse.unquote(parts.path)), bucket,
                           **common)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise InvalidDestination(f"{dest}: file:// URLs name a local path "
                                     "(file:///abs/path)")
        path = urllib.parse.unquote(parts.path)
        return Destination("file", os.path.abspath(path), **common)
    if scheme == "memory":
        path = "/" + _clean_rel(parts.netloc + parts.path)
        return Destination("memory", path.rstrip("/") or "/", **common)
    if scheme:
        raise InvalidDestination(f"{dest}: unsupported destination (use a folder, "
                                 "gs://BUCKET/PREFIX or memory://)")
    return Destination("file", os.path.abspath(os.path.expanduser(dest)), **common)
