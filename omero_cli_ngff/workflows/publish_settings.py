"""Where `publish` writes and which namespace it annotates in: the command line's values,
else the defaults OMERO keeps (`omero.client.ngff.*` in the server's client
configuration, then in the local OMERO installation's), else the built-in namespace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..errors import UsageError
from ..model.annotation import DEFAULT_NAMESPACE
from ..omero_io.config import client_config, local_config

CONFIG_PREFIX = "omero.client.ngff."
CONFIG_KEYS = ("dest", "public_url", "namespace")


@dataclass
class Settings:
    dest: str
    public_url: Optional[str]
    namespace: str
    source: str = "command line"


def resolve_settings(conn: Callable[[], Any], dest: Optional[str],
                     public_url: Optional[str], namespace: Optional[str]) -> Settings:
    """The values given, completed from the configured defaults (`conn` gives the
    connection, asked for only when a value is missing); no destination: usage error."""
    given = {"dest": dest, "public_url": public_url, "namespace": namespace}
    configured = _configured(conn) if any(v is None for v in given.values()) else {}
    chosen_dest = dest or configured.get("dest")
    if not chosen_dest:
        raise UsageError("no destination: give --dest gs://BUCKET/PREFIX, or set a "
                         f"default with `omero config set {CONFIG_PREFIX}dest ...`")
    public = public_url
    if public is None and configured.get("public_url") and (
            dest is None or dest.rstrip("/") == (configured.get("dest") or "").rstrip("/")):
        public = configured["public_url"]      # only with the destination it belongs to
    chosen_ns = namespace or configured.get("namespace") or DEFAULT_NAMESPACE
    return Settings(chosen_dest, public, chosen_ns,
                    "command line" if dest else "configuration")


def _configured(conn: Callable[[], Any]) -> dict[str, str]:
    configured: dict[str, str] = {}
    for source in (client_config(conn()), local_config()):
        for key in CONFIG_KEYS:
            value = source.get(CONFIG_PREFIX + key) or source.get(
                CONFIG_PREFIX + key.replace("_", "-"))
            if value and key not in configured:
                configured[key] = str(value).strip()
    return configured
