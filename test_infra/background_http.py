"""A local HTTP server running in a daemon thread (the test stubs and proxies)."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Optional


class BackgroundHttpServer:
    """Mixin: `start()` builds the server (`_make_server`), `stop()`, a context manager."""

    _server: Optional[ThreadingHTTPServer] = None

    def _serve(self, server: ThreadingHTTPServer, name: str) -> int:
        """Serve `server` in a daemon thread; returns its port."""
        self._server = server
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True,
                         name=f"{name}-{port}").start()
        return port

    def stop(self) -> None:
        server, self._server = self._server, None
        if server:
            server.shutdown()
            server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
