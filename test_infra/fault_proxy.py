"""A small threaded HTTP reverse proxy that injects faults, for failure tests.

Put it in front of the object-store emulator (or any HTTP server) and point the client
at ``proxy.url`` (gcsfs: ``endpoint_url=proxy.url``; plain HTTP: the public URL through
the proxy). Everything passes through faithfully (method, path and query, headers,
bodies, Range, HEAD, chunked request bodies, resumable-upload Location headers) unless a
rule matches. Rules are set at run time:

    proxy.fail(503, method="POST", path=r"^/upload/", times=2)   # next 2 uploads: 503
    proxy.fail(403, method="PUT|POST|DELETE|PATCH")              # read-only, always
    proxy.respond(200, json_body={...}, method="GET", path=...)  # canned answer
    proxy.delay(3.0, path=r"zarr\\.json")                        # slow, then pass on
    proxy.drop(path=..., when="before")                         # close, no answer
    proxy.drop(path=..., when="mid")                            # close mid-body
    proxy.clear()

``method`` and ``path`` are regular expressions (``re.fullmatch`` for the method,
``re.search`` on the path including its query string). ``times=None`` means always,
``times=N`` the next N matching requests; ``skip=K`` lets the first K matches through.
The first active matching rule wins. Every request is recorded in ``proxy.log``
(method, path, status, action); ``proxy.count(method, path)`` counts them.
"""

from __future__ import annotations

import http.client
import json as _json
import re
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from test_infra.background_http import BackgroundHttpServer

__all__ = ["FaultProxy", "Rule", "Record"]

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
              "te", "trailers", "transfer-encoding", "upgrade", "proxy-connection"}


@dataclass
class Rule:
    """One fault. ``action``: "respond", "delay" or "drop"."""

    action: str
    method: Optional[str] = None
    path: Optional[str] = None
    times: Optional[int] = None
    skip: int = 0
    status: int = 503
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0
    when: str = "before"            # drop: "before" any answer, or "mid" body
    matched: int = 0                # matching requests seen (including skipped ones)
    applied: int = 0                # times the fault was applied

    def matches(self, method: str, path: str) -> bool:
        if self.method and not re.fullmatch(self.method, method, flags=re.I):
            return False
        if self.path and not re.search(self.path, path):
            return False
        return True

    @property
    def active(self) -> bool:
        return self.times is None or self.applied < self.times


