"""The only code that talks to OMERO: the session, the HQL the plugin sends and the runner
that batches it, the objects to work on (targets), the annotations, permissions, plates,
rendering settings and the tile source. Everything else receives plain records."""

import omero.clients  # noqa: F401  (loads omero's generated model and API classes)
