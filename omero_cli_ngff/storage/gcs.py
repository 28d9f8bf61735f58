"""gs://BUCKET/PREFIX: Google Cloud Storage (or an emulator at STORAGE_EMULATOR_HOST /
an endpoint URL). Data go through gcsfs; what gcsfs does not offer - preconditions on
generations, bucket metadata, a preflight that tells 403 from 404 - through the JSON
API (`GcsApi`). Exclusive creation is an upload with ``ifGenerationMatch=0``;
conditional replace and delete carry ``ifGenerationMatch=<generation>``, checked by
the service. Credentials are resolved on first use, so URL mapping works without."""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from .base import DestinationOptions, Versioned
from .cors import evaluate_cors
from .credentials import (
    GcsCredentials,
    emulator_endpoint,
    is_google_endpoint,
    resolve_gcs_credentials,
)
from .errors import InvalidDestination
from .fsspec_backed import FileSystem, FsspecDestination
from .gcs_api import PRECONDITION_FAILED, GcsApi
from .gcsfs_classes import gcsfs_class
from .http import DEFAULT_POLICY, HttpPolicy
from .paths import clean_rel, join_parts, quote_path
from .preflight import PROBE_PAYLOAD, PreflightReport, new_probe_name, read_probe_publicly

if TYPE_CHECKING:
    import requests
    from zarr.storage import FsspecStore

    from .held_tree import HeldTreeStore

__all__ = ["GcsDestination", "GOOGLE_PUBLIC_BASE", "GOOGLE_API_BASE"]

GOOGLE_PUBLIC_BASE = "https://storage.googleapis.com"
GOOGLE_API_BASE = "https://storage.googleapis.com"
_BUCKET_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _check_bucket_name(name: str, dest: str) -> None:
    if not (3 <= len(name) <= 222) or not set(name) <= _BUCKET_CHARS \
            or not name[0].isalnum() or not name[-1].isalnum():
        raise InvalidDestination(f"{dest}: {name!r} is not a valid bucket name "
                                 "(lowercase letters, digits, - _ .)")


