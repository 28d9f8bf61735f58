"""Configuration values kept by OMERO: the server's client configuration, and the
local OMERO installation's (`omero config set`, under OMERODIR)."""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)


def client_config(conn: Any) -> dict[str, str]:
    """The server's client configuration (`omero.client.*`)."""
    try:
        return dict(conn.getConfigService().getClientConfigValues())
    except Exception:  # an older or restricted server: no values from there
        return {}


def local_config() -> dict[str, str]:
    """`omero config set` values of the local OMERO installation (OMERODIR), if any."""
    base = os.environ.get("OMERODIR")
    if not base:
        return {}
    path = os.path.join(base, "etc", "grid", "config.xml")
    if not os.path.isfile(path):
        return {}
    try:
        from omero.config import ConfigXml
        cfg = ConfigXml(path, exclusive=False, read_only=True)
        try:
            return dict(cfg.as_map())
        finally:
            cfg.close()
    except Exception:                     # unreadable config: no values from there
        log.debug("cannot read %s", path, exc_info=True)
        return {}
