"""Defaults OMERO keeps for the plugin, read where the caller's role allows.

- The group's defaults: a Key-Value (map) annotation in the namespace
  ``GROUP_DEFAULTS_NS`` linked to the session's group (an ``ExperimenterGroup``), kept
  by the group's owner or an admin. Any user may link an annotation to a group (a system
  type: omero-server ``OmeroInterceptor.evaluateLinkages``), so only an annotation
  owned by an admin or an owner of that group counts. Members read it as the group's
  permissions let them read the owner's data (not in a private group).
- The server's configuration: ``omero config set omero.client.ngff.dest ...`` keys
  are not declared preferences, so ``getClientConfigValues`` never lists them and
  ``getConfigValue`` answers them to admins only (omero-server ``ConfigImpl``,
  omero-common ``PreferenceContext``); for anyone else they are skipped.
- The local OMERO installation's configuration (``omero config set`` under OMERODIR).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import omero

from . import queries
from .query import QueryRunner

log = logging.getLogger(__name__)

GROUP_DEFAULTS_NS = "jax.org/omero-cli-ngff/defaults"


def client_config(conn: Any) -> dict[str, str]:
    """The server's client configuration (`omero.client.*` declared preferences)."""
    try:
        return dict(conn.getConfigService().getClientConfigValues())
    except Exception:  # an older or restricted server: no values from there
        return {}


def server_values(conn: Any, keys: Iterable[str]) -> dict[str, str]:
    """The server's configuration values of `keys` the caller may read (admins: the
    undeclared ones too); keys without a value are left out."""
    config = conn.getConfigService()
    found: dict[str, str] = {}
    for key in keys:
        try:
            value = config.getConfigValue(key)
        except omero.SecurityViolation:      # not readable with this role
            continue
        if value:
            found[key] = str(value)
    return found


def group_defaults(conn: Any, namespace: str = GROUP_DEFAULTS_NS,
                   group_id: int | None = None) -> tuple[dict[str, str], str]:
    """(pairs, where) of the defaults kept on the session's group (or `group_id`), from
    the first annotation of the namespace owned by an admin or an owner of the group;
    ({}, "") when there is none."""
    runner = QueryRunner(conn)
    ec = conn.getEventContext()
    gid = int(ec.groupId) if group_id is None else int(group_id)
    rows = runner.rows(queries.GROUP_DEFAULTS, [gid], ns=namespace)
    if not rows:
        return {}, ""
    trusted = _group_keepers(runner, conn, gid)
    kept = [ann_id for ann_id, owner_id in rows if owner_id in trusted]
    ignored = [ann_id for ann_id, owner_id in rows if owner_id not in trusted]
    if ignored:
        log.warning("ignored defaults on group %s not kept by its owners or an admin: "
                    "annotation %s", gid, ", ".join(str(i) for i in ignored))
    if not kept:
        return {}, ""
    (ann,) = runner.objects(queries.MAP_ANNOTATIONS, [kept[0]])
    pairs = {}
    for nv in ann.getMapValue() or []:
        pairs.setdefault(nv.name, nv.value)        # the first of a repeated key
    return pairs, f"the defaults of group {ec.groupName if group_id is None else gid} " \
                  f"(annotation {kept[0]})"


def _group_keepers(runner: QueryRunner, conn: Any, group_id: int) -> set[int]:
    """The owners of the group and the admins (members of the system group)."""
    system = _system_group_id(conn)
    keepers = set()
    for parent, child, owner in runner.rows(queries.GROUP_MEMBERS, [group_id, system]):
        if parent == system or (parent == group_id and owner):
            keepers.add(int(child))
    return keepers


def _system_group_id(conn: Any) -> int:
    try:
        return int(conn.getAdminService().getSecurityRoles().systemGroupId)
    except Exception:   # a restricted server: OMERO's fixed id
        return 0


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
