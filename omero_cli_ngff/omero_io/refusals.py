"""What OMERO refuses, reported for what it is.

- A read-only server (``omero.cluster.read_only``) refuses every write with
  ``ApiUsageException("This instance is read-only")`` (omero-server
  ``ome/security/basic/EventHandler.invoke``), and says so beforehand in the config key
  ``omero.cluster.read_only.runtime.db``, which any user may read (omero-common
  ``ome/config.xml``: visibility ``all``).
- ``ReadOnlyGroupSecurityViolation``: an admin or a group owner may not link to another
  user's data in a private group (omero-server ``OmeroInterceptor.evaluateLinkages``);
  the server itself is writable.
- A group owner's ``--sudo`` session refuses any group context but the groups the owner
  leads ("Group-sudo session cannot change context!"); Delete2 runs in all groups
  (omero-blitz ``Delete2I.getCallContext``), so such a session cannot delete.
- Any other ``SecurityViolation``: the user may not do it (group permissions).
- Delete2 answers failures as an ``omero.cmd.ERR`` (``omero.CmdError`` in omero-py):
  ``GraphException`` when the graph refuses, ``run-fail`` for an exception of the
  request, ``cancel-called`` when it was cancelled.
"""

from __future__ import annotations

from typing import Any

import omero

from .. import exit_codes
from ..errors import NgffError, PermissionRefused, one_line
from .group_scope import GROUP_SUDO_REFUSAL, is_context_refusal

READ_ONLY_KEY = "omero.cluster.read_only.runtime.db"
READ_ONLY_MESSAGE = "This instance is read-only"


class ServerReadOnly(PermissionRefused):
    """The OMERO server accepts no writes: nothing can be annotated."""


class DeleteFailed(NgffError):
    """A Delete2 request did not delete what it was asked to."""

    exit_code = exit_codes.PARTIAL_FAILURE


def server_is_read_only(conn: Any) -> bool:
    """The server's own runtime flag (a server that does not declare it is writable)."""
    try:
        value = conn.getConfigService().getConfigValue(READ_ONLY_KEY)
    except omero.SecurityViolation:      # not declared (servers before 5.5): unknown
        return False
    return str(value or "").strip().lower() == "true"


def require_writable(conn: Any, doing: str) -> None:
    """ServerReadOnly before anything is done, when the server accepts no writes."""
    if server_is_read_only(conn):
        raise ServerReadOnly(f"the OMERO server is read-only ({READ_ONLY_KEY} is true): "
                             f"nothing can be annotated, so nothing was {doing}")


def is_read_only(err: BaseException) -> bool:
    return isinstance(err, omero.ApiUsageException) and \
        READ_ONLY_MESSAGE in (getattr(err, "message", "") or "")


def write_refusal(err: BaseException, what: str) -> NgffError | None:
    """The error to report for a refused write of `what` (None: not a refusal)."""
    message = one_line(err)
    if is_read_only(err):
        return ServerReadOnly(f"{what}: the OMERO server is read-only ({message})")
    if isinstance(err, omero.ReadOnlyGroupSecurityViolation):
        return PermissionRefused(
            f"{what}: OMERO does not let an admin or a group owner annotate another "
            f"user's data in a private group (ReadOnlyGroupSecurityViolation: {message})")
    if is_context_refusal(err):
        return PermissionRefused(f"{what}: this group owner's --sudo session may not "
                                 f"work in that group ({message})")
    if isinstance(err, omero.SecurityViolation):
        return PermissionRefused(f"{what}: not allowed ({type(err).__name__}: {message})")
    return None


def delete_refusal(rsp: Any, what: str) -> NgffError:
    """The error to report for a Delete2 that answered an ERR."""
    params = dict(getattr(rsp, "parameters", None) or {})
    message = params.get("message") or getattr(rsp, "message", "") or ""
    name = getattr(rsp, "name", "") or type(rsp).__name__
    if READ_ONLY_MESSAGE in message:
        return ServerReadOnly(f"{what}: the OMERO server is read-only ({message})")
    if GROUP_SUDO_REFUSAL in message:
        return PermissionRefused(
            f"{what}: a group owner's --sudo session cannot delete (OMERO runs a delete "
            f"in all groups, which that session refuses: {message})")
    if type(rsp).__name__ == "GraphException":
        return PermissionRefused(f"{what}: OMERO refused the delete ({one_line(message)})")
    return DeleteFailed(f"{what}: the delete failed ({name}: {one_line(message)})")
