"""The NGFF `omero` block is read without writes (issue #12, point 7), by query for many
images at once, never from a rendering engine per image (issue #16: about 30 calls an
image, and on a real server a second opening of its pixels)."""

import json

import omero
import pytest

from omero_cli_ngff.model.objects import ObjectRef
from omero_cli_ngff.omero_io import queries, targets
from omero_cli_ngff.omero_io.query import QueryRunner
from omero_cli_ngff.omero_io.rendering import (
    Settings,
    chosen,
    default_color,
    read_rendering,
    rendering_info,
)
from tests.helpers.export import run_export
from tests.helpers.servers import devserver_of

pytestmark = pytest.mark.devserver

CATALOGUE = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users: [{id: 2, name: alice, password: alice-pw, groups: [lab]},
        {id: 4, name: bob, password: bob-pw, groups: [lab]}]
images:
  - {id: 1, name: fresh.tif, owner: alice, sizeX: 64, sizeY: 48, sizeZ: 5, sizeC: 2,
     type: uint16, renderingDef: false, fileset: {files: [alice_3/fresh.tif]},
     channels: [{name: DAPI, color: 0000FF}, {name: GFP, color: 00FF00}]}
  - {id: 2, name: set.tif, owner: alice, sizeX: 64, sizeY: 48, sizeC: 2, type: uint8,
     fileset: {files: [alice_3/set.tif]},
     channels: [{name: A, color: FF00FF, window: [10, 200]},
                {name: B, color: 00FFFF, window: [5, 100], active: false}]}
  - {id: 3, name: tuned.tif, owner: alice, sizeX: 64, sizeY: 48, sizeZ: 7, sizeC: 2,
     type: uint16, defaultZ: 5, model: greyscale, fileset: {files: [alice_3/tuned.tif]},
     channels: [{name: C, color: FFFF00, window: [100, 900], inverted: true,
                 family: exponential, coefficient: 1.5},
                {name: D, color: FF8000, window: [0, 4000]}]}
  - {id: 4, name: bobs.tif, owner: alice, sizeX: 64, sizeY: 48, sizeC: 1, type: uint16,
     renderingDef: false, fileset: {files: [alice_3/bobs.tif]},
     channels: [{name: E, color: 00FF00, window: [1, 2]}]}