@dataclass
class Record:
    method: str
    path: str
    status: Optional[int]           # None when the connection was dropped
    action: str                     # "pass", "respond", "delay", "drop", "error"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args):   # keep test output clean
        pass

    def _read_body(self) -> bytes:
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass        # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        proxy = self.server.proxy
        method, path = self.command, self.path
        body = self._read_body()
        rule = proxy._match(method, path)
        passed = "pass"
        if rule is not None and rule.action == "delay":
            time.sleep(rule.seconds)
            passed, rule = "delay", None            # then pass on
        if rule is not None and rule.action == "respond":
            proxy._record(method, path, rule.status, "respond")
            self._send(rule.status, rule.headers, rule.body, head=method == "HEAD")
            return
        if rule is not None and rule.action == "drop" and rule.when == "before":
            proxy._record(method, path, None, "drop")
            self._drop()
            return
        try:
            status, headers, data = proxy._forward(method, path, self.headers, body)
        except OSError as exc:
            msg = f"fault proxy: upstream {proxy.upstream} failed: {exc}".encode()
            proxy._record(method, path, 502, "error")
            self._send(502, {"Content-Type": "text/plain"}, msg, head=method == "HEAD")
            return
        if rule is not None and rule.action == "drop":   # "mid": half the body, then close
            proxy._record(method, path, None, "drop")
            self._send(status, headers, data[: len(data) // 2], head=False,
                       length=len(data) or 100)
            self._drop()
            return
        proxy._record(method, path, status, passed)     # before the client can see it
        self._send(status, headers, data, head=method == "HEAD", passthrough=True)

    def _send(self, status, headers, body, head=False, length=None, passthrough=False):
        self.send_response_only(status)
        has_length = False
        for k, v in headers.items() if isinstance(headers, dict) else headers:
            lk = k.lower()
            if lk in HOP_BY_HOP:
                continue
            if lk == "content-length":
                if head and passthrough:        # HEAD: the upstream's length, no body
                    self.send_header(k, v)
                    has_length = True
                continue
            self.send_header(k, v)
        if not has_length and status not in (204, 304) and not (head and passthrough):
            self.send_header("Content-Length", str(length if length is not None else len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)
        self.wfile.flush()

    def _drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: "FaultProxy"

    def handle_error(self, request, client_address):
        pass                        # a client hanging up is not our test's business


class FaultProxy(BackgroundHttpServer):
    """Fault-injecting reverse proxy in front of ``upstream`` (``http://host:port``)."""

    def __init__(self, upstream: str, host: str = "127.0.0.1", port: int = 0,
                 upstream_timeout: float = 60.0, rewrite_urls: bool = True):
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http":
            raise ValueError("the fault proxy only forwards to http:// upstreams")
        self.upstream = f"http://{parsed.netloc}"
        self._up_host, self._up_port = parsed.hostname, parsed.port or 80
        self.upstream_timeout = upstream_timeout
        self.rewrite_urls = rewrite_urls
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self.rules: list = []
        self.log: list = []

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> "FaultProxy":
        if self._server:
            return self
        server = _Server((self._host, self._port), _Handler)
        server.proxy = self
        self._port = self._serve(server, "fault-proxy")
        return self

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    # -- rules --------------------------------------------------------------------------

    def add_rule(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def fail(self, status: int = 503, method: Optional[str] = None,
             path: Optional[str] = None, times: Optional[int] = None, skip: int = 0,
             body: Optional[bytes] = None, headers: Optional[dict] = None) -> Rule:
        """Answer ``status`` (with a GCS-style JSON error body unless ``body`` is given)."""
        if body is None:
            reason = http.client.responses.get(status, "Error")
            body = _json.dumps({"error": {"code": status, "message": reason,
                                          "errors": [{"reason": reason,
                                                      "message": reason}]}}).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        return self.add_rule(Rule("respond", method, path, times, skip, status, body,
                                  dict(headers or {})))

    def respond(self, status: int = 200, body: bytes = b"", json_body=None,
                headers: Optional[dict] = None, method: Optional[str] = None,
                path: Optional[str] = None, times: Optional[int] = None,
                skip: int = 0) -> Rule:
        """Answer with a canned response instead of asking the upstream."""
        headers = dict(headers or {})
        if json_body is not None:
            body = _json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        return self.add_rule(Rule("respond", method, path, times, skip, status, body,
                                  headers))

    def delay(self, seconds: float, method: Optional[str] = None,
              path: Optional[str] = None, times: Optional[int] = None,
              skip: int = 0) -> Rule:
        """Wait ``seconds`` before passing the request on."""
        return self.add_rule(Rule("delay", method, path, times, skip, seconds=seconds))

    def drop(self, method: Optional[str] = None, path: Optional[str] = None,
             times: Optional[int] = None, skip: int = 0, when: str = "before") -> Rule:
        """Close the connection: ``when="before"`` any answer, or ``"mid"`` response body."""
        if when not in ("before", "mid"):
            raise ValueError("when must be 'before' or 'mid'")
        return self.add_rule(Rule("drop", method, path, times, skip, when=when))

    def read_only(self, path: Optional[str] = None, times: Optional[int] = None) -> Rule:
        """Model a bucket we may read but not write: 403 on every mutating request."""
        return self.fail(403, method="POST|PUT|PATCH|DELETE", path=path, times=times)

    def clear(self) -> None:
        """Remove all rules (the log is kept; see ``reset_log``)."""
        with self._lock:
            self.rules.clear()

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    def count(self, method: Optional[str] = None, path: Optional[str] = None,
              action: Optional[str] = None) -> int:
        """Requests seen (optionally: matching method/path regexes, with this action)."""
        with self._lock:
            records = list(self.log)
        probe = Rule("count", method, path)
        return sum(1 for r in records if probe.matches(r.method, r.path)
                   and (action is None or r.action == action))

    def _match(self, method: str, path: str) -> Optional[Rule]:
        with self._lock:
            for rule in self.rules:
                if not rule.active or not rule.matches(method, path):
                    continue
                rule.matched += 1
                if rule.matched <= rule.skip:
                    continue
                rule.applied += 1
                return rule
        return None

    def _record(self, method, path, status, action) -> None:
        with self._lock:
            self.log.append(Record(method, path, status, action))

    # -- forwarding ---------------------------------------------------------------------

    def _forward(self, method: str, path: str, headers, body: bytes):
        out_headers = {}
        for k, v in headers.items():
            lk = k.lower()
            if lk in HOP_BY_HOP or lk in ("host", "content-length"):
                continue
            out_headers[k] = v
        out_headers["Host"] = f"{self._up_host}:{self._up_port}"
        if body or method in ("POST", "PUT", "PATCH"):
            out_headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self._up_host, self._up_port,
                                          timeout=self.upstream_timeout)
        try:
            conn.request(method, path, body=body or None, headers=out_headers)
            resp = conn.getresponse()
            data = resp.read() if method != "HEAD" else b""
            resp_headers = resp.getheaders()
            status = resp.status
        finally:
            conn.close()
        if self.rewrite_urls:
            resp_headers, data = self._rewrite(resp_headers, data)
        return status, resp_headers, data

    def _rewrite(self, headers, data):
        """Make URLs that name the upstream (resumable-upload Location, JSON links) name
        the proxy, so that follow-up requests come through it too."""
        up, me = self.upstream, self.url
        out = []
        is_json = False
        for k, v in headers:
            if k.lower() == "location" and v.startswith(up):
                v = me + v[len(up):]
            if k.lower() == "content-type" and "json" in v.lower():
                is_json = True
            out.append((k, v))
        if is_json and data and up.encode() in data:
            data = data.replace(up.encode(), me.encode())
        return out, data
