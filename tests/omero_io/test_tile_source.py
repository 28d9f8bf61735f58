"""The tile source reads pixels as OMERO 5.6 serves them (issue #12, point 3).

The dev server is strict about resolution levels by default (fidelity.py): a ROMIO
pixel buffer refuses ``setResolutionLevel`` for every level, as omero-romio's
``RomioPixelBuffer`` does, and ``getTileSize`` is the current level's tile.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from omero_cli_ngff.model.objects import ObjectRef
from omero_cli_ngff.omero_io import targets
from omero_cli_ngff.omero_io.tile_source import OmeroTileSource, PixelSourceError
from tests.devserver.test_resolution_levels import CATALOGUE
from tests.helpers.export import run_export
from tests.helpers.servers import devserver_of

pytestmark = pytest.mark.devserver


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = devserver_of(tmp_path_factory, "tile-source", CATALOGUE)
    yield srv
    srv.stop()


@pytest.fixture
def source(server):
    conn = server.connect("alice")
    opened = []

    def open_source(image_id, max_stores=None):
        (record,) = targets.resolve(conn, [ObjectRef("Image", image_id)]).images
        opened.append(OmeroTileSource(conn, record, max_stores=max_stores))
        return opened[-1]

    yield open_source
    for src in opened:
        src.close()
    conn.close()


def test_romio_pixels_are_read_without_setting_a_level(server, source):
    """Image 1 has no original file (ROMIO): one level, its tile is full-width rows
    (RomioPixelBuffer.getTileSize), and tiles read although setResolutionLevel would
    be refused."""
    src = source(1)
    assert src.levels == [(400, 3000)]
    assert src.tile_size == (174, 3000)
    tile = src.read(0, 0, 0, 0, 10, 20, 32, 48)
    np.testing.assert_array_equal(tile, server.expected_tile(1, 0, 0, 0, 20, 10, 48, 32))


def test_every_level_has_its_own_tile(server, source):
    """BfPixelBuffer.getTileSize is the reader's tile at the current level: the source
    asks at each level and reads each level on its own grid."""
    src = source(2)
    assert src.levels == [(3072, 4096), (1536, 2048), (768, 1024)]
    assert [src.level_tile_size(k) for k in range(3)] == [(512, 512), (256, 256),
                                                           (128, 128)]
    tile = src.read(2, 0, 1, 0, 128, 256, 128, 128)
    np.testing.assert_array_equal(
        tile, server.expected_tile(2, 0, 1, 0, 256, 128, 128, 128, level=2))


def tiles_served(server) -> int:
    conn = server.connect("alice")
    try:
        return int(conn.getConfigService().getConfigValue("omero.devserver.tile_count"))
    finally:
        conn.close()


def test_a_permanent_error_is_not_retried(server, source):
    """A region the server refuses (ApiUsageException) fails at once: no retries, no
    pauses between them (3 s in all), no tile served."""
    src = source(4)
    before = tiles_served(server)
    started = time.monotonic()
    with pytest.raises(PixelSourceError, match="refused by the server"):
        src.read(0, 0, 0, 0, 0, 0, 10_000, 10)
    assert time.monotonic() - started < 1.0
    assert tiles_served(server) == before


def stores_created(server) -> int:
    return (server.state_dir / "server.log").read_text().count(
        "ServiceFactory.createRawPixelsStore")


def test_reads_beyond_max_stores_wait_for_a_store(server, source):
    """Three channels read at once through at most one store: one store is opened (on a
    real server, one opening of the pixels), every tile is right."""
    before = stores_created(server)
    src = source(2, max_stores=1)
    with ThreadPoolExecutor(3) as pool:
        tiles = list(pool.map(lambda c: src.read(0, 0, c, 0, 0, 0, 64, 64), range(3)))
    assert stores_created(server) - before == 1
    for c, tile in enumerate(tiles):
        np.testing.assert_array_equal(tile, server.expected_tile(2, 0, c, 0, 0, 0, 64, 64))


def test_a_discarded_store_makes_room_for_a_new_one(server, source):
    """A refused read closes its store; with one store allowed, the next read opens
    another instead of waiting for ever."""
    src = source(4, max_stores=1)
    with pytest.raises(PixelSourceError):
        src.read(0, 0, 0, 0, 0, 0, 10_000, 10)
    with ThreadPoolExecutor(1) as pool:
        tile = pool.submit(src.read, 0, 0, 0, 0, 0, 0, 8, 8).result(timeout=10)
    np.testing.assert_array_equal(tile, server.expected_tile(4, 0, 0, 0, 0, 0, 8, 8))


@pytest.mark.parametrize("image_id", [1, 2, 3, 4])
def test_export_of_every_pixel_buffer_is_exact(server, tmp_path, capsys, image_id):
    """Through the real CLI: ROMIO, Bio-Formats with levels, a legacy pyramid and a
    single-level Bio-Formats file all export, every level equal to OMERO's."""
    import zarr

    from tests.helpers.export import expected_level

    rc, rows, err = run_export(server, capsys, f"Image:{image_id}", "--output",
                               str(tmp_path), user="alice")
    assert rc == 0, err
    (row,) = rows
    assert row["status"] == "written"
    group = zarr.open_group(str(tmp_path / f"{image_id}.ome.zarr" / "0"), mode="r")
    levels = server.catalogue.image(image_id).pixels.levels
    for level in range(levels):
        np.testing.assert_array_equal(group[str(level)][:],
                                      expected_level(server, image_id, level))