"""


@pytest.fixture(scope="module", params=["read-write", "read-only"])
def server(request, tmp_path_factory):
    srv = devserver_of(tmp_path_factory, "rendering-" + request.param, CATALOGUE,
                       read_only=request.param == "read-only")
    yield srv
    srv.stop()


def record_of(conn, image_id):
    (record,) = targets.resolve(conn, [ObjectRef("Image", image_id)]).images
    return record


def has_settings(conn, record) -> bool:
    engine = conn.c.sf.createRenderingEngine()
    try:
        engine.lookupPixels(record.pixels_id, {"omero.group": "3"})
        return engine.lookupRenderingDef(record.pixels_id, {"omero.group": "3"})
    finally:
        engine.close()


def test_without_settings_nothing_is_written(server):
    """No rendering settings: OMERO's defaults from the channels, and still no settings
    on the server afterwards (omero-py's getChannels would have created them: a write,
    refused by a read-only server)."""
    conn = server.connect("alice")
    try:
        record = record_of(conn, 1)
        info = rendering_info(conn, record)
        assert [(c.label, c.color) for c in info.channels] == [("DAPI", "0000FF"),
                                                               ("GFP", "00FF00")]
        assert [(c.window_start, c.window_end) for c in info.channels] == [(0, 65535)] * 2
        assert (info.default_z, info.default_t, info.model) == (2, 0, "color")
        assert has_settings(conn, record) is False
    finally:
        conn.close()


def test_existing_settings_come_from_the_query(server):
    conn = server.connect("alice")
    try:
        info = rendering_info(conn, record_of(conn, 2))
    finally:
        conn.close()
    assert [(c.label, c.color, c.window_start, c.window_end, c.active)
            for c in info.channels] == [("A", "FF00FF", 10, 200, True),
                                        ("B", "00FFFF", 5, 100, False)]


def test_pending_pyramid_needs_no_engine(omero_devserver):
    """Demo image 13's pyramid is pending: RenderingEngine.load would raise
    MissingPyramidException; the query reads the settings all the same."""
    conn = omero_devserver.connect("alice")
    try:
        info = rendering_info(conn, record_of(conn, 13))
    finally:
        conn.close()
    assert [c.label for c in info.channels] == ["0", "1", "2"]
    assert [c.color for c in info.channels] == ["FF0000", "00FF00", "0000FF"]


@pytest.mark.parametrize("row, index, color", [
    ([0, None, None, 12, 34, 56, None, None], 0, "0C2238"),      # the channel's own
    ([0, None, 460.0, None, None, None, None, None], 0, "0000FF"),
    ([0, None, 520.0, None, None, None, None, None], 0, "00FF00"),
    ([0, None, 650.0, None, None, None, None, None], 0, "FF0000"),
    ([0, None, None, None, None, None, None, None], 0, "FF0000"),  # by index
    ([1, None, 900.0, None, None, None, None, None], 1, "0000FF"),
    ([2, None, None, None, None, None, None, None], 2, "00FF00"),
])
def test_default_colors_follow_omeros_colors_factory(row, index, color):
    assert default_color(row, index) == color


def test_export_without_settings_on_any_server(server, tmp_path, capsys):
    """Through the CLI: the copy's `omero` block has the channels' names and colours,
    read-only server included, and nothing was written to OMERO."""
    rc, rows, err = run_export(server, capsys, "Image:1", "--output", str(tmp_path),
                               user="alice")
    assert rc == 0, err
    attrs = json.loads((tmp_path / "1.ome.zarr" / "0" / "zarr.json").read_text())
    omero_block = attrs["attributes"]["ome"]["omero"]
    assert [(c["label"], c["color"]) for c in omero_block["channels"]] == [
        ("DAPI", "0000FF"), ("GFP", "00FF00")]
    conn = server.connect("alice")
    try:
        assert has_settings(conn, record_of(conn, 1)) is False
    finally:
        conn.close()


def test_every_binding_value_comes_through(server):
    """Inverted (a ReverseIntensityContext), family, coefficient, model and default Z:
    the values omero-server keeps in RenderingDef and ChannelBinding."""
    conn = server.connect("alice")
    try:
        info = rendering_info(conn, record_of(conn, 3))
    finally:
        conn.close()
    assert (info.default_z, info.default_t, info.model) == (5, 0, "greyscale")
    assert [(c.label, c.color, c.window_start, c.window_end, c.inverted, c.family,
             c.coefficient) for c in info.channels] == [
        ("C", "FFFF00", 100, 900, True, "exponential", 1.5),
        ("D", "FF8000", 0, 4000, False, "linear", 1.0)]
    assert [(c.window_min, c.window_max) for c in info.channels] == [(0, 65535)] * 2


def test_many_images_cost_three_queries_and_no_engine(server):
    """Every image's settings in three queries (channels, settings, inverted channels),
    whatever the number of images; no RenderingEngine is created."""
    conn = server.connect("alice")
    try:
        records = [record_of(conn, i) for i in (1, 2, 3, 4)]
        runner = QueryRunner(conn)
        before, engines = server.query_count(), engines_created(server)
        found = read_rendering(runner, records, caller_id=2)
        kinds = [q["query"].split(" from ")[1].split()[0] for q in server.queries()[before:]]
        assert engines_created(server) == engines
    finally:
        conn.close()
    assert runner.calls == 3 and kinds == ["Pixels", "RenderingDef", "RenderingDef"]
    assert sorted(found) == [1, 2, 3, 4]
    assert found[2].channels[1].active is False and found[3].channels[0].inverted
    assert found[1].channels[0].window_end == 65535          # no settings: defaults


def engines_created(server) -> int:
    log = (server.state_dir / "server.log").read_text()
    return log.count("ServiceFactory.createRenderingEngine")


def test_the_callers_settings_else_the_owners(server):
    """omero-server PixelsImpl.retrieveRndSettings: the caller's settings, else the image
    owner's; another user's are never used. Bob makes his own settings on Alice's image
    (a read-annotate group lets him): he reads them, Alice still gets the defaults. A
    read-only server refuses the write: both get the defaults."""
    bob = server.connect("bob")
    try:
        engine = bob.c.sf.createRenderingEngine()
        try:
            pixels_id = record_of(bob, 4).pixels_id
            engine.lookupPixels(pixels_id, {"omero.group": "3"})
            if server.read_only:
                with pytest.raises(omero.ApiUsageException):
                    engine.resetDefaultSettings(True, {"omero.group": "3"})
            else:
                engine.resetDefaultSettings(True, {"omero.group": "3"})
        finally:
            engine.close()
        as_bob = rendering_info(bob, record_of(bob, 4))
    finally:
        bob.close()
    alice = server.connect("alice")
    try:
        as_alice = rendering_info(alice, record_of(alice, 4))
    finally:
        alice.close()
    bobs = (1, 2) if not server.read_only else (0, 65535)
    assert (as_bob.channels[0].window_start, as_bob.channels[0].window_end) == bobs
    assert (as_alice.channels[0].window_start, as_alice.channels[0].window_end) == (0, 65535)


def _settings(rdef_id, owner_id):
    return Settings(rdef_id, owner_id, 0, 0, "rgb")


def test_chosen_settings_follow_retrieve_rnd_settings():
    """Newest first (the query's order): the caller's newest, else the owner's newest,
    never a third user's."""
    found = [_settings(9, 7), _settings(8, 2), _settings(6, 5), _settings(5, 2)]
    assert chosen(found, caller_id=2, owner_id=5).id == 8
    assert chosen(found, caller_id=3, owner_id=5).id == 6
    assert chosen(found, caller_id=3, owner_id=4) is None
    assert chosen([], caller_id=2, owner_id=2) is None


class _OlderServer(QueryRunner):
    """Sends the settings query in a form the server refuses (a real QueryException
    from the dev server), as a server whose model lacks a field would."""

    def rows(self, hql, ids=None, page=5000, **strings):
        if hql == queries.RENDERING_SETTINGS:
            hql = hql.replace("cb.coefficient", "cb.noSuchField")
        return super().rows(hql, ids, page, **strings)


def test_unreadable_settings_leave_the_defaults(server):
    """The pixels matter more than their display: settings the server refuses to
    read give OMERO's defaults, with a warning, not a failed export."""
    conn = server.connect("alice")
    try:
        found = read_rendering(_OlderServer(conn), [record_of(conn, 2)], caller_id=2)
    finally:
        conn.close()
    assert [(c.label, c.color, c.window_start, c.active) for c in found[2].channels] == [
        ("A", "FF00FF", 0, True), ("B", "00FFFF", 0, True)]


def test_a_channel_without_binding_gets_omeros_default():
    """Settings with fewer bindings than channels (settings made before a channel was
    added): the channel without one gets what OMERO would make for it, its colour by
    its own index (blue for the second)."""
    from omero_cli_ngff.model.records import ImageRecord
    record = ImageRecord(1, "x", 1, size_x=8, size_y=8, size_c=2, pixel_type="uint16")
    settings = _settings(5, 2)
    settings.bindings[0] = [True, 255, 255, 0, 10.0, 20.0, "linear", 1.0]
    rows = [[0, "A", None, None, None, None, None, None],
            [1, "B", None, None, None, None, None, None]]
    info = settings.info(record, rows)
    assert [(c.label, c.color, c.window_start, c.window_end) for c in info.channels] == [
        ("A", "FFFF00", 10, 20), ("B", "0000FF", 0, 65535)]
