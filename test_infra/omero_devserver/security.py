"""Who may see and change what: OMERO's group permissions, for one caller.

A caller is the session's user plus the group context of the call (``omero.group`` in
the Ice context; absent = the session's current group; ``-1`` = every group the user
may read, all groups for an admin). Group permissions are OMERO's six characters
(``rw----`` private, ``rwr---`` read-only, ``rwra--`` read-annotate, ``rwrw--``
read-write): characters 2-3 say what other members may do, 4-5 everybody else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Set

import omero

from .catalogue import Catalogue, User


@dataclass
class Caller:
    user: User
    session_group: int
    context_group: Optional[int]     # None: not given in the call context
    catalogue: Catalogue

    @property
    def admin(self) -> bool:
        return self.user.admin

    @property
    def group(self) -> int:
        """The effective group of the call (-1 = all)."""
        return self.session_group if self.context_group is None else self.context_group

    def check_group_context(self):
        g = self.group
        if g != -1 and not self.admin and g not in self.user.groups:
            raise omero.SecurityViolation(
                None, None, "User %d is not a member of group %d" % (self.user.id, g))

    def readable_groups(self) -> Optional[Set[int]]:
        """The groups this call may read from (None: all)."""
        self.check_group_context()
        if self.group == -1:
            return None if self.admin else set(self.user.groups)
        return {self.group}

    def perms(self, group_id: int) -> str:
        g = self.catalogue.groups.get(group_id)
        return g.permissions if g else "rw----"

    def leads(self, group: int) -> bool:
        return group in getattr(self.user, "leads", ())

    def can_read(self, owner: int, group: int) -> bool:
        groups = self.readable_groups()
        if groups is not None and group not in groups:
            return False
        if self.admin or owner == self.user.id or self.leads(group):
            return True
        p = self.perms(group)
        if group in self.user.groups:
            return p[2] == "r"
        return p[4] == "r"

    # OMERO's rule (omero-server BasicACLVoter.allowUpdateOrDelete, and
    # CurrentDetails.isGraphCritical): an admin or a group leader may not link to, or
    # annotate, the data of others in a private group ("graph critical"); otherwise an
    # admin may do everything, a leader everything in the group, an owner what the user
    # rights allow (always rw), a member what the group rights allow, anybody what the
    # world rights allow. "a" grants annotate, "w" grants annotate and write.
    def _graph_critical(self, owner: int, group: int) -> bool:
        p = self.perms(group)
        return (p[2] != "r" and p[4] != "r" and owner != self.user.id
                and (self.admin or self.leads(group)))

    def graph_critical(self, owner: int, group: int) -> bool:
        return self._graph_critical(owner, group)

    def _allowed(self, owner: int, group: int, rights: str) -> bool:
        if self.admin or self.leads(group):
            return True
        p = self.perms(group)
        if p[5] in rights or (owner == self.user.id and p[1] in rights):
            return True
        return group in self.user.groups and p[3] in rights

    def can_annotate(self, owner: int, group: int) -> bool:
        return not self._graph_critical(owner, group) and self._allowed(owner, group, "aw")

    def can_link(self, owner: int, group: int) -> bool:
        return not self._graph_critical(owner, group) and self._allowed(owner, group, "w")

    def can_edit(self, owner: int, group: int) -> bool:
        return self._allowed(owner, group, "w")

    def restrictions(self, owner: int, group: int):
        """OMERO's restriction flags for this caller (True = not allowed), in the order
        of omero.constants.permissions: link, edit, delete, annotate, chgrp, chown."""
        edit = self.can_edit(owner, group)
        return [not self.can_link(owner, group), not edit, not edit,
                not self.can_annotate(owner, group),
                not (self.admin or owner == self.user.id),
                not (self.admin or self.leads(group))]

    def write_group(self) -> int:
        """The group a new object goes into: the context group, never -1."""
        g = self.group
        if g == -1:
            raise omero.SecurityViolation(
                None, None, "Cannot write in the all-groups context (omero.group=-1): "
                "set omero.group to the group of the data")
        self.check_group_context()
        return g
