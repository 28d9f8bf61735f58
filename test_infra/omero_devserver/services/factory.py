"""ServiceFactory: one per session; hands out the services and runs commands."""

from __future__ import annotations

import uuid as uuidlib

import Ice
import omero
import omero.api
import omero.cmd

from .. import sudo
from ..ice import make_servant
from .admin import AdminService
from .base import Service
from .commands import Handle
from .config import ConfigService
from .container import ContainerService
from .query import QueryService
from .raw_pixels import RawPixelsStoreService
from .rendering import RenderingEngineService
from .roi import RoiService
from .session import SessionService
from .update import UpdateService

A = omero.api
STATELESS = {
    "getAdminService": ("omero.api.IAdmin", A.IAdmin, A.IAdminPrx, AdminService),
    "getConfigService": ("omero.api.IConfig", A.IConfig, A.IConfigPrx, ConfigService),
    "getSessionService": ("omero.api.ISession", A.ISession, A.ISessionPrx,
                          SessionService),
    "getQueryService": ("omero.api.IQuery", A.IQuery, A.IQueryPrx, QueryService),
    "getUpdateService": ("omero.api.IUpdate", A.IUpdate, A.IUpdatePrx, UpdateService),
    "getContainerService": ("omero.api.IContainer", A.IContainer, A.IContainerPrx,
                            ContainerService),
    "getRoiService": ("omero.api.IRoi", A.IRoi, A.IRoiPrx, RoiService),
}


class ServiceFactory(Service):
    def __init__(self, server, session, adapter):
        super().__init__(server, session)
        self.adapter = adapter
        self.proxies = {}

    def _add(self, name, skeleton, impl):
        ident = Ice.Identity(name=name, category=self.session.uuid)
        self.session.identities.append(ident)
        return self.adapter.add(make_servant(skeleton, impl), ident), ident

    def _stateless(self, op):
        name, skeleton, prx_class, impl_class = STATELESS[op]
        with self.session.lock:
            if name not in self.proxies:
                prx, _ = self._add(name, skeleton, impl_class(self.server, self.session))
                self.proxies[name] = prx_class.uncheckedCast(prx)
            return self.proxies[name]

    def _stateful(self, name, skeleton, prx_class, impl_class):
        ident = Ice.Identity(name="%s-%s" % (name, uuidlib.uuid4()),
                             category=self.session.uuid)
        impl = impl_class(self.server, self.session, self.adapter, ident)
        self.session.identities.append(ident)
        return prx_class.uncheckedCast(self.adapter.add(make_servant(skeleton, impl),
                                                        ident))

    def guard_call(self, current):
        pass        # the session plumbing is not a service method: no context checks

    def __getattr__(self, op):
        if op in STATELESS:
            return lambda current: self._stateless(op)
        raise AttributeError(op)

    def createRawPixelsStore(self, current):
        return self._stateful("omero.api.RawPixelsStore", A.RawPixelsStore,
                              A.RawPixelsStorePrx, RawPixelsStoreService)

    def createRenderingEngine(self, current):
        return self._stateful("omero.api.RenderingEngine", A.RenderingEngine,
                              A.RenderingEnginePrx, RenderingEngineService)

    # -- commands --------------------------------------------------------------------
    def submit(self, req, current):
        """The request runs in the background (commands.Handle)."""
        ident = Ice.Identity(name="omero.cmd.Handle-%s" % uuidlib.uuid4(),
                             category=self.session.uuid)
        impl = Handle(self.server, self.session, self.adapter, ident, req)
        self.session.identities.append(ident)
        prx = omero.cmd.HandlePrx.uncheckedCast(
            self.adapter.add(make_servant(omero.cmd.Handle, impl), ident))
        impl.start()
        return prx

    # -- session plumbing --------------------------------------------------------------
    def setCallback(self, callback, current):
        pass

    def keepAlive(self, proxy, current):
        return True

    def keepAllAlive(self, proxies, current):
        return 0

    def detachOnDestroy(self, current):
        self.session.detached = True

    def closeOnDestroy(self, current):
        self.session.detached = False

    def destroy(self, current):
        pass

    def activeServices(self, current):
        return list(self.proxies)

    def getSecurityContexts(self, current):
        return [omero.model.ExperimenterGroupI(g, False) for g in self.session.user.groups]

    def setSecurityContext(self, obj, current):
        if not isinstance(obj, omero.model.ExperimenterGroup):
            raise omero.ApiUsageException(
                None, None, "omero devserver: only groups can be security contexts")
        sudo.refuse_context_change(self.session)
        gid = obj.getId().getValue()
        if gid not in self.cat.groups:
            raise omero.ApiUsageException(None, None, "No such group: %d" % gid)
        user = self.session.user
        if not user.admin and gid not in user.groups:
            raise omero.SecurityViolation(
                None, None, "User %d is not a member of group %d" % (user.id, gid))
        previous = self.session.group
        self.session.group = gid
        return omero.model.ExperimenterGroupI(previous, False)
