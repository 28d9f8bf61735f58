"""Query patterns of the plugin's ownership evidence (omero_cli_ngff
``omero_io/queries.py``: IMAGES_UNDER_URL, a LIKE on map values as omero-mapr sends it),
registered into the table of ``hql.py``."""

from __future__ import annotations

import re

from .hql import Query, Row, pattern
from .model import to_rtype


def _like(pattern_text: str) -> re.Pattern[str]:
    """SQL LIKE as PostgreSQL (OMERO's database) reads it: '%' any run, '_' any one
    character, '\\' escapes the next one (its default ESCAPE); case-sensitive."""
    out, escaped = [], False
    for ch in pattern_text:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


@pattern("IMAGES_UNDER_URL",
         r"select l\.parent\.id, mv\.value from ImageAnnotationLink l join l\.child a"
         r" join a\.mapValue mv where a\.ns = :ns and mv\.name = :key"
         r" and mv\.value like :prefix order by l\.parent\.id")
def images_under_url(q: Query):
    ns, key, like = q.param("ns"), q.param("key"), _like(q.param("prefix"))
    rows = []
    for link in sorted(q.store.links.values(), key=lambda ln: ln.parent_id):
        ann = q.store.annotations.get(link.child_id)
        if link.parent_type != "Image" or ann is None or ann.ns != ns:
            continue
        img = q.cat.images.get(link.parent_id)
        if not (q.visible(img) and q.caller.can_read(ann.owner, ann.group)):
            continue
        for k, v in ann.values:
            if k == key and v is not None and like.fullmatch(v):
                rows.append(Row([to_rtype(img.id), to_rtype(v)], img.owner, img.group))
    return rows
