"""The server process: options, the Ice communicator, and what the services share."""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid as uuidlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import ice  # noqa: F401  (must come before Ice)
import Ice  # noqa: E402

from .catalogue import load_catalogue  # noqa: E402
from .logs import QueryLog, setup_logging  # noqa: E402
from .router import add_router  # noqa: E402
from .sessions import Sessions  # noqa: E402
from .store import Store  # noqa: E402
from .tls import PASSWORD, ensure_certificate  # noqa: E402

log = logging.getLogger("omero_devserver.server")
INFO_FILE = "server.json"


@dataclass
class Options:
    catalogue: str
    state_dir: Optional[str] = None
    host: str = "127.0.0.1"
    port: int = 4064
    ssl_port: Optional[int] = None
    read_only: bool = False
    tile_delay_ms: float = 0.0
    max_message_kb: int = 250000          # omero.constants.MESSAGESIZEMAX
    threads: int = 8
    verbose: bool = False

    @property
    def max_message_bytes(self) -> int:
        return self.max_message_kb * 1024


class DevServer:
    def __init__(self, options: Options):
        self.options = options
        self.state_dir = Path(options.state_dir) if options.state_dir else None
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        setup_logging(self.state_dir, options.verbose)
        self.catalogue = load_catalogue(options.catalogue)
        self.store = Store.open(self.state_dir, self.catalogue)
        self.sessions = Sessions(self.catalogue)
        self.query_log = QueryLog(self.state_dir)
        self.db_uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, str(self.catalogue.path)))
        self.tile_count = 0
        self._tile_lock = threading.Lock()
        self.communicator = None
        self.adapter = None

    def count_tile(self):
        with self._tile_lock:
            self.tile_count += 1

    def close_session(self, session):
        self.sessions.close(session, self.adapter)

    # -- Ice ----------------------------------------------------------------------
    def _properties(self, endpoints):
        props = Ice.createProperties()
        props.setProperty("Ice.MessageSizeMax", str(self.options.max_message_kb + 1024))
        props.setProperty("Ice.ThreadPool.Server.Size", str(self.options.threads))
        props.setProperty("Ice.ThreadPool.Server.SizeMax", str(self.options.threads * 4))
        props.setProperty("Ice.ACM.Server.Close", "0")
        props.setProperty("Ice.ACM.Close", "0")
        props.setProperty("Ice.Warn.Connections", "0")
        props.setProperty("OMERO.Endpoints", endpoints)
        if self.options.ssl_port is not None:
            cert_dir = (self.state_dir or Path(os.getcwd())) / "tls"
            ensure_certificate(cert_dir)
            props.setProperty("Ice.Plugin.IceSSL", "IceSSL:createIceSSL")
            props.setProperty("IceSSL.DefaultDir", str(cert_dir))
            props.setProperty("IceSSL.CertFile", "server.p12")
            props.setProperty("IceSSL.Password", PASSWORD)
            props.setProperty("IceSSL.VerifyPeer", "0")
        return props

    def start(self):
        o = self.options
        endpoints = "tcp -h %s -p %d" % (o.host, o.port)
        if o.ssl_port is not None:
            endpoints += ":ssl -h %s -p %d" % (o.host, o.ssl_port)
        init = Ice.InitializationData()
        init.properties = self._properties(endpoints)
        self.communicator = Ice.initialize(init)
        ice.register_object_factories(self.communicator)
        self.adapter = self.communicator.createObjectAdapter("OMERO")
        add_router(self, self.adapter)
        self.adapter.activate()
        # learn the ports actually bound (port 0 = any free port)
        for ep in self.adapter.getEndpoints():
            info = ep.getInfo()
            if info.type() == Ice.TCPEndpointType:
                o.port = info.port
            else:
                o.ssl_port = info.port
        info = {"pid": os.getpid(), "host": o.host, "port": o.port,
                "ssl_port": o.ssl_port, "catalogue": str(self.catalogue.path),
                "read_only": o.read_only}
        if self.state_dir is not None:
            tmp = self.state_dir / (INFO_FILE + ".tmp")
            tmp.write_text(json.dumps(info))
            os.replace(tmp, self.state_dir / INFO_FILE)
        log.warning("omero devserver listening: tcp %s:%d%s, catalogue %s%s", o.host,
                    o.port, ", ssl %d" % o.ssl_port if o.ssl_port else "",
                    self.catalogue.path, " (read-only)" if o.read_only else "")

    def wait(self):
        self.communicator.waitForShutdown()

    def shutdown(self):
        if self.communicator is not None:
            self.communicator.shutdown()
