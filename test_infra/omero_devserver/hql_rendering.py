"""Query patterns of the plugin's rendering settings (omero_cli_ngff ``omero_io/queries.py``:
RENDERING_SETTINGS, REVERSED_CHANNELS), registered into the table of ``hql.py``.

The catalogue keeps one settings object per image, its owner's (``renderingDef: false``:
none), with the values the rendering engine answers (services/rendering.py); settings a
client created (``resetDefaultSettings(True)``) belong to that client. A settings object
has the id of its pixels, and takes the image's group: in omero-server a RenderingDef is
a group-permissioned object like the image, so the caller reads it as the image.
"""

from __future__ import annotations

from omero.rtypes import rbool, rdouble, rint, rlong, rstring

from .hql import Query, Row, pattern
from .model import to_rtype


def _settings(q: Query):
    """(image, owner of its settings) for the images asked, in id order."""
    for img in (q.get("Image", i) for i in sorted(set(q.ids()))):
        if img is None or img.pixels is None:
            continue
        pix = img.pixels
        if pix.rendering_def:
            yield img, img.owner
        elif pix.id in q.store.created_rendering_defs:
            yield img, q.store.created_rendering_defs[pix.id]


@pattern("RENDERING_SETTINGS",
         r"select img\.id, rdef\.id, rdef\.details\.owner\.id, rdef\.defaultZ,"
         r" rdef\.defaultT, m\.value, index\(cb\), cb\.active, cb\.red, cb\.green,"
         r" cb\.blue, cb\.inputStart, cb\.inputEnd, f\.value, cb\.coefficient"
         r" from RenderingDef rdef join rdef\.pixels p join p\.image img"
         r" join rdef\.model m join rdef\.waveRendering cb join cb\.family f"
         r" where img\.id in \(:ids\) order by img\.id,"
         r" rdef\.details\.updateEvent\.time desc, rdef\.id desc, index\(cb\)")
def rendering_settings(q: Query):
    """One row per channel binding (ChannelBinding.red/green/blue are ints 0-255,
    inputStart/inputEnd doubles, omero-model ``display.ome.xml``)."""
    rows = []
    for img, owner in _settings(q):
        pix = img.pixels
        for c, ch in enumerate(pix.channels):
            red, green, blue = (int(ch.color[i:i + 2], 16) for i in (0, 2, 4))
            rows.append(Row([to_rtype(img.id), rlong(pix.id), rlong(owner),
                             rint(pix.default_z), rint(pix.default_t), rstring(pix.model),
                             rint(c), rbool(ch.active), rint(red), rint(green), rint(blue),
                             rdouble(ch.window[0]), rdouble(ch.window[1]),
                             rstring(ch.family), rdouble(ch.coefficient)],
                            owner, img.group))
    return rows


@pattern("REVERSED_CHANNELS",
         r"select rdef\.id, index\(cb\) from RenderingDef rdef join rdef\.pixels p"
         r" join p\.image img join rdef\.waveRendering cb"
         r" join cb\.spatialDomainEnhancement ctx where img\.id in \(:ids\)"
         r" and ctx\.class = ReverseIntensityContext order by rdef\.id, index\(cb\)")
def reversed_channels(q: Query):
    """The bindings whose codomain maps include a ReverseIntensityContext."""
    return [Row([rlong(img.pixels.id), rint(c)], owner, img.group)
            for img, owner in sorted(_settings(q), key=lambda pair: pair[0].pixels.id)
            for c, ch in enumerate(img.pixels.channels) if ch.inverted]

