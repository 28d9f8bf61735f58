"""ISession: the session record, closing."""

from __future__ import annotations

import omero

from .. import sudo
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
        """A session for another user (`omero login --sudo`): an admin, or a group
        owner restricted to the groups they lead (sudo.py)."""
        return sudo.create_session(self.server, self.session, principal).model()

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
