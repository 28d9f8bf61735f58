"""Google credentials for gs:// destinations, resolved the Google way and explicitly
(gcsfs' own fallback chain ends in silent anonymous access, which turns a missing
credential into puzzling 401/403 errors later).

Order: anonymous when asked; a credentials file given as an option; the file named by
GOOGLE_APPLICATION_CREDENTIALS; anonymous when an emulator is in use
(STORAGE_EMULATOR_HOST or a non-Google endpoint); otherwise application default
credentials (gcloud ADC file, metadata server on Google Cloud).

Nothing here prints or logs a secret: messages name the file, never its content.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .errors import CredentialsError

__all__ = ["GcsCredentials", "resolve_gcs_credentials", "STORAGE_SCOPE",
           "is_google_endpoint", "emulator_endpoint"]

STORAGE_SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"
GOOGLE_STORAGE_HOSTS = ("storage.googleapis.com", "www.googleapis.com")


def emulator_endpoint() -> str | None:
    """The emulator endpoint from STORAGE_EMULATOR_HOST (http:// added), or None."""
    value = os.environ.get("STORAGE_EMULATOR_HOST", "").strip()
    if not value or value == "default":
        return None
    if not value.startswith(("http://", "https://")):
        value = "http://" + value
    return value.rstrip("/")


def is_google_endpoint(endpoint: str | None) -> bool:
    if not endpoint:
        return True
    from urllib.parse import urlsplit

    host = (urlsplit(endpoint).hostname or "").lower()
    return host in GOOGLE_STORAGE_HOSTS or host.endswith(".googleapis.com")


@dataclass
class GcsCredentials:
    """Resolved credentials: ``credentials`` is a google.auth object, or None for
    anonymous access; ``description`` says where they came from (safe to print)."""

    credentials: Any
    description: str

    @property
    def anonymous(self) -> bool:
        return self.credentials is None

    def gcsfs_token(self) -> Any:
        """gcsfs' ``token``: "anon", or the google.auth credentials object."""
        return "anon" if self.credentials is None else self.credentials

    def __repr__(self) -> str:                 # never show the credential object
        return f"<GcsCredentials {self.description}>"


def _load_file(path: str, origin: str) -> GcsCredentials:
    """Load a service account key or an authorized-user (gcloud ADC) file; other
    credential types (external accounts, impersonation) through google.auth."""
    import json
    import warnings

    import google.auth
    import google.auth.exceptions

    if not os.path.isfile(path):
        raise CredentialsError(f"credentials file {path} ({origin}) does not exist")
    if not os.access(path, os.R_OK):
        raise CredentialsError(f"credentials file {path} ({origin}) is not readable")
    invalid = CredentialsError(
        f"credentials file {path} ({origin}) is not a valid Google credentials file "
        "(service account key or authorized user JSON)")
    try:
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
        kind = info.get("type") if isinstance(info, dict) else None
        if kind == "service_account":
            from google.oauth2 import service_account
            creds = service_account.Credentials.from_service_account_info(
                info, scopes=[STORAGE_SCOPE])
        elif kind == "authorized_user":
            from google.oauth2 import credentials as user_credentials
            creds = user_credentials.Credentials.from_authorized_user_info(
                info, scopes=[STORAGE_SCOPE])
        elif kind:
            with warnings.catch_warnings():     # the user's own file, chosen explicitly
                warnings.simplefilter("ignore", DeprecationWarning)
                creds, _project = google.auth.load_credentials_from_file(
                    path, scopes=[STORAGE_SCOPE])
        else:
            raise invalid
    except CredentialsError:
        raise
    except (google.auth.exceptions.GoogleAuthError, ValueError, KeyError, TypeError,
            OSError):
        raise invalid from None
    who = getattr(creds, "service_account_email", None)
    kind = f"service account {who}" if who else "credentials"
    return GcsCredentials(creds, f"{kind} from {path}")


def resolve_gcs_credentials(credentials_file: str | None = None,
                            anonymous: bool | None = None,
                            endpoint_url: str | None = None) -> GcsCredentials:
    """Credentials for gs:// (see the module docstring for the order).
    Raises CredentialsError (one line) when none can be found."""
    if anonymous:
        return GcsCredentials(None, "anonymous")
    if credentials_file:
        return _load_file(os.path.expanduser(credentials_file), "--credentials")
    env_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if env_file:
        return _load_file(env_file, "GOOGLE_APPLICATION_CREDENTIALS")
    endpoint = endpoint_url or emulator_endpoint()
    if anonymous is None and endpoint and not is_google_endpoint(endpoint):
        return GcsCredentials(None, f"anonymous (emulator at {endpoint})")

    import google.auth
    import google.auth.exceptions

    try:
        creds, _project = google.auth.default(scopes=[STORAGE_SCOPE])
    except google.auth.exceptions.GoogleAuthError:
        raise CredentialsError(
            "no Google credentials found: run `gcloud auth application-default login`, "
            "set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or pass "
            "--credentials FILE") from None
    who = getattr(creds, "service_account_email", None)
    return GcsCredentials(creds, "application default credentials"
                          + (f" ({who})" if who and who != "default" else ""))
