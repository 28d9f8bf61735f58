"""The OMERO connection a command runs with: logs in on first use, keeps the session
alive during long conversions, and leaves the CLI's stored session for the next
command when it closes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omero.cli import NonZeroReturnCode

from ..errors import ConnectionFailed

# Seconds between keep-alives while long conversions run (the server's idle
# time-out is typically 10 minutes).
KEEP_ALIVE_SECONDS = 60


class Session:
    """Connects on first use through `login`, which returns a logged-in omero.client
    (the CLI's `ctx.conn(args)`: the standard login arguments or a stored session)."""

    def __init__(self, login: Callable[[], Any]):
        self._login = login
        self._conn: Any | None = None

    @property
    def conn(self) -> Any:
        """A BlitzGateway over the session (logging in now if not yet done)."""
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> Any:
        from omero.gateway import BlitzGateway

        try:
            client = self._login()
        except NonZeroReturnCode as err:
            raise ConnectionFailed("cannot log in to OMERO (see the message above)") from err
        if client is None:
            raise ConnectionFailed("not logged in: give -s/-u/-w or run `omero login` first")
        conn = BlitzGateway(client_obj=client)
        client.enableKeepAlive(KEEP_ALIVE_SECONDS)
        return conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        client = conn.c
        try:
            # hard=False: keep the CLI's stored session for the next command
            conn.close(hard=False)
        except Exception:
            # a lost server: closing its services fails before BlitzGateway frees the
            # client, whose communicator would then outlive the command
            if client is not None:
                client.__del__()
