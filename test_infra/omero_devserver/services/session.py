"""ISession: the session record, closing."""

from __future__ import annotations

import omero

from .base import Service


class SessionService(Service):
    def getSession(self, uuid, current):
        s = self.server.sessions.get(uuid)
        if s is None:
            raise omero.RemovedSessionException(None, None, "No session with this uuid")
        if s.user.id != self.session.user.id and not self.session.user.admin:
            raise omero.SecurityViolation(None, None, "Cannot read another's session")
        return s.model()

    def createSessionWithTimeouts(self, principal, timeToLive, timeToIdle, current):
        """An admin makes a session for another user (`omero login --sudo`)."""
        if not self.session.user.admin:
            raise omero.SecurityViolation(None, None, "Sudo needs an administrator")
        try:
            user = self.server.catalogue.user(principal.name)
        except KeyError:
            raise omero.ApiUsageException(None, None, "No such user: %s" % principal.name)
        group = user.default_group
        if principal.group:
            group = self.server.catalogue.group(principal.group).id
            if group not in user.groups:
                raise omero.SecurityViolation(
                    None, None, "%s is not in group %s" % (user.name, principal.group))
        return self.server.sessions.create_for(user, group).model()

    def createSessionWithTimeout(self, principal, timeToLive, current):
        return self.createSessionWithTimeouts(principal, timeToLive, 600000, current)

    def getReferenceCount(self, uuid, current):
        s = self.server.sessions.get(uuid)
        return 0 if s is None else max(1, s.glacier_refs)

    def closeSession(self, session, current):
        uuid = session.getUuid().getValue() if session.getUuid() else None
        s = self.server.sessions.get(uuid) if uuid else None
        if s is None:
            return 0
        self.server.close_session(s)
        return 0

    def getMyOpenSessions(self, current):
        return [s.model() for s in list(self.server.sessions.by_uuid.values())
                if not s.closed and s.user.id == self.session.user.id]

    def getMyOpenAgentSessions(self, agent, current):
        return self.getMyOpenSessions(current)

    def getMyOpenClientSessions(self, current):
        return self.getMyOpenSessions(current)

    def getInputs(self, uuid, current):
        return {}

    def setInput(self, uuid, key, value, current):
        pass
