"""May the session's user annotate an image, or edit an annotation? OMERO's own rule,
computed from facts the plugin already has, so that no object graph is loaded for it.

The rule is the one OMERO 5.6 applies when it fills the restrictions of an object's
``details.permissions`` (omero-server ``BasicACLVoter.allowUpdateOrDelete``, called from
``postProcess`` with the scopes LINK, EDIT, DELETE, ANNOTATE). For an object with owner
``o`` in group ``g`` whose permissions are ``P`` (six characters, ``rwra--``), and the
caller's event context (user id, isAdmin, adminPrivileges, memberOfGroups,
leaderOfGroups):

1. *Graph critical* (``CurrentDetails.isGraphCritical``): ``g`` is readable neither by
   the world nor by its group (a private group, ``rw----``) and the caller is an admin
   or a leader of ``g``. Then LINK and ANNOTATE are refused unless the caller owns the
   object: an admin or a group leader sees the members' data of a private group but
   may not annotate it (EDIT and DELETE are not affected).
2. A full admin (every admin privilege) may do everything left after 1. A restricted
   ("light") admin may LINK/EDIT/ANNOTATE with the privilege ``WriteOwned`` (DELETE:
   ``DeleteOwned``); without it, the rules below apply.
3. Otherwise the scope is allowed when the caller leads ``g``; or ``P`` grants the right
   to the world; or the caller owns the object and ``P`` grants it to the user; or the
   caller is a member of ``g`` and ``P`` grants it to the group.

Rights: ANNOTATE is granted by ``a`` or ``w``; EDIT, LINK and DELETE need ``w``.
So, per group type, for a member who is not the owner: private ``rw----`` and
read-only ``rwr---``: no; read-annotate ``rwra--``: annotate, not edit; read-write
``rwrw--``: both. Owners may always do both; leaders too, except graph critical;
admins too, except annotating others' data in a private group.

Not modelled: a read-only server (``omero.cluster.read_only.db``, where every scope is
refused: writes then fail with ReadOnlyGroupSecurityViolation, which the annotation
writer reports), the guest user, and objects in the "user" group (no images live there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .queries import GROUPS

ANNOTATE, WRITE = "annotate", "write"


def _granted(perms: str, role: int, right: str) -> bool:
    """role 0 user, 1 group, 2 world; perms like "rwra--"."""
    perms = (perms or "rw----").ljust(6, "-")
    char = perms[2 * role + 1]
    return char == "w" if right == WRITE else char in "aw"


def _readable(perms: str, role: int) -> bool:
    perms = (perms or "rw----").ljust(6, "-")
    return perms[2 * role] == "r"


@dataclass(frozen=True)
class Caller:
    """Who calls: the facts of the session's event context that the rule needs."""

    user_id: int
    is_admin: bool = False
    privileges: frozenset = field(default_factory=frozenset)   # adminPrivileges values
    member_of: frozenset = field(default_factory=frozenset)
    leader_of: frozenset = field(default_factory=frozenset)

    @classmethod
    def from_event_context(cls, ec) -> Caller:
        admin = bool(ec.isAdmin)
        raw = getattr(ec, "adminPrivileges", None)
        if raw is None:                 # servers before 5.4: an admin is a full admin
            privileges = frozenset({"WriteOwned", "DeleteOwned"} if admin else ())
        else:
            privileges = frozenset(_privilege_name(p) for p in raw)
        return cls(int(ec.userId), admin, privileges,
                   frozenset(int(g) for g in ec.memberOfGroups or ()),
                   frozenset(int(g) for g in ec.leaderOfGroups or ()))

    @classmethod
    def of(cls, conn) -> Caller:
        return cls.from_event_context(conn.getEventContext())

    def graph_critical(self, group_id: int, perms: str) -> bool:
        if _readable(perms, 2) or _readable(perms, 1):
            return False
        return self.is_admin or group_id in self.leader_of

    def allowed(self, right: str, owner_id: int, group_id: int, perms: str) -> bool:
        owner = owner_id == self.user_id
        if right == ANNOTATE and not owner and self.graph_critical(group_id, perms):
            return False
        if self.is_admin and "WriteOwned" in self.privileges:
            return True
        if group_id in self.leader_of or _granted(perms, 2, right):
            return True
        if owner and _granted(perms, 0, right):
            return True
        return group_id in self.member_of and _granted(perms, 1, right)

    def can_annotate(self, owner_id: int, group_id: int, perms: str) -> bool:
        return self.allowed(ANNOTATE, owner_id, group_id, perms)

    def can_edit(self, owner_id: int, group_id: int, perms: str) -> bool:
        return self.allowed(WRITE, owner_id, group_id, perms)


class GroupInfo:
    """Group id -> (name, permissions), loaded once per group (one query for many)."""

    def __init__(self, runner):
        self._runner = runner
        self.known: dict[int, tuple[str, str]] = {}

    def load(self, group_ids) -> dict[int, tuple[str, str]]:
        todo = sorted({g for g in group_ids if g is not None} - set(self.known))
        if todo:
            for g in self._runner.objects(GROUPS, todo):
                perms = g.getDetails().getPermissions()
                name = g.getName().getValue() if g.getName() is not None else ""
                self.known[g.getId().getValue()] = (name, str(perms) if perms else "")
        return self.known

    def get(self, group_id: int) -> tuple[str, str]:
        return self.load([group_id]).get(group_id, ("", ""))


def _privilege_name(p) -> str:
    value = p.getValue() if hasattr(p, "getValue") else p
    value = value.getValue() if hasattr(value, "getValue") else value
    return str(value)
