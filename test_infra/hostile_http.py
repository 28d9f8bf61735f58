"""An HTTP server that answers as a hostile (or broken) host would, for the tests of
bounded fetching: redirects to other hosts and to other schemes, endless redirects,
huge bodies (with or without a Content-Length, generated as they are sent: the server
itself holds none of it), answers that trickle, and metadata full of control
characters. Every request is recorded, so a test can tell that a place was never
visited.

Paths (any suffix after them is ignored, e.g. ``/huge/zarr.json``):

- ``/redirect-away/...``  302 to the same path under ``away_host`` (another host name
  for this very server, e.g. ``localhost`` for ``127.0.0.1``), prefixed ``/visited``
- ``/redirect-scheme/...`` 302 to ``file:///etc/passwd`` (and ``?to=`` any Location)
- ``/redirect-same/...``  302 to ``/ok/...`` on the same host
- ``/redirect-loop/...``  302 to itself, forever
- ``/huge/...``           200, ``size`` bytes of JSON-looking text, with Content-Length
- ``/huge-chunked/...``   the same without a length (chunked transfer encoding)
- ``/trickle/...``        200, one byte every ``trickle_seconds``, forever (chunked)
- ``/ok/...``             a valid NGFF 0.5 image group's zarr.json
- ``/escape/...``         a zarr.json whose values hold ESC sequences and markup
- anything else           404
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from test_infra.background_http import BackgroundHttpServer

__all__ = ["HostileHttp", "OK_GROUP"]

MIB = 1024 * 1024
OK_GROUP = {"zarr_format": 3, "node_type": "group", "attributes": {"ome": {
    "version": "0.5", "multiscales": [{"datasets": [{"path": "0"}],
                                       "axes": [{"name": "y"}, {"name": "x"}]}]}}}
ESCAPE_GROUP = {"zarr_format": 3, "node_type": "group", "attributes": {"ome": {
    "version": "0.5\x1b[2J", "multiscales": [{"name": "[link=javascript:x]a[/link]\x1b]8;;"
                                               "https://evil.example/\x1b\\",
                                               "datasets": [{"path": "0\x1b[31m"}]}]}}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        host = self.server.hostile
        host.record(self.path)
        route = self.path.split("/")[1] if self.path.startswith("/") else ""
        handler = getattr(self, "_" + route.replace("-", "_"), None)
        if handler is None:
            self._send(404, b"not here")
        else:
            handler()

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _rest(self) -> str:
        return self.path.split("/", 2)[2] if self.path.count("/") >= 2 else ""

    def _redirect_away(self):
        host = self.server.hostile
        self._send(302, b"", {"Location": f"http://{host.away_host}:{host.port}/visited/"
                                          f"{self._rest()}"})

    def _redirect_scheme(self):
        self._send(302, b"", {"Location": "file:///etc/passwd"})

    def _redirect_same(self):
        self._send(302, b"", {"Location": f"/ok/{self._rest()}"})

    def _redirect_loop(self):
        self._send(302, b"", {"Location": self.path})

    def _ok(self):
        self._send(200, json.dumps(OK_GROUP).encode(), {"Content-Type": "application/json"})

    def _escape(self):
        self._send(200, json.dumps(ESCAPE_GROUP, ensure_ascii=False).encode(),
                   {"Content-Type": "application/json"})

    def _visited(self):
        self._ok()

    def _huge(self, chunked: bool = False):
        size = self.server.hostile.size
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        block = b'{"pad": "' + b"x" * (MIB - 11) + b'"}'
        sent = 0
        try:
            while sent < size:
                piece = block[: min(len(block), size - sent)]
                if chunked:
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                else:
                    self.wfile.write(piece)
                sent += len(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:             # the client stopped reading: as it should
            self.close_connection = True

    def _huge_chunked(self):
        self._huge(chunked=True)

    def _trickle(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while not self.server.hostile.stopped.is_set():
                self.wfile.write(b"1\r\n \r\n")
                self.wfile.flush()
                time.sleep(self.server.hostile.trickle_seconds)
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hostile: HostileHttp


class HostileHttp(BackgroundHttpServer):
    """`url` is ``http://127.0.0.1:PORT``; `away_url` the same server under another host
    name (``localhost``), which same-host rules must treat as elsewhere."""

    def __init__(self, size: int = 200 * MIB, trickle_seconds: float = 0.2,
                 host: str = "127.0.0.1", away_host: str = "localhost"):
        self.size = size
        self.trickle_seconds = trickle_seconds
        self.host = host
        self.away_host = away_host
        self.port = 0
        self.paths: list[str] = []
        self.stopped = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> HostileHttp:
        server = _Server((self.host, 0), _Handler)
        server.hostile = self
        self.port = self._serve(server, "hostile-http")
        return self

    def stop(self) -> None:
        self.stopped.set()
        super().stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def record(self, path: str) -> None:
        with self._lock:
            self.paths.append(path)

    def visited(self, prefix: str) -> list[str]:
        with self._lock:
            return [p for p in self.paths if p.startswith(prefix)]
