"""Which configuration keys a caller may read, as OMERO 5.6 decides it.

Follows ome/omero-common ``src/main/resources/ome/config.xml`` (the declared
``ome.system.Preference`` beans and their ``visibility``), ``ome/system/
PreferenceContext.canRead`` and ``ome/system/Preference`` (an undeclared key gets a
``new Preference()``, whose visibility is ``admin``: ome/openmicroscopy
``components/common/src/ome/system/Preference.java``), and ome/omero-server
``ome/logic/ConfigImpl``:

- ``getConfigValue(key)``: ``SecurityViolation("Cannot read configuration: key")``
  unless the key's visibility lets the caller read it (``all``: everyone, ``admin``:
  admins, ``hidden``: nobody); a readable key without a value answers "".
- ``getConfigValues(regex)`` iterates the *declared* keys only, keeping the readable
  ones: an undeclared key (``omero config set omero.client.anything``) is missing
  for everyone, admins included.
- ``getClientConfigValues()`` is ``getConfigValues("^omero\\.client\\.")``.

Default values of the declared client keys are those of omero-common's
``omero-common.properties``.
"""

from __future__ import annotations

import re
from typing import Dict, Optional

ALL, ADMIN, HIDDEN = "all", "admin", "hidden"

# ome/config.xml (omero-common), in its order. Keys declared without a visibility
# property get the Preference default, admin.
DECLARED: Dict[str, str] = {
    "omero.version": ALL, "omero.upgrades.url": ALL, "omero.qa.feedback": ALL,
    "omero.data.dir": ADMIN, "omero.router.insecure": ALL,
    "omero.security.filter.bitand": HIDDEN, "omero.security.password_required": ALL,
    "omero.cluster.read_only.runtime.db": ALL, "omero.cluster.read_only.runtime.repo": ALL,
    "omero.bioformats.version": ALL, "omero.bioformats.vcs_revision": ALL,
    "omero.bioformats.date": ALL, "omero.server.nodedescriptors": ALL,
    "omero.db.authority": ALL, "omero.db.uuid": ALL, "omero.db.host": HIDDEN,
    "omero.db.name": HIDDEN, "omero.db.user": HIDDEN, "omero.db.pass": HIDDEN,
    "omero.db.driver": HIDDEN, "omero.db.poolsize": HIDDEN, "omero.db.dialect": HIDDEN,
    "omero.mail.config": ALL,
    "omero.pixeldata.backoff": ALL, "omero.pixeldata.tile_width": ALL,
    "omero.pixeldata.tile_height": ALL, "omero.pixeldata.max_plane_width": ALL,
    "omero.pixeldata.max_plane_height": ALL,
    "omero.pixeldata.max_plane_float_override": ALL,
    "omero.pixeldata.max_tile_length": ALL, "omero.pixeldata.max_projection_bytes": ALL,
    "omero.client.scripts_to_ignore": ALL, "omero.client.ui.tree.orphans.enabled": ALL,
    "omero.client.ui.tree.orphans.name": ALL,
    "omero.client.ui.tree.orphans.description": ALL,
    "omero.client.ui.menu.dropdown.leaders.label": ALL,
    "omero.client.ui.menu.dropdown.leaders.enabled": ALL,
    "omero.client.ui.menu.dropdown.colleagues.label": ALL,
    "omero.client.ui.menu.dropdown.colleagues.enabled": ALL,
    "omero.client.ui.menu.dropdown.everyone.label": ALL,
    "omero.client.ui.menu.dropdown.everyone.enabled": ALL,
    "omero.client.viewer.roi_limit": ALL, "omero.client.viewer.initial_zoom_level": ALL,
    "omero.client.web.host": ALL, "omero.client.viewer.interpolate_pixels": ALL,
    "omero.client.download_as.max_size": ALL, "omero.client.ui.tree.type_order": ALL,
    "omero.client.browser.thumb_default_size": ALL,
    "omero.sessions.timeout": ALL, "omero.sessions.maximum": ALL,
    "omero.sessions.max_user_time_to_idle": ALL,
    "omero.sessions.max_user_time_to_live": ALL,
}

# omero-common.properties: the defaults of the declared client keys.
CLIENT_DEFAULTS: Dict[str, str] = {
    "omero.client.web.host": "",
    "omero.client.scripts_to_ignore": ",".join((
        "/omero/figure_scripts/Movie_Figure.py",
        "/omero/figure_scripts/Split_View_Figure.py",
        "/omero/figure_scripts/Thumbnail_Figure.py",
        "/omero/figure_scripts/ROI_Split_Figure.py", "/omero/export_scripts/Make_Movie.py",
        "/omero/import_scripts/Populate_ROI.py")),
    "omero.client.ui.tree.orphans.enabled": "true",
    "omero.client.ui.tree.orphans.name": "Orphaned Images",
    "omero.client.ui.tree.orphans.description": (
        "This is a virtual container with orphaned images. These images are not linked "
        "anywhere. Just drag them to the selected container."),
    "omero.client.ui.menu.dropdown.leaders.label": "Owners",
    "omero.client.ui.menu.dropdown.leaders.enabled": "true",
    "omero.client.ui.menu.dropdown.colleagues.label": "Members",
    "omero.client.ui.menu.dropdown.colleagues.enabled": "true",
    "omero.client.ui.menu.dropdown.everyone.label": "All Members",
    "omero.client.ui.menu.dropdown.everyone.enabled": "true",
    "omero.client.viewer.initial_zoom_level": "0",
    "omero.client.viewer.interpolate_pixels": "true",
    "omero.client.download_as.max_size": "144000000",
    "omero.client.viewer.roi_limit": "2000",
    "omero.client.ui.tree.type_order":
        "tagset,tag,project,dataset,screen,plate,acquisition,image",
    "omero.client.browser.thumb_default_size": "96",
}

# Keys of the dev server itself (not OMERO's): readable by anyone, never listed by
# getConfigValues, so that clients cannot mistake them for OMERO's.
DEVSERVER_PREFIX = "omero.devserver."


def visibility(key: str) -> str:
    """A key's visibility: declared, else the Preference default (admin)."""
    if key.startswith(DEVSERVER_PREFIX):
        return ALL
    return DECLARED.get(key, ADMIN)


def can_read(key: str, admin: bool) -> bool:
    """PreferenceContext.canRead."""
    v = visibility(key)
    return v == ALL or (v == ADMIN and admin)


def value(values: Dict[str, str], key: str) -> str:
    """ConfigImpl.getInternalValue: the set value, else the compiled-in default, else
    "" (a Java null string reaches an Ice client as "")."""
    found: Optional[str] = values.get(key)
    if found is None:
        found = CLIENT_DEFAULTS.get(key)
    return found if found is not None else ""


def matching_declared(values: Dict[str, str], regex: str, admin: bool) -> Dict[str, str]:
    """ConfigImpl.getConfigValues: the declared keys matching (``find``), readable."""
    pattern = re.compile(regex)
    return {k: value(values, k) for k in DECLARED
            if pattern.search(k) and can_read(k, admin)}
