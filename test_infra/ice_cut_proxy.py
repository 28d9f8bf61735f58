"""A TCP front door for the OMERO dev server that dies, or acts, at a chosen call.

OMERO clients reach the dev server over plain TCP (``tcp://``), and an Ice request
carries its operation's name as plain bytes ("createSession", "projection",
"getTile", "saveAndReturnObject", ...). The proxy forwards everything both ways; when
a client-to-server message names the operation given to `cut_at`, it holds that
message and then

- by default *dies*: every connection is reset and the port stops listening, which is
  what a client sees of a server killed at that moment (the pending call is lost; new
  connections are refused);
- or runs `action` (e.g. closing the client's session on the server, through another
  connection) and then forwards the message, so that the call meets what the action
  did.

One dev server then serves many such tests: only its front door dies.

    proxy = IceCutProxy(server.port).start()
    proxy.cut_at(b"getTile")                      # the server "dies" at the first tile
    run the CLI with -s tcp://127.0.0.1 -p proxy.port ...
    assert proxy.cut.is_set()
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable

__all__ = ["IceCutProxy"]

BUFFER = 65536


class IceCutProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1"):
        self.upstream = (host, upstream_port)
        self.host = host
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._operation: bytes | None = None
        self._skip = 0
        self._action: Callable[[], None] | None = None
        self.cut = threading.Event()          # the trigger was met
        self.dead = threading.Event()         # the front door is gone

    # -- control -------------------------------------------------------------------------

    def start(self) -> IceCutProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, daemon=True, name="ice-cut-accept").start()
        return self

    @property
    def port(self) -> int:
        assert self._listener is not None
        return int(self._listener.getsockname()[1])

    def cut_at(self, operation: bytes, action: Callable[[], None] | None = None,
               skip: int = 0) -> None:
        """At the (skip+1)-th request naming `operation`: run `action`, or die."""
        self._operation, self._action, self._skip = operation, action, skip

    def die(self) -> None:
        """Reset every connection and stop listening, as a killed server would."""
        self.dead.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
            listener, self._listener = self._listener, None
        for sock in sockets:
            _reset(sock)
        if listener is not None:
            listener.close()

    stop = die

    # -- forwarding ------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self.dead.is_set():
            listener = self._listener
            if listener is None:
                return
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                if self.dead.is_set():
                    _reset(client)
                    _reset(server)
                    return
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False),
                             daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, upward: bool) -> None:
        tail = b""
        try:
            while not self.dead.is_set():
                data = source.recv(BUFFER)
                if not data:
                    break
                if upward and self._triggered(tail + data):
                    if self._action is None:
                        self.die()
                        return
                    self._action()
                tail = data[-64:]
                target.sendall(data)
        except OSError:
            pass
        finally:
            if not self.dead.is_set():
                _close(target)

    def _triggered(self, data: bytes) -> bool:
        operation = self._operation
        if operation is None or self.cut.is_set() or operation not in data:
            return False
        with self._lock:
            if self.cut.is_set():
                return False
            if self._skip > 0:
                self._skip -= 1
                return False
            self.cut.set()
        return True


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the peer sees the connection die, not end."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
