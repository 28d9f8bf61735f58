"""Where `publish` writes and which namespace it annotates in: the command line's values,
completed from the defaults, in this order (the first source that has a value wins):

1. the command line (``--dest``, ``--public-url``, ``--namespace``, ``--batch-image``);
2. the local defaults file: ``$OMERO_NGFF_DEFAULTS``, else ``ngff-defaults.ini`` in the
   OMERO user folder (``$OMERO_USERDIR``, else ``~/omero``), section ``[defaults]``;
3. the defaults of the session's OMERO group: a Key-Value annotation in the namespace
   ``jax.org/omero-cli-ngff/defaults`` on the group, kept by a group owner or an admin
   (omero_io.config: readable by the members of a group whose permissions let them
   read the owner's data);
4. the server's configuration, ``omero.client.ngff.*`` (``omero config set``): OMERO
   answers these undeclared keys to admins only;
5. the local OMERO installation's configuration (OMERODIR), the same keys;
6. built in: the namespace ``jax.org/public/zarr``.

A public URL is taken only from a source whose destination is the one chosen.

The server-side sources (3 and 4) are consulted only when enabled: ``server_defaults =
yes`` in the local defaults file, or ``OMERO_NGFF_SERVER_DEFAULTS=1``. Without them, a
missing destination is a usage error found before any login.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..model.annotation import DEFAULT_NAMESPACE
from ..omero_io.config import GROUP_DEFAULTS_NS, group_defaults, local_config, server_values

CONFIG_PREFIX = "omero.client.ngff."
CONFIG_KEYS = ("dest", "public_url", "namespace", "batch_image")
DEFAULTS_ENV = "OMERO_NGFF_DEFAULTS"
DEFAULTS_FILE = "ngff-defaults.ini"
SERVER_DEFAULTS_ENV = "OMERO_NGFF_SERVER_DEFAULTS"
SERVER_DEFAULTS_KEY = "server_defaults"
YES = ("1", "yes", "true", "on")


@dataclass
class Settings:
    dest: str
    public_url: str | None
    namespace: str
    source: str = "command line"         # where the destination came from


@dataclass
class Source:
    """One source of defaults: its name and the values it has (keys of CONFIG_KEYS)."""

    name: str
    values: dict[str, str] = field(default_factory=dict)


def resolve_settings(conn: Callable[[], Any], dest: str | None,
                     public_url: str | None, namespace: str | None) -> Settings:
    """The values given, completed from the defaults (`conn` gives the connection,
    asked for only when a value is missing and server-side defaults are enabled); no
    destination: usage error (before any login when they are not enabled)."""
    given = Source("command line", {k: v for k, v in (
        ("dest", dest), ("public_url", public_url), ("namespace", namespace)) if v})
    sources = [given]
    if dest is None or public_url is None or namespace is None:
        sources += configured_sources(conn)
    chosen = first(sources, "dest")
    if chosen is None:
        raise UsageError("no destination: give --dest gs://BUCKET/PREFIX, or keep a "
                         f"default ({DEFAULTS_FILE}; the group's defaults or "
                         f"`omero config set {CONFIG_PREFIX}dest ...` with "
                         f"{SERVER_DEFAULTS_ENV}=1: see the README)")
    chosen_dest = chosen.values["dest"].strip()
    public = public_url or _public_url_of(sources, chosen_dest)
    ns_source = first(sources, "namespace")
    chosen_ns = ns_source.values["namespace"].strip() if ns_source else DEFAULT_NAMESPACE
    return Settings(chosen_dest, public, chosen_ns, chosen.name)


def configured_value(conn: Callable[[], Any], key: str) -> str | None:
    """The first default of `key` (e.g. ``batch_image``), or None."""
    source = first(configured_sources(conn), key)
    return source.values[key].strip() if source else None


def configured_sources(conn: Callable[[], Any]) -> list[Source]:
    """The sources of defaults after the command line, in their order; the server's
    (which need a login: `conn` is called) only when enabled."""
    local = local_defaults()
    omerodir = Source("the local OMERO configuration", _prefixed(local_config()))
    if not server_defaults_enabled(local):
        return [local, omerodir]
    session = conn()
    pairs, where = group_defaults(session, GROUP_DEFAULTS_NS)
    server = server_values(session, [CONFIG_PREFIX + k for k in CONFIG_KEYS])
    return [
        local,
        Source(where or "the group's defaults", _known(pairs)),
        Source("the server's configuration", _prefixed(server)),
        omerodir,
    ]


def server_defaults_enabled(local: Source) -> bool:
    """The group's and the server's defaults are read (a login) only when asked for:
    by the environment, or by the local defaults file."""
    value = os.environ.get(SERVER_DEFAULTS_ENV) or local.values.get(SERVER_DEFAULTS_KEY, "")
    return value.strip().lower() in YES


def local_defaults(path: Path | None = None) -> Source:
    """The local defaults file (section ``[defaults]``, keys of CONFIG_KEYS)."""
    path = path or defaults_path()
    parser = configparser.ConfigParser()
    try:
        found = parser.read(path, encoding="utf-8")
    except configparser.Error as err:
        raise UsageError(f"{path}: not a valid defaults file ({err})") from None
    if not found or not parser.has_section("defaults"):
        return Source(str(path))
    values = dict(parser.items("defaults"))
    switch = values.get(SERVER_DEFAULTS_KEY) or values.get("server-defaults")
    return Source(str(path), {**_known(values),
                              **({SERVER_DEFAULTS_KEY: switch} if switch else {})})


def defaults_path() -> Path:
    explicit = os.environ.get(DEFAULTS_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("OMERO_USERDIR") or os.path.join("~", "omero")
    return Path(base).expanduser() / DEFAULTS_FILE


def first(sources: list[Source], key: str) -> Source | None:
    for source in sources:
        if source.values.get(key, "").strip():
            return source
    return None


def _public_url_of(sources: list[Source], dest: str) -> str | None:
    """A public URL kept with this destination (never one of another destination)."""
    for source in sources:
        values = source.values
        if values.get("public_url") and (values.get("dest") or "").strip().rstrip("/") \
                == dest.rstrip("/"):
            return values["public_url"].strip()
    return None


def _known(values: dict[str, str]) -> dict[str, str]:
    """The keys of CONFIG_KEYS (also spelled with '-'), stripped, empty ones left out."""
    out = {}
    for key in CONFIG_KEYS:
        value = values.get(key) or values.get(key.replace("_", "-"))
        if value and str(value).strip():
            out[key] = str(value).strip()
    return out


def _prefixed(values: dict[str, str]) -> dict[str, str]:
    return _known({k[len(CONFIG_PREFIX):]: v for k, v in values.items()
                   if k.startswith(CONFIG_PREFIX)})
