"""IAdmin: who am I, users, groups, roles."""

from __future__ import annotations

import omero

from ..sessions import ADMIN_PRIVILEGES, event_context, privilege, roles
from .base import Service


class AdminService(Service):
    def getEventContext(self, current):
        return event_context(self.session, self.cat)

    def getSecurityRoles(self, current):
        return roles()

    def _user(self, key):
        try:
            return self.cat.user(key)
        except KeyError:
            raise omero.ApiUsageException(None, None, "No such experimenter: %s" % key)

    def _group(self, key):
        try:
            return self.cat.group(key)
        except KeyError:
            raise omero.ApiUsageException(None, None, "No such group: %s" % key)

    def getExperimenter(self, uid, current):
        return self.builder(current).experimenter(self._user(uid).id)

    def lookupExperimenter(self, name, current):
        return self.builder(current).experimenter(self._user(name).id)

    def lookupExperimenters(self, current):
        b = self.builder(current)
        return [b.experimenter(u) for u in sorted(self.cat.users)]

    def getGroup(self, gid, current):
        return self.builder(current).experimenter_group(self._group(gid).id)

    def lookupGroup(self, name, current):
        return self.builder(current).experimenter_group(self._group(name).id)

    def lookupGroups(self, current):
        b = self.builder(current)
        return [b.experimenter_group(g) for g in sorted(self.cat.groups)]

    def getDefaultGroup(self, uid, current):
        return self.builder(current).experimenter_group(self._user(uid).default_group)

    def containedGroups(self, uid, current):
        b = self.builder(current)
        return [b.experimenter_group(g) for g in self._user(uid).groups]

    def getMemberOfGroupIds(self, experimenter, current):
        uid = (self.session.user.id if experimenter is None
               else experimenter.getId().getValue())
        return list(self._user(uid).groups)

    def getLeaderOfGroupIds(self, experimenter, current):
        return []

    def containedExperimenters(self, gid, current):
        b = self.builder(current)
        return [b.experimenter(u.id) for u in self.cat.users.values() if gid in u.groups]

    def getAdminPrivileges(self, experimenter, current):
        uid = experimenter.getId().getValue()
        return ([privilege(p) for p in ADMIN_PRIVILEGES] if self._user(uid).admin
                else [])

    def getCurrentAdminPrivileges(self, current):
        return ([privilege(p) for p in ADMIN_PRIVILEGES] if self.session.user.admin
                else [])
