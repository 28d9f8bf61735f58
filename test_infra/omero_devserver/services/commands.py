"""omero.cmd: ``ServiceFactory.submit(Delete2(...))`` returns a Handle, as on a real
server (BlitzGateway's ``deleteObjects(..., wait=True)`` and ``client.submit`` poll it).

Requests run at once; the handle then answers getResponse/getStatus. Supported:
Delete2 of Annotation / MapAnnotation / *AnnotationLink ids (links of deleted
annotations go with them), with dryRun.
"""

from __future__ import annotations

import time

import omero
import omero.cmd

from ..writes import Writer
from .base import Service


def run_request(server, caller, req):
    """Run one request -> (response, status)."""
    status = omero.cmd.Status()
    status.flags = []
    status.steps = 1
    status.currentStep = 1
    status.startTime = int(time.time() * 1000)
    try:
        if not isinstance(req, omero.cmd.Delete2):
            raise omero.ApiUsageException(
                None, None, "omero devserver: only Delete2 requests are supported, "
                "not %s" % type(req).__name__)
        if server.options.read_only:
            raise omero.SecurityViolation(None, None, "This OMERO server is read-only")
        deleted = {}
        writer = Writer(server, caller)
        for kind, ids in (req.targetObjects or {}).items():
            if req.dryRun:
                continue
            for k, v in writer.delete(kind, list(ids)).items():
                deleted.setdefault(k, []).extend(v)
        rsp = omero.cmd.Delete2Response()
        rsp.deletedObjects = deleted
    except omero.ServerError as e:
        rsp = omero.cmd.ERR()
        rsp.category = type(req).__name__
        rsp.name = type(e).__name__
        rsp.parameters = {"message": e.message or ""}
        status.flags = [omero.cmd.State.FAILURE]
    status.stopTime = int(time.time() * 1000)
    return rsp, status


class Handle(Service):
    def __init__(self, server, session, adapter, identity, request, response, status):
        super().__init__(server, session)
        self.adapter = adapter
        self.identity = identity
        self.request = request
        self.response = response
        self.status = status

    def getRequest(self, current):
        return self.request

    def getResponse(self, current):
        return self.response

    def getStatus(self, current):
        return self.status

    def addCallback(self, cb, current):
        pass          # the client's CmdCallbackI polls getResponse right away

    def removeCallback(self, cb, current):
        pass

    def cancel(self, current):
        return False

    def close(self, current):
        try:
            self.adapter.remove(self.identity)
        except Exception:
            pass
