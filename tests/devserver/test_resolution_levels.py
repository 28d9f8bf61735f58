"""RawPixelsStore levels and tiles follow the pixel buffer a real OMERO reads through."""

import textwrap

import omero
import pytest

from test_infra.omero_devserver.catalogue import CatalogueError, load_catalogue
from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

CATALOGUE = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users: [{id: 2, name: alice, password: alice-pw, groups: [lab]}]
images:
  - {id: 1, name: script-made, owner: alice, sizeX: 3000, sizeY: 400, type: uint16}
  - {id: 2, name: slide.svs, owner: alice, sizeX: 4096, sizeY: 3072, sizeC: 3,
     levels: 3, tileSize: [[512, 512], [256, 256], [128, 128]],
     fileset: {files: [alice_3/x/slide.svs]}}
  - {id: 3, name: legacy-big, owner: alice, sizeX: 4096, sizeY: 4096, levels: 2,
     tileSize: [256, 256]}
  - {id: 4, name: flat.tif, owner: alice, sizeX: 600, sizeY: 500,
     fileset: {files: [alice_3/x/flat.tif]}}
"""


def write_catalogue(folder, text=CATALOGUE, name="levels.yaml"):
    spec = folder / name
    spec.write_text(textwrap.dedent(text))
    return spec


@pytest.fixture(scope="module", params=["strict", "lenient"])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("levels-" + request.param)
    srv = start_devserver(folder / "state", catalogue=write_catalogue(folder),
                          extra_args=["--" + request.param, "resolution-levels"])
    srv.mode = request.param
    yield srv
    srv.stop()


@pytest.fixture
def store(server):
    conn = server.connect("alice")
    stores = []

    def open_store(image_id):
        rps = conn.c.sf.createRawPixelsStore()
        stores.append(rps)
        rps.setPixelsId(server.catalogue.image(image_id).pixels.id, True,
                        {"omero.group": "3"})
        return rps

    yield open_store
    for rps in stores:
        rps.close()
    conn.close()


def test_romio_pixels_refuse_every_level(server, store):
    """ome/omero-romio ``ome/io/nio/PixelsService._getPixelBuffer``: pixels without an
    original file and without a pyramid are served by ``RomioPixelBuffer``, whose
    ``setResolutionLevel`` throws ``UnsupportedOperationException`` for any level,
    0 included (omero-build ``ome/io/nio/RomioPixelBuffer.java``; omero-server
    ``RawPixelsBean.setResolutionLevel`` passes it on, and ``getHistogram`` avoids the
    call for one level for that reason); omero-blitz ``IceMapper.handleException``
    maps it to ``omero.InternalException``. Lenient mode (the default until the
    plugin stops calling it) accepts level 0."""
    rps = store(1)
    assert rps.getResolutionLevels() == 1 and rps.getResolutionLevel() == 0
    if server.mode == "strict":
        with pytest.raises(omero.InternalException) as err:
            rps.setResolutionLevel(0)
        assert err.value.message == "Cannot set resolution levels on a ROMIO pixel buffer."
        assert err.value.serverExceptionClass == "java.lang.UnsupportedOperationException"
    else:
        rps.setResolutionLevel(0)
    with pytest.raises(omero.InternalException):
        rps.setResolutionLevel(1)
    assert len(rps.getTile(0, 0, 0, 0, 0, 64, 64)) == 64 * 64 * 2   # tiles still read


def test_romio_tile_is_full_width_rows_of_one_mebibyte(store):
    """``RomioPixelBuffer.getTileSize``: width = sizeX, height = min(sizeY,
    (MAXIMUM_BUFFER_SIZE / byteWidth) / sizeX) with MAXIMUM_BUFFER_SIZE = 1048576."""
    assert store(1).getTileSize() == [3000, 174]      # 1048576 // 2 // 3000 = 174


def test_tile_size_is_the_current_levels(store):
    """omero-romio ``ome/io/bioformats/BfPixelBuffer.getTileSize`` is the reader's
    optimal tile at its current resolution, so it may differ per level (the catalogue
    lists one per level); ``setResolutionLevel`` counts from the smallest level
    (``BfPixelBuffer.setResolutionLevel``: ``levels - 1`` is full resolution)."""
    rps = store(2)
    assert rps.getResolutionLevels() == 3
    assert rps.getResolutionLevel() == 2 and rps.getTileSize() == [512, 512]
    rps.setResolutionLevel(1)
    assert rps.getTileSize() == [256, 256]
    rps.setResolutionLevel(0)
    assert rps.getTileSize() == [128, 128]
    assert [(d.sizeX, d.sizeY) for d in rps.getResolutionDescriptions()] == [
        (4096, 3072), (2048, 1536), (1024, 768)]


def test_pyramid_without_original_file_has_levels(store):
    """``PixelsService._getPixelBuffer`` step 2: an existing pyramid file is read by
    ``BfPyramidPixelBuffer`` (a ``BfPixelBuffer`` over the pyramid), whose levels can
    be set although there is no original file."""
    rps = store(3)
    rps.setResolutionLevel(0)
    assert rps.getResolutionLevel() == 0 and rps.getTileSize() == [256, 256]


def test_bioformats_single_level_accepts_level_zero(store):
    """An original file read by ``BfPixelBuffer`` with one resolution:
    ``setResolutionLevel(0)`` selects it (``bfReader.setResolution(0)``)."""
    rps = store(4)
    rps.setResolutionLevel(0)
    assert rps.getResolutionLevels() == 1


def test_catalogue_refuses_what_romio_cannot_be(tmp_path):
    """A ROMIO buffer has one level and a fixed tile: the catalogue says so rather than
    serve pixels a real server could not."""
    for n, (line, message) in enumerate((
            ("{id: 9, name: x, sizeX: 64, sizeY: 64, levels: 2, pixelBuffer: romio}",
             "has one level"),
            ("{id: 9, name: x, sizeX: 64, sizeY: 64, tileSize: [32, 32]}",
             "fixed tile"))):
        spec = write_catalogue(tmp_path, "images:\n  - %s\n" % line, "bad%d.yaml" % n)
        with pytest.raises(CatalogueError, match=message):
            load_catalogue(spec)
    spec = write_catalogue(tmp_path, "images:\n  - {id: 9, name: x, sizeX: 64, "
                                     "sizeY: 64, pixelBuffer: bioformats}\n", "ok.yaml")
    assert load_catalogue(spec).image(9).pixels.buffer == "bioformats"
