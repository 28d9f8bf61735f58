"""The GCS JSON API calls gcsfs does not make for us: bucket metadata (CORS), uploads
and deletes with generation preconditions, object metadata. Bounded retries
(`request_with_retries`) and answers sorted into DestinationErrors."""

from __future__ import annotations

import json
import mimetypes
import urllib.parse
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:       # imported with the first request (http.py says why)
    import requests

from .credentials import GcsCredentials
from .errors import (
    CredentialsError,
    DestinationError,
    DestinationNotFound,
    DestinationUnreachable,
    FetchDropped,
    FetchError,
    FetchTimeout,
    FetchUnreachable,
    ReadOnlyDestination,
)
from .http import HttpPolicy, request_with_retries

__all__ = ["GcsApi", "PRECONDITION_FAILED"]

PRECONDITION_FAILED = 412


def _q(name: str) -> str:
    return urllib.parse.quote(name, safe="")


class GcsApi:
    """JSON API requests for one bucket, made as ``credentials()`` allows (resolved on
    first use); ``where`` names the destination in messages."""

    def __init__(self, where: str, bucket: str, endpoint: str, policy: HttpPolicy,
                 credentials: Callable[[], GcsCredentials]) -> None:
        self.where = where
        self.bucket = bucket
        self.endpoint = endpoint
        self.policy = policy
        self._credentials = credentials
        self._session: requests.Session | None = None

    def new_session(self) -> requests.Session:
        """A requests session carrying the credentials; plain for anonymous access."""
        import requests

        creds = self._credentials().credentials
        if creds is None:
            return requests.Session()
        from google.auth.transport.requests import AuthorizedSession
        return AuthorizedSession(creds)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = self.new_session()
        return self._session

    def request(self, method: str, path: str, what: str, **kwargs: Any) -> requests.Response:
        """One exchange (any status comes back); no answer at all raises."""
        try:
            return request_with_retries(method, self.endpoint + path, session=self.session,
                                        policy=self.policy, **kwargs)
        except FetchUnreachable:
            raise DestinationUnreachable(f"{self.where}: storage service {self.endpoint} is "
                                         "unreachable (connection refused or name not "
                                         f"resolved) while {what}") from None
        except FetchTimeout:
            raise DestinationUnreachable(f"{self.where}: storage service {self.endpoint} did "
                                         f"not answer in time while {what}") from None
        except FetchDropped:
            raise DestinationUnreachable(f"{self.where}: connections to {self.endpoint} kept "
                                         f"dropping while {what}") from None
        except FetchError as exc:
            raise DestinationError(f"{self.where}: {what} failed: {exc}") from None
        except Exception as exc:                  # token refresh problems and the like
            err = self._auth_error(exc)
            if err is None:
                raise
            raise err from None

    def _auth_error(self, exc: Exception) -> DestinationError | None:
        import google.auth.exceptions as gexc
        if isinstance(exc, gexc.TransportError):
            return DestinationUnreachable(f"{self.where}: cannot reach Google's token "
                                          "service to authenticate")
        if isinstance(exc, gexc.GoogleAuthError):
            return CredentialsError(f"{self.where}: the credentials "
                                    f"({self._credentials().description}) could not be "
                                    "used to obtain an access token")
        return None

    def status_error(self, response: requests.Response, what: str,
                     write: bool) -> DestinationError:
        """The error an unexpected status means."""
        status = response.status_code
        if status == 401:
            return CredentialsError(f"{self.where}: the storage service rejected the "
                                    f"credentials ({self._credentials().description}) "
                                    f"while {what} (HTTP 401)")
        if status == 403:
            if write:
                return ReadOnlyDestination(f"{self.where} is read-only for these "
                                           f"credentials (HTTP 403 while {what})")
            return ReadOnlyDestination(f"{self.where}: access denied (HTTP 403 while {what})")
        if status == 404:
            return DestinationNotFound(f"bucket {self.bucket} does not exist (HTTP 404 "
                                       f"while {what})")
        return DestinationError(f"{self.where}: storage service answered HTTP {status} "
                                f"while {what}")

    # -- the bucket -----------------------------------------------------------------------

    def bucket_metadata(self) -> dict[str, Any] | None:
        """The bucket resource, or None when we may not read it (403)."""
        what = f"reading bucket {self.bucket}"
        r = self.request("GET", f"/storage/v1/b/{_q(self.bucket)}", what)
        if r.status_code == 403:
            return None
        if r.status_code != 200:
            raise self.status_error(r, what, write=False)
        try:
            meta: dict[str, Any] = r.json()
        except ValueError:
            raise DestinationError(f"{self.where}: the storage service sent invalid JSON "
                                   "for the bucket") from None
        return meta

    # -- objects --------------------------------------------------------------------------

    def upload(self, name: str, data: bytes, what: str,
               if_generation: str | None = None) -> str | None:
        """Write object ``name`` (a multipart upload: the emulator honours preconditions
        there too), only if its generation is ``if_generation`` ("0": absent) when
        given. The new generation, or None when the precondition failed."""
        boundary = "omero-ngff-" + uuid.uuid4().hex
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        meta = json.dumps({"name": name, "contentType": kind})
        body = (f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
                f"{meta}\r\n--{boundary}\r\nContent-Type: {kind}\r\n\r\n"
                ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        params = {"uploadType": "multipart"}
        if if_generation is not None:
            params["ifGenerationMatch"] = if_generation
        r = self.request("POST", f"/upload/storage/v1/b/{_q(self.bucket)}/o", what,
                         params=params, data=body,
                         headers={"Content-Type": f"multipart/related; boundary={boundary}"})
        if r.status_code == PRECONDITION_FAILED:
            return None
        if r.status_code not in (200, 201):
            raise self.status_error(r, what, write=True)
        return _generation_of(r)

    def metadata(self, name: str, what: str) -> dict[str, Any] | None:
        """Object ``name``'s resource, or None when it does not exist."""
        r = self.request("GET", f"/storage/v1/b/{_q(self.bucket)}/o/{_q(name)}", what)
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise self.status_error(r, what, write=False)
        meta: dict[str, Any] = r.json()
        return meta

    def media(self, name: str, generation: str | None, what: str) -> bytes | None:
        """The content of object ``name`` (of that generation when given); None when it
        is gone."""
        params = {"alt": "media"}
        if generation:
            params["generation"] = generation
        r = self.request("GET", f"/storage/v1/b/{_q(self.bucket)}/o/{_q(name)}", what,
                         params=params)
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise self.status_error(r, what, write=False)
        return r.content

    def delete(self, name: str, what: str,
               if_generation: str | None = None) -> requests.Response:
        """DELETE object ``name`` (only at ``if_generation`` when given); the answer."""
        params = {"ifGenerationMatch": if_generation} if if_generation else {}
        return self.request("DELETE", f"/storage/v1/b/{_q(self.bucket)}/o/{_q(name)}",
                            what, params=params)


def _generation_of(response: requests.Response) -> str:
    try:
        return str(response.json().get("generation") or "")
    except ValueError:
        return ""
