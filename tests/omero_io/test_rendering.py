"""The NGFF `omero` block is read without writes, and without a rendering engine when
the server has none to offer (issue #12, point 7)."""

import json

import pytest

from omero_cli_ngff.model.objects import ObjectRef
from omero_cli_ngff.omero_io import targets
from omero_cli_ngff.omero_io.rendering import default_color, rendering_info
from tests.helpers.export import run_export
from tests.helpers.servers import devserver_of

pytestmark = pytest.mark.devserver

CATALOGUE = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users: [{id: 2, name: alice, password: alice-pw, groups: [lab]}]
images:
  - {id: 1, name: fresh.tif, owner: alice, sizeX: 64, sizeY: 48, sizeZ: 5, sizeC: 2,
     type: uint16, renderingDef: false, fileset: {files: [alice_3/fresh.tif]},
     channels: [{name: DAPI, color: 0000FF}, {name: GFP, color: 00FF00}]}
  - {id: 2, name: set.tif, owner: alice, sizeX: 64, sizeY: 48, sizeC: 2, type: uint8,
     fileset: {files: [alice_3/set.tif]},
     channels: [{name: A, color: FF00FF, window: [10, 200]},
                {name: B, color: 00FFFF, window: [5, 100], active: false}]}
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


def test_existing_settings_come_from_the_engine(server):
    conn = server.connect("alice")
    try:
        info = rendering_info(conn, record_of(conn, 2))
    finally:
        conn.close()
    assert [(c.label, c.color, c.window_start, c.window_end, c.active)
            for c in info.channels] == [("A", "FF00FF", 10, 200, True),
                                        ("B", "00FFFF", 5, 100, False)]


def test_pending_pyramid_needs_no_engine(omero_devserver):
    """Demo image 13's pyramid is pending: RenderingEngine.load raises
    MissingPyramidException; the block comes from the channels."""
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
