"""Tiles at every level: the plugin's tile source and export agree with what stock
omero-py's RawPixelsStore serves, level by level, with each level's own tile size."""

import numpy as np
import pytest

from omero_cli_ngff.model.objects import ObjectRef
from omero_cli_ngff.omero_io import targets
from omero_cli_ngff.omero_io.tile_source import WIRE_DTYPES, OmeroTileSource
from tests.contract.conftest import FLAT, PYRAMID
from tests.helpers.export import run_export

pytestmark = pytest.mark.devserver   # the dev server, unless a real one is given


def stock_levels(conn, record):
    """[(size_y, size_x, tile_h, tile_w, {corner: tile})] per level, full resolution
    first, read the way stock clients do (a level is set only when there are several)."""
    ctx = {"omero.group": str(record.group_id)}
    rps = conn.c.sf.createRawPixelsStore(ctx)
    try:
        rps.setPixelsId(record.pixels_id, True, ctx)
        count = rps.getResolutionLevels(ctx)
        sizes = ([(d.sizeY, d.sizeX) for d in rps.getResolutionDescriptions(ctx)]
                 if count > 1 else [(record.size_y, record.size_x)])
        out = []
        for level, (sy, sx) in enumerate(sizes):
            if count > 1:
                rps.setResolutionLevel(count - 1 - level, ctx)
            tw, th = rps.getTileSize(ctx)
            h, w = min(th, sy), min(tw, sx)
            corners = {}
            for y, x in ((0, 0), (sy - h, sx - w)):
                data = rps.getTile(0, record.size_c - 1, 0, x, y, w, h, ctx)
                corners[(y, x, h, w)] = np.frombuffer(
                    data, dtype=WIRE_DTYPES[record.pixel_type]).reshape(h, w)
            out.append((sy, sx, th, tw, corners))
        return out
    finally:
        rps.close()


def record_of(conn, image_id):
    (record,) = targets.resolve(conn, [ObjectRef("Image", image_id)]).images
    return record


@pytest.mark.parametrize("name", [PYRAMID, FLAT])
def test_every_level_as_stock_omero_py_reads_it(content, connect, name):
    conn = connect("alice")
    record = record_of(conn, content.images[name])
    expected = stock_levels(conn, record)
    with OmeroTileSource(conn, record) as source:
        assert source.levels == [(sy, sx) for sy, sx, *_ in expected]
        for level, (_, _, th, tw, corners) in enumerate(expected):
            assert source.level_tile_size(level) == (th, tw)
            for (y, x, h, w), tile in corners.items():
                got = source.read(level, 0, record.size_c - 1, 0, y, x, h, w)
                np.testing.assert_array_equal(got, tile)
    if name == PYRAMID:
        assert len(expected) > 1, "the pyramid image has one level: seed it again"


def test_export_of_every_level(content, connect, contract_server, cli_env, capsys):
    import zarr
    conn = connect("alice")
    image_id = content.images[PYRAMID]
    record = record_of(conn, image_id)
    expected = stock_levels(conn, record)
    out = cli_env / "export"
    rc, rows, err = run_export(contract_server, capsys, f"Image:{image_id}", "--output",
                               str(out), user="alice")
    assert rc == 0, err
    group = zarr.open_group(str(out / f"{image_id}.ome.zarr" / "0"), mode="r")
    for level, (sy, sx, _, _, corners) in enumerate(expected):
        array = group[str(level)]
        assert array.shape[-2:] == (sy, sx)
        for (y, x, h, w), tile in corners.items():
            np.testing.assert_array_equal(array[0, record.size_c - 1, 0, y:y + h, x:x + w],
                                          tile)
