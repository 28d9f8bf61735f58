"""Running one Delete2 request, and the responses OMERO gives.

Follows omero-blitz ``omero/cmd/graphs/Delete2I`` (read from snoopycrimecop/omero-blitz):
the request runs in the all-groups context (``getCallContext`` answers
``omero.group=-1``, merged over the caller's context by ``HandleI.mergeContexts``), so
a group-sudo session cannot run it (sudo.py); it is a write unless ``dryRun``
(``isReadOnly``), so a read-only server answers an ERR "run-fail" carrying
"This instance is read-only" (``HandleI.run`` -> ``Helper.fail``); what the graph
refuses (permissions) is a ``GraphException`` named "graph-fail".
"""

from __future__ import annotations

import omero
import omero.cmd

from . import sudo
from .security import Caller
from .services.base import read_only_error
from .writes import Writer

State = omero.cmd.State


def error(request, name: str, exc=None, cls=omero.cmd.ERR):
    """An ERR as Helper.fail builds it."""
    rsp = cls()
    rsp.category = request.ice_id()
    rsp.name = name
    rsp.parameters = {}
    if exc is not None:
        rsp.parameters["message"] = getattr(exc, "message", None) or str(exc)
        rsp.parameters["stacktrace"] = "%s: %s" % (type(exc).__name__,
                                                   rsp.parameters["message"])
    if cls is omero.cmd.GraphException:
        rsp.message = rsp.parameters.get("message", "")
    return rsp


def _all_groups_caller(server, session) -> Caller:
    sudo.check_group(session, -1)
    caller = Caller(session.user, session.group, -1, server.catalogue)
    caller.check_group_context()
    return caller


def run(server, session, request, status):
    """Run ``request`` for ``session``; the response (Delete2Response or an ERR).
    Sets ``status.flags`` on failure."""
    if not isinstance(request, omero.cmd.Delete2):
        status.flags = [State.FAILURE]
        return error(request, "run-fail", omero.ApiUsageException(
            None, None, "omero devserver: only Delete2 requests are supported, not %s"
            % type(request).__name__))
    try:
        caller = _all_groups_caller(server, session)
        if server.options.read_only and not request.dryRun:
            raise read_only_error()
    except omero.ServerError as e:
        status.flags = [State.FAILURE]
        return error(request, "run-fail", e)
    try:
        deleted = _delete(server, caller, request)
    except omero.ServerError as e:
        status.flags = [State.FAILURE, State.CANCELLED]
        return error(request, "graph-fail", e, omero.cmd.GraphException)
    rsp = omero.cmd.Delete2Response()
    rsp.deletedObjects = deleted
    return rsp


def _delete(server, caller, request):
    deleted = {}
    writer = Writer(server, caller)
    for kind, ids in (request.targetObjects or {}).items():
        if request.dryRun:
            continue
        for k, v in writer.delete(kind, list(ids)).items():
            deleted.setdefault(k, []).extend(v)
    return deleted
