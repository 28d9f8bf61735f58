"""The OMERO connection a command runs with: the CLI's login, session reuse, keep-alive."""

from __future__ import annotations

from omero.cli import NonZeroReturnCode

from ..errors import ConnectionFailed

# Seconds between keep-alives while long conversions run (the server's idle
# time-out is typically 10 minutes).
KEEP_ALIVE_SECONDS = 60


class Session:
    """Connects on first use, with the standard login arguments or a stored session."""

    def __init__(self, ctx, args):
        self.ctx = ctx
        self.args = args
        self._conn = None

    @property
    def conn(self):
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self):
        from omero.gateway import BlitzGateway

        try:
            client = self.ctx.conn(self.args)
        except NonZeroReturnCode as err:
            raise ConnectionFailed("cannot log in to OMERO (see the message above)") from err
        if client is None:
            raise ConnectionFailed("not logged in: give -s/-u/-w or run `omero login` first")
        conn = BlitzGateway(client_obj=client)
        client.enableKeepAlive(KEEP_ALIVE_SECONDS)
        return conn

    def client_config(self) -> dict:
        """The server's client configuration (`omero.client.*`), for defaults."""
        try:
            return dict(self.conn.getConfigService().getClientConfigValues())
        except Exception:  # an older or restricted server: no defaults from there
            return {}

    def close(self):
        if self._conn is not None:
            # hard=False: keep the CLI's stored session for the next command
            self._conn.close(hard=False)
            self._conn = None
