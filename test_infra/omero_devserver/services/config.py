"""IConfig: server configuration, client configuration, versions.

Who may read which key follows OMERO's declared preferences (``preferences.py``):
``getConfigValue`` of an undeclared key (the catalogue's ``config`` may hold any) is
for admins only, ``getConfigValues``/``getClientConfigValues`` list declared keys
only. ``omero.router.insecure`` tells BlitzGateway and the CLI where the plain TCP
router is (``@omero.host@`` is replaced by the client). The catalogue's
``configDefaults`` answer ``getClientConfigDefaults``. ``omero.devserver.*`` keys
describe the dev server itself (see the package docstring).
"""

from __future__ import annotations

import time

import omero

from .. import decode_cost
from .. import preferences as prefs
from .base import Service

VERSION = "5.6.14-devserver"


class ConfigService(Service):
    def _values(self):
        srv = self.server
        ro = "true" if srv.options.read_only else "false"
        values = {
            "omero.router.insecure":
                "OMERO.Glacier2/router:tcp -p %d -h @omero.host@" % srv.options.port,
            "omero.version": VERSION,
            "omero.db.uuid": srv.db_uuid,
            # the configured flags (undeclared: admins only) and the effective ones
            "omero.cluster.read_only": ro,
            "omero.cluster.read_only.db": ro,
            "omero.cluster.read_only.repo": ro,
            "omero.cluster.read_only.runtime.db": ro,
            "omero.cluster.read_only.runtime.repo": ro,
            "omero.pixeldata.max_plane_width": "3192",
            "omero.pixeldata.max_plane_height": "3192",
            "omero.devserver.catalogue": str(self.cat.path),
            "omero.devserver.query_count": str(srv.query_log.count),
            "omero.devserver.tile_count": str(srv.tile_count),
        }
        values.update(srv.decode.values())
        values.update(self.cat.config)
        return values

    def _admin(self):
        return self.session.user.admin

    def getConfigValue(self, key, current):
        if not key:
            return ""
        if not prefs.can_read(key, self._admin()):
            # ConfigImpl.getConfigValue
            raise omero.SecurityViolation(None, None, "Cannot read configuration: " + key)
        return prefs.value(self._values(), key)

    def getConfigValues(self, regex, current):
        return prefs.matching_declared(self._values(), regex, self._admin())

    def getClientConfigValues(self, current):
        return self.getConfigValues(r"^omero\.client\.", current)

    def getConfigDefaults(self, current):
        if not self._admin():      # @RolesAllowed("system")
            raise omero.SecurityViolation(None, None, "getConfigDefaults: admins only")
        return dict(self.cat.config_defaults)

    def getClientConfigDefaults(self, current):
        return dict(self.cat.config_defaults)

    def getPublicConfigValues(self, current):
        return self.getClientConfigValues(current)

    def getVersion(self, current):
        return VERSION

    def getDatabaseUuid(self, current):
        return self.server.db_uuid

    def getServerTime(self, current):
        return omero.rtypes.rtime(int(time.time() * 1000))

    getDatabaseTime = getServerTime

    def setConfigValue(self, key, value, current):
        """Admins may change the decode cost model while the server runs
        (``decode_cost.py``; ConfigImpl.setConfigValue is @RolesAllowed("system"));
        every other key is read-only here."""
        if key not in decode_cost.KEYS:
            raise omero.SecurityViolation(None, None, "The dev server's config is read-only")
        if not self._admin():
            raise omero.SecurityViolation(None, None, "setConfigValue: admins only")
        try:
            self.server.decode.set(key, value)
        except ValueError as err:
            raise omero.ApiUsageException(None, None, str(err))
