"""Query patterns of the plugin's channel, group-defaults and image-details queries
(omero_cli_ngff ``omero_io/queries.py``: CHANNELS, GROUP_DEFAULTS, GROUP_MEMBERS,
IMAGE_DETAILS), registered into the table of ``hql.py``."""

from __future__ import annotations

import omero

from . import catalogue as cat
from .hql import Query, Row, pattern
from .model import to_rtype


@pattern("CHANNELS",
         r"select img\.id, index\(chan\), lc\.name, lc\.emissionWave\.value, chan\.red,"
         r" chan\.green, chan\.blue, si\.globalMin, si\.globalMax from Pixels p"
         r" join p\.image as img join p\.channels as chan"
         r" join chan\.logicalChannel as lc left outer join chan\.statsInfo as si"
         r" where img\.id in \(:ids\) order by img\.id, index\(chan\)")
def channels(q: Query):
    """The channels the catalogue describes, as model.Builder.channel builds them."""
    rows = []
    for img in (q.get("Image", i) for i in sorted(set(q.ids()))):
        if img is None or img.pixels is None:
            continue
        low, high = cat.type_range(img.pixels.pixel_type)
        for c, spec in enumerate(img.pixels.channels):
            red, green, blue = (int(spec.color[i:i + 2], 16) for i in (0, 2, 4))
            rows.append(Row([to_rtype(img.id), omero.rtypes.rint(c), to_rtype(spec.name),
                             omero.rtypes.rdouble(spec.emission_wave)
                             if spec.emission_wave is not None else None,
                             omero.rtypes.rint(red), omero.rtypes.rint(green),
                             omero.rtypes.rint(blue), omero.rtypes.rdouble(low),
                             omero.rtypes.rdouble(high)], img.owner, img.group))
    return rows


@pattern("GROUP_DEFAULTS",
         r"select a\.id, a\.details\.owner\.id from ExperimenterGroupAnnotationLink l"
         r" join l\.child a where l\.parent\.id in \(:ids\) and a\.ns = :ns"
         r" and a\.class = MapAnnotation order by a\.id")
def group_defaults(q: Query):
    """Map annotations of a namespace linked to groups, as the caller may read them."""
    ids, ns, found = set(q.ids()), q.param("ns"), {}
    for link in list(q.store.links.values()):
        ann = q.store.annotations.get(link.child_id)
        if (link.parent_type != "ExperimenterGroup" or link.parent_id not in ids
                or ann is None or ann.kind != "MapAnnotation" or ann.ns != ns):
            continue
        if q.caller.can_read(link.owner, link.group) and \
                q.caller.can_read(ann.owner, ann.group):
            found[ann.id] = Row([to_rtype(ann.id), to_rtype(ann.owner)], ann.owner,
                                ann.group)
    return [found[i] for i in sorted(found)]


@pattern("GROUP_MEMBERS",
         r"select m\.parent\.id, m\.child\.id, m\.owner from GroupExperimenterMap m"
         r" where m\.parent\.id in \(:ids\) order by m\.id")
def group_members(q: Query):
    """GroupExperimenterMap is a system type, readable by every user; admins are the
    members of the system group (id 0)."""
    ids, rows = set(q.ids()), []
    for user in sorted(q.cat.users.values(), key=lambda u: u.id):
        for gid in list(user.groups) + ([0] if user.admin else []):
            if gid in ids:
                rows.append(Row([to_rtype(gid), to_rtype(user.id),
                                 omero.rtypes.rbool(gid in user.leads)]))
    return rows


@pattern("IMAGE_DETAILS",
         r"select i\.id, i\.description, i\.acquisitionDate from Image i"
         r" where i\.id in \(:ids\) order by i\.id")
def image_details(q: Query):
    """Image.description is text, Image.acquisitionDate a timestamp (omero-model
    ``acquisition.ome.xml``): projected, they come as RString and RTime (ms), or null."""
    rows = []
    for img in (q.get("Image", i) for i in sorted(set(q.ids()))):
        if img is None:
            continue
        date = omero.rtypes.rtime(img.acquisition_date) if img.acquisition_date else None
        rows.append(Row([to_rtype(img.id), to_rtype(img.description), date],
                        img.owner, img.group))
    return rows


@pattern("CONTAINER_NAMES",
         r"select img\.id, prj\.name, dset\.name, scr\.name, plt\.name, w\.row, w\.column,"
         r" plt\.rowNamingConvention, plt\.columnNamingConvention"
         r" from Image img left outer join img\.datasetLinks dil"
         r" left outer join dil\.parent dset left outer join dset\.projectLinks pdl"
         r" left outer join pdl\.parent prj left outer join img\.wellSamples smp"
         r" left outer join smp\.well w left outer join w\.plate plt"
         r" left outer join plt\.screenLinks spl left outer join spl\.parent scr"
         r" where img\.id in \(:ids\) order by img\.id")
def container_names(q: Query):
    """The left outer joins of omero-web's marshal_lineage (omeroweb/webclient/tree.py):
    one row per combination of (dataset, project) and (well, plate, screen) links, nulls
    where a side has none; parents the caller cannot read are nulls too (the joined
    rows are filtered by the security system, the image's row is kept). The plate's
    naming conventions are Plate.rowNamingConvention / columnNamingConvention
    (omero-model ``Screen.ome.xml``), null when not set."""
    rows = []
    for img in (q.get("Image", i) for i in sorted(set(q.ids()))):
        if img is None:
            continue
        left = [(p if q.visible(p) else None, d) for d in img.datasets if q.visible(d)
                for p in (d.projects or [None])] or [(None, None)]
        right = [(s if q.visible(s) else None, ws.well.plate, ws.well)
                 for ws in img.well_samples if q.visible(ws) and ws.well is not None
                 for s in (ws.well.plate.screens or [None])] or [(None, None, None)]
        for project, dataset in left:
            for screen, plate, well in right:
                rows.append(Row([to_rtype(img.id), _name(project), _name(dataset),
                                 _name(screen), _name(plate),
                                 omero.rtypes.rint(well.row) if well else None,
                                 omero.rtypes.rint(well.column) if well else None,
                                 to_rtype(plate.row_naming) if plate else None,
                                 to_rtype(plate.column_naming) if plate else None],
                                img.owner, img.group))
    return rows


def _name(entity):
    return to_rtype(entity.name) if entity is not None else None
