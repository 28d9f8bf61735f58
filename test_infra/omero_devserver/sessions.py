"""Sessions: login by user name and password, join by session key, close.

A session belongs to one user and has a current group (the user's default group,
changed by ``setSecurityContext``). Glacier2 sessions (one per client connection) are
counted: when the last one goes and the session was not detached
(``detachOnDestroy``, as ``omero login`` and BlitzGateway do), it closes.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Dict, Optional

import Glacier2
import omero
import omero.model
from omero.rtypes import rlong, rstring, rtime

from .catalogue import Catalogue, User

log = logging.getLogger("omero_devserver.sessions")

ADMIN_PRIVILEGES = (
    "Chgrp", "Chown", "DeleteFile", "DeleteManagedRepo", "DeleteOwned",
    "DeleteScriptRepo", "ModifyGroup", "ModifyGroupMembership", "ModifyUser",
    "ReadSession", "Sudo", "WriteFile", "WriteManagedRepo", "WriteOwned",
    "WriteScriptRepo")


@dataclass
class Session:
    uuid: str
    number: int
    user: User
    group: int
    started: int
    agent: str = "OMERO.py"
    closed: bool = False
    detached: bool = False
    glacier_refs: int = 0
    sudoer: Optional[User] = None            # who made it (``omero login --sudo``)
    sudo_groups: Optional[frozenset] = None  # a group-sudo session's groups (sudo.py)
    identities: list = field(default_factory=list)   # servants to remove on close
    lock: threading.RLock = field(default_factory=threading.RLock)

    def model(self):
        s = omero.model.SessionI(self.number, True)
        s.unloadCollections()
        s.setUuid(rstring(self.uuid))
        s.setStarted(rtime(self.started))
        s.setTimeToIdle(rlong(600000))
        s.setTimeToLive(rlong(0))
        s.setUserAgent(rstring(self.agent))
        s.setOwner(omero.model.ExperimenterI(self.user.id, False))
        s.setNode(omero.model.NodeI(1, False))
        return s


class Sessions:
    def __init__(self, catalogue: Catalogue):
        self.cat = catalogue
        self.by_uuid: Dict[str, Session] = {}
        self.lock = threading.Lock()
        self.counter = 0

    def login(self, username: str, password: str) -> Session:
        """A new session, or join an open one when both arguments are its key."""
        with self.lock:
            joined = self.by_uuid.get(username)
            if joined is not None and password == username:
                if joined.closed:
                    raise Glacier2.PermissionDeniedException("session closed")
                joined.glacier_refs += 1
                log.info("join session #%d of %s", joined.number, joined.user.name)
                return joined
        try:
            user = self.cat.user(username)
        except KeyError:
            user = None
        if user is None or not hmac.compare_digest(user.password, password):
            log.info("login refused for %r", username)
            raise Glacier2.PermissionDeniedException("Password check failed")
        with self.lock:
            self.counter += 1
            s = Session(str(uuidlib.uuid4()), self.counter, user, user.default_group,
                        int(time.time() * 1000), glacier_refs=1)
            self.by_uuid[s.uuid] = s
        log.info("login %s: session #%d", user.name, s.number)
        return s

    def create_for(self, user: User, group: int, sudoer: Optional[User] = None,
                   sudo_groups: Optional[frozenset] = None) -> Session:
        """A session for another user (`omero login --sudo`, see sudo.py)."""
        with self.lock:
            self.counter += 1
            s = Session(str(uuidlib.uuid4()), self.counter, user, group,
                        int(time.time() * 1000), agent="OMERO.sudo", sudoer=sudoer,
                        sudo_groups=sudo_groups)
            self.by_uuid[s.uuid] = s
        log.info("sudo: session #%d for %s%s", s.number, user.name,
                 "" if sudo_groups is None else " (group-sudo %s)" % sorted(sudo_groups))
        return s

    def get(self, key: str) -> Optional[Session]:
        s = self.by_uuid.get(key)
        return s if s is not None and not s.closed else None

    def close(self, s: Session, adapter=None):
        with s.lock:
            if s.closed:
                return
            s.closed = True
        log.info("close session #%d of %s", s.number, s.user.name)
        if adapter is not None:
            for ident in s.identities:
                try:
                    adapter.remove(ident)
                except Exception:
                    pass


def event_context(s: Session, catalogue: Catalogue) -> "omero.sys.EventContext":
    user, group = s.user, catalogue.groups[s.group]
    ec = omero.sys.EventContext()
    ec.shareId = -1
    ec.sessionId = s.number
    ec.sessionUuid = s.uuid
    ec.userId = user.id
    ec.userName = user.name
    ec.sudoerId = rlong(s.sudoer.id) if s.sudoer else None
    ec.sudoerName = rstring(s.sudoer.name) if s.sudoer else None
    ec.groupId = group.id
    ec.groupName = group.name
    ec.isAdmin = user.admin
    ec.adminPrivileges = list(ADMIN_PRIVILEGES) if user.admin else []
    ec.eventId = -1
    ec.eventType = "User"
    ec.memberOfGroups = list(user.groups)
    ec.leaderOfGroups = sorted(set(user.leads) | ({0} if user.admin else set()))
    ec.groupPermissions = omero.model.PermissionsI(group.permissions)
    return ec


def privilege(name):
    p = omero.model.AdminPrivilegeI()
    p.setValue(rstring(name))
    return p


def roles():
    r = omero.sys.Roles()
    r.rootId, r.rootName = 0, "root"
    r.systemGroupId, r.systemGroupName = 0, "system"
    r.userGroupId, r.userGroupName = 1, "user"
    r.guestId, r.guestName = 1, "guest"
    r.guestGroupId, r.guestGroupName = 2, "guest"
    return r
