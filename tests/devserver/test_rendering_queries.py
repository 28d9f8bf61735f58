"""The dev server's answers to the plugin's RENDERING_SETTINGS and REVERSED_CHANNELS
projections (omero_cli_ngff/omero_io/queries.py), sent with stock omero-py's IQuery.

What a real server answers, from its sources: ``PixelsImpl.retrieveAllRndSettings``
(omero-server) reads the same objects, newest first (``order by
rdef.details.updateEvent.time desc``); ChannelBinding's red, green, blue are ints,
inputStart/inputEnd doubles, active a boolean, family and model enumerations projected
by their ``value`` strings (omero-model ``display.ome.xml``, omero-blitz ``IceMapper``);
a RenderingDef is a group-permissioned object: a user outside the image's private group
reads none of it (omero-server ``QueryImpl``, like every query)."""

import omero
import omero.clients  # noqa: F401  (loads the model before omero.sys)
import pytest
from omero.rtypes import rlist, rlong
from omero.sys import ParametersI

from omero_cli_ngff.omero_io import queries
from tests.helpers.servers import devserver_of

pytestmark = pytest.mark.devserver


def project(conn, hql, ids):
    params = ParametersI()
    params.add("ids", rlist([rlong(i) for i in ids]))
    return conn.getQueryService().projection(hql, params, {"omero.group": "-1"})


def test_one_row_per_channel_binding_with_the_servers_types(omero_devserver):
    conn = omero_devserver.connect("alice")
    try:
        rows = project(conn, queries.RENDERING_SETTINGS, [2, 1])
    finally:
        conn.close()
    cat = omero_devserver.catalogue
    expected = [(i, c) for i in (1, 2) for c in range(len(cat.image(i).pixels.channels))
                if cat.image(i).pixels.rendering_def]
    assert [(r[0].getValue(), r[6].getValue()) for r in rows] == expected
    first = rows[0]
    assert first[1].getValue() == cat.image(1).pixels.id
    assert first[2].getValue() == cat.image(1).owner
    types = [omero.RInt, omero.RBool, omero.RInt, omero.RInt, omero.RInt, omero.RDouble,
             omero.RDouble, omero.RString, omero.RDouble]
    assert all(isinstance(v, t) for v, t in zip(first[6:], types))
    assert isinstance(first[5], omero.RString)


def test_another_groups_settings_are_not_read(omero_devserver):
    """Bob, in the private group only, reads none of Alice's settings."""
    conn = omero_devserver.connect("bob")
    try:
        assert project(conn, queries.RENDERING_SETTINGS, [1, 2]) == []
        assert project(conn, queries.REVERSED_CHANNELS, [1, 2]) == []
    finally:
        conn.close()


INVERTED = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users: [{id: 2, name: alice, password: alice-pw, groups: [lab]}]
images:
  - {id: 1, name: a.tif, owner: alice, sizeX: 8, sizeY: 8, sizeC: 3,
     channels: [{name: A, inverted: true}, {name: B}, {name: C, inverted: true}]}
  - {id: 2, name: b.tif, owner: alice, sizeX: 8, sizeY: 8, sizeC: 1, renderingDef: false,
     channels: [{name: D, inverted: true}]}
"""


def test_reversed_channels_are_the_inverted_ones(tmp_path_factory):
    """Only settings that exist have bindings: image 2 has none (``renderingDef:
    false``), so its channel gives no row."""
    server = devserver_of(tmp_path_factory, "reversed", INVERTED)
    try:
        conn = server.connect("alice")
        try:
            rows = project(conn, queries.REVERSED_CHANNELS, [1, 2])
        finally:
            conn.close()
    finally:
        server.stop()
    pixels_id = server.catalogue.image(1).pixels.id
    assert [(r[0].getValue(), r[1].getValue()) for r in rows] == [(pixels_id, 0),
                                                                   (pixels_id, 2)]