class GcsDestination(FsspecDestination):
    """``bucket`` and ``prefix`` (the key prefix within the bucket, '' for its root)."""

    scheme = "gs"
    supports_generations = True
    bucket: str

    def __init__(self, bucket: str, prefix: str, public_url: str | None = None, *,
                 endpoint_url: str | None = None, credentials_file: str | None = None,
                 anonymous: bool | None = None, project: str | None = None,
                 policy: HttpPolicy = DEFAULT_POLICY) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        self._credentials_file = credentials_file
        self._anonymous = anonymous
        self._project = project
        self._credentials: GcsCredentials | None = None
        self._api: GcsApi | None = None
        super().__init__(prefix, public_url, policy=policy)

    @classmethod
    def from_url(cls, text: str, parts: urllib.parse.SplitResult,
                 options: DestinationOptions) -> GcsDestination:
        bucket = parts.netloc
        if not bucket:
            raise InvalidDestination(f"{text}: no bucket (expected gs://BUCKET/PREFIX)")
        _check_bucket_name(bucket, text)
        if parts.query or parts.fragment:
            raise InvalidDestination(f"{text}: a destination has no query or fragment")
        # object names are exactly what the user wrote: never percent-decoded
        return cls(bucket, clean_rel(parts.path), options.public_url,
                   endpoint_url=options.endpoint_url,
                   credentials_file=options.credentials_file, anonymous=options.anonymous,
                   project=options.project, policy=options.policy)

    # -- identity, paths and URLs ---------------------------------------------------------

    def fs_path(self, relpath: str = "") -> str:
        return join_parts(self.bucket, self.prefix, clean_rel(relpath))

    def object_name(self, relpath: str = "") -> str:
        """The name of the object at ``relpath`` within the bucket."""
        return join_parts(self.prefix, clean_rel(relpath))

    @property
    def root_name(self) -> str:
        # a bucket's root is served at .../BUCKET/
        return super().root_name or self.bucket

    @property
    def endpoint(self) -> str:
        """The GCS endpoint in use."""
        return self.endpoint_url or emulator_endpoint() or GOOGLE_API_BASE

    def _default_public_base(self) -> str:
        endpoint = self.endpoint_url or emulator_endpoint()
        host = GOOGLE_PUBLIC_BASE if is_google_endpoint(endpoint) or not endpoint \
            else endpoint
        base = f"{host.rstrip('/')}/{quote_path(self.bucket)}"
        return f"{base}/{quote_path(self.prefix)}" if self.prefix else base

    # -- credentials, filesystems and the JSON API ----------------------------------------

    @property
    def credentials(self) -> GcsCredentials:
        """Resolved on first use; raises CredentialsError."""
        if self._credentials is None:
            self._credentials = resolve_gcs_credentials(
                self._credentials_file, self._anonymous, self.endpoint_url)
        return self._credentials

    @property
    def api(self) -> GcsApi:
        if self._api is None:
            self._api = GcsApi(self.url, self.bucket, self.endpoint, self.policy,
                               lambda: self.credentials)
        return self._api

    def http_session(self) -> requests.Session:
        """A requests session carrying this destination's credentials, for JSON API
        calls of our own; plain for anonymous access."""
        return self.api.new_session()

    def _gcsfs(self, asynchronous: bool = False, notifying: bool = False) -> FileSystem:
        kwargs: dict[str, Any] = dict(token=self.credentials.gcsfs_token(),
                                      skip_instance_cache=True, asynchronous=asynchronous)
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        if self._project:
            kwargs["project"] = self._project
        return gcsfs_class(asynchronous, notifying)(**kwargs)

    def _make_fs(self) -> FileSystem:
        return self._gcsfs()

    def zarr_store(self, relpath: str = "", read_only: bool = False) -> FsspecStore:
        from zarr.storage import FsspecStore
        return FsspecStore(self._gcsfs(asynchronous=True), path=self.fs_path(relpath),
                           read_only=read_only)

    def held_zarr_store(self, relpath: str) -> HeldTreeStore:
        from zarr.storage import FsspecStore

        from .held_tree import HeldTreeStore

        fs = self._gcsfs(asynchronous=True, notifying=True)
        return HeldTreeStore(FsspecStore(fs, path=self.fs_path(relpath)))

    # -- exclusive and conditional writes ------------------------------------------------

    def create_exclusive(self, relpath: str, data: bytes) -> str | None:
        return self.api.upload(self.object_name(relpath), data,
                               "creating " + self.join(relpath), if_generation="0")

    def read_versioned(self, relpath: str) -> Versioned | None:
        name, what = self.object_name(relpath), "reading " + self.join(relpath)
        meta = self.api.metadata(name, what)
        if meta is None:
            return None
        generation = str(meta.get("generation") or "")
        data = self.api.media(name, generation, what)    # that generation, or None
        return None if data is None else Versioned(data, generation)

    def replace_if(self, relpath: str, data: bytes, version: str) -> str | None:
        return self.api.upload(self.object_name(relpath), data,
                               "replacing " + self.join(relpath), if_generation=version)

    def delete_if(self, relpath: str, version: str) -> bool:
        name, what = self.object_name(relpath), "deleting " + self.join(relpath)
        # GCS checks ifGenerationMatch on DELETE; fake-gcs-server ignores it (its
        # deleteObject reads no precondition), so the generation is compared first too
        meta = self.api.metadata(name, what)
        if meta is None or str(meta.get("generation") or "") != version:
            return False
        r = self.api.delete(name, what, if_generation=version)
        if r.status_code in (404, PRECONDITION_FAILED):
            return False
        if r.status_code not in (200, 204):
            raise self.api.status_error(r, what, write=True)
        return True

    # -- checks ---------------------------------------------------------------------------

    def bucket_metadata(self) -> dict[str, Any] | None:
        """The bucket resource, or None when we may not read it (403)."""
        return self.api.bucket_metadata()

    def cors_warnings(self, bucket_meta: dict[str, Any] | None = None) -> list[str]:
        meta = bucket_meta if bucket_meta is not None else self.bucket_metadata()
        if meta is None:
            return [f"could not read the CORS configuration of bucket {self.bucket} "
                    "(no storage.buckets.get permission): check it allows GET with "
                    "Range from the viewers' origins"]
        if "cors" not in meta and not is_google_endpoint(self.endpoint):
            return [f"CORS not checked: the storage endpoint {self.endpoint} reports no "
                    "CORS configuration (an emulator?)"]
        return evaluate_cors(meta.get("cors"), bucket=f"gs://{self.bucket}")

    def preflight(self, check_public: bool = True, check_cors: bool = True,
                  check_ranges: bool = True) -> PreflightReport:
        # through the JSON API, whose statuses tell a missing bucket from a read-only one
        report = PreflightReport(self.url)
        report.credentials = self.credentials.description
        meta = self.bucket_metadata()
        report.cors = meta.get("cors") if meta else None
        self._probe(new_probe_name(), report, check_public, check_ranges)
        if check_cors:
            report.warnings += self.cors_warnings(meta)
        return report

    def _probe(self, probe: str, report: PreflightReport, check_public: bool,
               check_ranges: bool = True) -> None:
        """Write a probe object, read it through the public URL, delete it."""
        name = join_parts(self.prefix, probe)
        self.api.upload(name, PROBE_PAYLOAD, f"writing a probe object to {self.url}")
        try:
            if check_public:
                read_probe_publicly(self.public_url(probe, group=False), self.public_base,
                                    report, self.policy, ranges=check_ranges)
        finally:
            r = self.api.delete(name, f"deleting the probe object from {self.url}")
            if r.status_code == 403:
                report.warnings.append(
                    f"{self.url}: we may create but not delete objects (HTTP 403 deleting "
                    f"the probe {name}): replacing or removing old copies will fail")
            elif r.status_code not in (200, 204, 404):
                report.warnings.append(f"{self.url}: could not delete the probe object "
                                       f"{name} (HTTP {r.status_code})")
