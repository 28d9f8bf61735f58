"""IConfig: server configuration, client configuration, versions.

``omero.router.insecure`` tells BlitzGateway and the CLI where the plain TCP router
is, as on a real server (``@omero.host@`` is replaced by the client). The catalogue's
``config`` answers ``getConfigValue`` and ``getClientConfigValues``; its
``configDefaults`` answer ``getClientConfigDefaults``. ``omero.devserver.*`` keys
describe the dev server itself (see the package docstring).
"""

from __future__ import annotations

import re

import omero

from .base import Service

VERSION = "5.6.14-devserver"
SECRET = re.compile(r"(pass|secret|key|token|credential)", re.IGNORECASE)


class ConfigService(Service):
    def _values(self):
        srv = self.server
        values = {
            "omero.router.insecure":
                "OMERO.Glacier2/router:tcp -p %d -h @omero.host@" % srv.options.port,
            "omero.version": VERSION,
            "omero.db.uuid": srv.db_uuid,
            "omero.cluster.read_only": "true" if srv.options.read_only else "false",
            "omero.cluster.read_only.db": "true" if srv.options.read_only else "false",
            "omero.cluster.read_only.repo": "true" if srv.options.read_only else "false",
            "omero.pixeldata.max_plane_width": "3192",
            "omero.pixeldata.max_plane_height": "3192",
            "omero.devserver.catalogue": str(self.cat.path),
            "omero.devserver.query_count": str(srv.query_log.count),
            "omero.devserver.tile_count": str(srv.tile_count),
        }
        values.update(self.cat.config)
        return values

    def getConfigValue(self, key, current):
        if SECRET.search(key) and not key.startswith("omero.client."):
            raise omero.SecurityViolation(None, None, "Cannot read %s" % key)
        return self._values().get(key, "")

    def getConfigValues(self, regex, current):
        pattern = re.compile(regex)
        return {k: v for k, v in self._values().items()
                if pattern.search(k) and not SECRET.search(k)}

    def getConfigDefaults(self, current):
        return {}

    def getClientConfigValues(self, current):
        return dict(self.cat.config)

    def getClientConfigDefaults(self, current):
        return dict(self.cat.config_defaults)

    def getPublicConfigValues(self, current):
        return dict(self.cat.config)

    def getVersion(self, current):
        return VERSION

    def getDatabaseUuid(self, current):
        return self.server.db_uuid

    def getServerTime(self, current):
        import time
        return omero.rtypes.rtime(int(time.time() * 1000))

    getDatabaseTime = getServerTime

    def setConfigValue(self, key, value, current):
        raise omero.SecurityViolation(None, None, "The dev server's config is read-only")
