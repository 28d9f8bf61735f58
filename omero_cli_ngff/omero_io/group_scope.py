"""The group contexts a session's queries run in.

Queries run across all the user's groups (``omero.group=-1``), except in sessions that
refuse it: a group owner's ``--sudo`` session is restricted to the groups the owner
leads and refuses any other context, -1 included ("Group-sudo session cannot change
context!": omero-server ``BasicSecuritySystem.loadEventContext``, the session made by
``SessionBean.createSessionWithTimeouts`` for a non-admin). Such a session then queries
each group the user is a member of, the session's group first, and leaves out for good
the groups it is refused.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import omero

ALL_GROUPS = {"omero.group": "-1"}
GROUP_SUDO_REFUSAL = "Group-sudo session cannot change context!"
T = TypeVar("T")

_SCOPES: weakref.WeakKeyDictionary[Any, GroupScope] = weakref.WeakKeyDictionary()
_SCOPES_LOCK = threading.Lock()


def is_context_refusal(err: BaseException) -> bool:
    """Did the server refuse the call's group context (a group-sudo session)?"""
    return isinstance(err, omero.SecurityViolation) and \
        GROUP_SUDO_REFUSAL in (getattr(err, "message", "") or "")


class GroupScope:
    """All groups at once until the server refuses it, then one group at a time."""

    def __init__(self, conn: Any):
        self.conn = conn
        self._groups: list[int] | None = None       # None: -1 is allowed
        self._lock = threading.Lock()

    @classmethod
    def of(cls, conn: Any) -> GroupScope:
        """The one scope of a connection (shared by every runner over it)."""
        with _SCOPES_LOCK:
            scope = _SCOPES.get(conn)
            if scope is None:
                scope = _SCOPES[conn] = cls(conn)
            return scope

    @property
    def per_group(self) -> bool:
        return self._groups is not None

    def run(self, call: Callable[[dict], T]) -> list[T]:
        """`call(ctx)` in every context of the scope: [answer of each context]."""
        if self._groups is None:
            try:
                return [call(ALL_GROUPS)]
            except omero.SecurityViolation as err:
                if not is_context_refusal(err):
                    raise
                self._narrow()
        answers = []
        for group in list(self._groups or ()):
            try:
                answers.append(call({"omero.group": str(group)}))
            except omero.SecurityViolation as err:
                if not is_context_refusal(err):
                    raise
                with self._lock:
                    if self._groups and group in self._groups:
                        self._groups.remove(group)
        return answers

    def _narrow(self) -> None:
        with self._lock:
            if self._groups is not None:
                return
            ec = self.conn.getEventContext()
            user_group = self._user_group_id()
            groups = [int(ec.groupId)] + [int(g) for g in ec.memberOfGroups or ()]
            self._groups = list(dict.fromkeys(g for g in groups if g != user_group))

    def _user_group_id(self) -> int:
        """The "user" group every user is a member of (it holds no images)."""
        try:
            return int(self.conn.getAdminService().getSecurityRoles().userGroupId)
        except Exception:   # an older or restricted server: OMERO's fixed id
            return 1
