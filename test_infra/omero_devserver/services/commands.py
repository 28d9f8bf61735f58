"""omero.cmd: ``ServiceFactory.submit(Delete2(...))`` returns a Handle, as on a real server.

Follows omero-blitz ``omero/cmd/HandleI`` (read from joshmoore/omero-blitz; ome's copy is
not in the index) and ``omero/cmd/Helper``:

- the request runs in the background: ``getResponse()`` is None until it is done
  (``--delete-ms`` sets how long that takes); then every callback added with
  ``addCallback`` gets ``finished(rsp, status)`` (oneway), as ``notifyCallbacks`` does;
- ``close()`` on a handle still running cancels it (``closeWithoutNotification``):
  nothing is deleted and the response is an ERR "cancel-called" with the flags FAILURE
  and CANCELLED. So BlitzGateway's ``deleteObjects(..., wait=True)``, which waits
  10 x 500 ms and then closes the handle, silently cancels a slow delete;
- failures are responses, not exceptions: ``ERR`` (``Helper.fail``: category = the
  request's Ice type id, name, parameters with ``message``), ``omero.cmd.GraphException``
  for what the graph traversal refuses (``Delete2I.step``, name "graph-fail").

Supported: Delete2 of Annotation / MapAnnotation / *AnnotationLink ids, with dryRun.
"""

from __future__ import annotations

import threading
import time

import omero
import omero.cmd

from .. import delete_requests
from .base import Service

State = omero.cmd.State


def _now():
    return int(time.time() * 1000)


class Handle(Service):
    def __init__(self, server, session, adapter, identity, request):
        super().__init__(server, session)
        self.adapter = adapter
        self.identity = identity
        self.request = request
        self.response = None
        self.status = omero.cmd.Status(flags=[], steps=1, currentStep=0,
                                       startTime=_now())
        self.callbacks = {}
        self.lock = threading.Lock()
        self.timer = threading.Timer(server.options.delete_ms / 1000.0, self._run)
        self.timer.daemon = True

    def guard_call(self, current):
        pass          # a handle is not a service method: no context checks

    def start(self):
        self.timer.start()

    def _run(self):
        with self.lock:
            if self.response is not None:        # cancelled meanwhile
                return
            self.response = delete_requests.run(self.server, self.session,
                                                self.request, self.status)
            self.status.currentStep = 1
            self.status.stopTime = _now()
        self._notify()

    def _notify(self):
        for cb in list(self.callbacks.values()):
            try:
                cb.finished(self.response, self.status)
            except Exception:      # a client gone away: nothing to tell
                pass

    # -- omero.cmd.Handle ----------------------------------------------------------
    def getRequest(self, current):
        return self.request

    def getResponse(self, current):
        return self.response

    def getStatus(self, current):
        return self.status

    def addCallback(self, cb, current):
        # the client's callback lives on its own connection (routed, bidirectional)
        prx = omero.cmd.CmdCallbackPrx.uncheckedCast(
            current.con.createProxy(cb.ice_getIdentity()).ice_oneway())
        self.callbacks[cb.ice_getIdentity().name] = prx

    def removeCallback(self, cb, current):
        self.callbacks.pop(cb.ice_getIdentity().name, None)

    def cancel(self, current):
        with self.lock:
            if self.response is not None:
                return False
            self.timer.cancel()
            self.response = delete_requests.error(self.request, "cancel-called")
            self.status.flags = [State.FAILURE, State.CANCELLED]
            self.status.stopTime = _now()
        self._notify()
        return True

    def close(self, current):
        try:
            self.adapter.remove(self.identity)
        except Exception:
            pass
        self.cancel(current)
