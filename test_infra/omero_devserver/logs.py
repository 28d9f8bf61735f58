"""The server's logs: one brief line per call (server.log), and the query log.

Never logged: passwords (the router's createSession arguments are masked), session
keys (sessions are named by number), parameter values of queries other than ids.
The query log (``queries.log``, one JSON object per line: kind, query, parameter
names, ids, user) is what tests count "queries per image" with; the running total is
also the IConfig value ``omero.devserver.query_count``.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Optional

from omero.rtypes import unwrap


def setup_logging(state_dir: Optional[Path], verbose: bool = False):
    handlers = [logging.StreamHandler(sys.stderr)]
    if state_dir is not None:
        handlers.append(logging.FileHandler(Path(state_dir) / "server.log"))
    fmt = logging.Formatter("%(asctime)s %(threadName)s %(name)s %(message)s")
    root = logging.getLogger("omero_devserver")
    root.handlers[:] = []
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)
    handlers[0].setLevel(logging.INFO if verbose else logging.WARNING)
    root.setLevel(logging.INFO)
    root.propagate = False


class QueryLog:
    FILE = "queries.log"

    def __init__(self, state_dir: Optional[Path]):
        self.path = Path(state_dir) / self.FILE if state_dir is not None else None
        self.count = 0
        self.lock = threading.Lock()
        self._file = open(self.path, "a", buffering=1) if self.path else None

    def record(self, kind, query, params, user):
        pmap = {k: unwrap(v) for k, v in ((params.map or {}).items() if params else ())}
        entry = {"kind": kind, "query": " ".join(query.split()), "user": user,
                 "params": sorted(pmap),
                 "ids": pmap.get("ids") if isinstance(pmap.get("ids"), list) else None}
        with self.lock:
            self.count += 1
            if self._file is not None:
                self._file.write(json.dumps(entry) + "\n")
