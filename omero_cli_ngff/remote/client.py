"""The Batch API client, and its errors turned into one-line RemoteErrors."""

from __future__ import annotations

import re
import urllib.parse

from .errors import JobRefused, RemoteCredentialsError, RemoteError, RemoteUnavailable

__all__ = ["make_batch_client", "api_error", "CLOUD_PLATFORM_SCOPE"]

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def make_batch_client(api_endpoint: str | None = None, credentials=None):
    """A BatchServiceClient over REST. A non-Google endpoint (a local stub) gets
    anonymous credentials; otherwise application default credentials."""
    from google.api_core.client_options import ClientOptions
    from google.cloud import batch_v1

    if credentials is None:
        host = urllib.parse.urlsplit(api_endpoint or "").hostname or ""
        if api_endpoint and not host.endswith("googleapis.com"):
            from google.auth.credentials import AnonymousCredentials
            credentials = AnonymousCredentials()
        else:
            import google.auth
            import google.auth.exceptions
            try:
                credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
            except google.auth.exceptions.GoogleAuthError:
                raise RemoteCredentialsError(
                    "no Google credentials for the Batch API: run `gcloud auth "
                    "application-default login` or set GOOGLE_APPLICATION_CREDENTIALS"
                ) from None
    options = ClientOptions(api_endpoint=api_endpoint) if api_endpoint else None
    return batch_v1.BatchServiceClient(transport="rest", credentials=credentials,
                                       client_options=options)


def _api_message(exc) -> str:
    """The API's own message, without the "POST http://...: " prefix of REST errors."""
    msg = getattr(exc, "message", "") or str(exc)
    return re.sub(r"^(GET|POST|DELETE|PATCH|PUT) \S+: ", "", str(msg))


def api_error(exc: Exception, what: str) -> RemoteError:
    """One-line RemoteError for a google.api_core error. The REST transport maps HTTP
    statuses (Unauthorized, Forbidden, Conflict), gRPC the codes (Unauthenticated,
    PermissionDenied, AlreadyExists, subclasses of those): catch the HTTP ones."""
    from google.api_core import exceptions as gexc
    if isinstance(exc, gexc.Unauthorized):
        return RemoteCredentialsError(f"{what}: the Batch API rejected the credentials")
    if isinstance(exc, gexc.Forbidden):
        return JobRefused(f"{what}: permission denied by the Batch API "
                          f"({_api_message(exc)})")
    if isinstance(exc, (gexc.ServiceUnavailable, gexc.DeadlineExceeded,
                        gexc.InternalServerError, gexc.GatewayTimeout)):
        return RemoteUnavailable(f"{what}: the Batch API is unavailable "
                                 f"({exc.__class__.__name__})")
    if isinstance(exc, gexc.GoogleAPICallError):
        return JobRefused(f"{what}: {exc.__class__.__name__}: {_api_message(exc)}")
    if isinstance(exc, gexc.RetryError):
        return RemoteUnavailable(f"{what}: the Batch API kept failing")
    import requests
    if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError)):
        return RemoteUnavailable(f"{what}: the Batch API endpoint is unreachable")
    return RemoteError(f"{what}: {exc.__class__.__name__}: {exc}")
