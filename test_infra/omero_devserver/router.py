"""The Glacier2 router at ``OMERO.Glacier2/router``: where clients log in.

``createSession(user, password)`` logs in; ``createSession(key, key)`` joins an open
session (``omero login -k``, BlitzGateway's reconnect). The client then routes every
call through this endpoint (``getClientProxy`` answers None), so one object adapter
serves the router, the session factories and all services.
"""

from __future__ import annotations

import logging
import uuid as uuidlib

import Glacier2
import Ice
import omero.api

from .ice import make_servant
from .services.factory import ServiceFactory

log = logging.getLogger("omero_devserver.router")


class Router:
    def __init__(self, server, adapter):
        self.server = server
        self.adapter = adapter
        self.connections = {}          # connection description -> session

    # Ice::Router
    def getClientProxy(self, current):
        return None

    def getServerProxy(self, current):
        # must not be null: clients build their callback adapter from it
        return self.adapter.createProxy(Ice.stringToIdentity("OMERO.Glacier2/server"))

    def addProxies(self, proxies, current):
        return []

    # Glacier2::Router
    def getCategoryForClient(self, current):
        return "cb-" + uuidlib.uuid4().hex[:12]

    def createSession(self, user, password, current):
        session = self.server.sessions.login(user, password)
        if current.con is not None:
            self.connections[current.con.toString()] = session
        ident = Ice.Identity(name=session.uuid, category="ServiceFactory")
        with session.lock:
            if self.adapter.find(ident) is None:
                sf = ServiceFactory(self.server, session, self.adapter)
                self.adapter.add(make_servant(omero.api.ServiceFactory, sf), ident)
                session.identities.append(ident)
        return omero.api.ServiceFactoryPrx.uncheckedCast(self.adapter.createProxy(ident))

    def createSessionFromSecureConnection(self, current):
        raise Glacier2.PermissionDeniedException("use a user name and password")

    def refreshSession(self, current):
        pass

    def destroySession(self, current):
        session = (self.connections.pop(current.con.toString(), None)
                   if current.con is not None else None)
        if session is None:
            return
        with session.lock:
            session.glacier_refs -= 1
            last = session.glacier_refs <= 0
        if last and not session.detached:
            self.server.close_session(session)

    def getSessionTimeout(self, current):
        return 600

    def getACMTimeout(self, current):
        return 0


def add_router(server, adapter):
    adapter.add(make_servant(Glacier2.Router, Router(server, adapter),
                             secret_ops=("createSession",),
                             quiet_ops=("getClientProxy", "getServerProxy",
                                        "addProxies", "getCategoryForClient")),
                Ice.stringToIdentity("OMERO.Glacier2/router"))
