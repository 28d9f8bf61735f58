"""Who is asking, and of which OMERO: the server's database UUID (what ownership
records name: it survives restarts and host moves, and tells two servers apart) and
the caller's user id."""

from __future__ import annotations

from typing import Any

from ..errors import ConnectionFailed, one_line


def database_uuid(conn: Any) -> str:
    """The server's database UUID. `IConfig.getDatabaseUuid` is open to every user
    (omero-server ome/logic/ConfigImpl.java: @PermitAll)."""
    try:
        return str(conn.getConfigService().getDatabaseUuid())
    except Exception as err:  # noqa: BLE001 - any failure here means no usable session
        raise ConnectionFailed(f"cannot read the OMERO server's identity: {one_line(err)}") \
            from None


def user_id(conn: Any) -> int:
    """The id of the user the session runs as (after --sudo: that user)."""
    return int(conn.getUserId())
