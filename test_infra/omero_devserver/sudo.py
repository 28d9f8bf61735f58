"""Sudo (``omero login --sudo``): a session made for another user, as OMERO 5.6 does it.

Follows ome/omero-server:

- ``ome/services/sessions/SessionBean.createSessionWithTimeouts`` (``@RolesAllowed("user")``):
  an admin with the Sudo privilege may sudo as anyone; anybody else (a group owner)
  gets a *group-sudo* session restricted to the groups they lead.
- ``SessionManagerImpl.validateSessionInputs``: the new session's group (the one asked
  for, else the user's default group) must be one of those groups, else
  ``SecurityViolation("Group sudo is not permitted for group NAME (gid=ID)")``;
  ``SessionManagerImpl.define`` records the groups on the session (a CommentAnnotation
  in namespace ``GROUP_SUDO_NS``).
- ``ome/security/basic/BasicSecuritySystem.loadEventContext``: on every call the
  call's group (``omero.group`` of the call context, else the session's; ``-1``
  included) must be one of them, else ``SecurityViolation("Group-sudo session cannot
  change context!")``; ``SessionManagerImpl.setSecurityContext`` refuses any change.
"""

from __future__ import annotations

import omero

GROUP_SUDO_NS = "openmicroscopy.org/security/group-sudo"
CANNOT_CHANGE = "Group-sudo session cannot change context!"


def check_group(session, group_id: int) -> None:
    """Refuse a call in a group that a group-sudo session may not use."""
    permitted = session.sudo_groups
    if permitted is not None and group_id not in permitted:
        raise omero.SecurityViolation(None, None, CANNOT_CHANGE)


def refuse_context_change(session) -> None:
    """setSecurityContext on a group-sudo session."""
    if session.sudo_groups is not None:
        raise omero.SecurityViolation(None, None, CANNOT_CHANGE)


def create_session(server, sudoer_session, principal):
    """ISession.createSessionWithTimeouts: a new session for ``principal.name``."""
    sudoer = sudoer_session.user
    cat = server.catalogue
    try:
        user = cat.user(principal.name)
    except KeyError:
        raise omero.ApiUsageException(None, None, "No such user: %s" % principal.name)
    if principal.group and principal.group != "user":
        try:
            group = cat.group(principal.group)
        except KeyError:
            raise omero.ApiUsageException(None, None, "No such group: %s" % principal.group)
    else:
        group = cat.groups[user.default_group]
    # admins sudo anywhere; others only into the groups they lead
    led = None if sudoer.admin else frozenset(sudoer.leads)
    if led is not None and group.id not in led:
        raise omero.SecurityViolation(
            None, None, "Group sudo is not permitted for group %s (gid=%d)"
            % (group.name, group.id))
    if group.id not in user.groups:
        raise omero.SecurityViolation(
            None, None, "%s is not a member of group %s" % (user.name, group.name))
    # a session made from a sudo session keeps its original sudoer
    original = sudoer_session.sudoer or sudoer
    return server.sessions.create_for(user, group.id, sudoer=original, sudo_groups=led)
