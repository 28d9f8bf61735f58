"""RawPixelsStore of the dev server: generated tiles equal the generator's values."""

import threading
import time

import numpy as np
import omero
import pytest

from test_infra.omero_devserver.catalogue import load_catalogue
from test_infra.omero_devserver.pixels import decode, expected_tile
from test_infra.omero_fixtures import require_devserver

DEMO = load_catalogue()
BIG_ENDIAN = {"int8": ">i1", "uint8": ">u1", "int16": ">i2", "uint16": ">u2",
              "int32": ">i4", "uint32": ">u4", "float": ">f4", "double": ">f8",
              "bit": ">u1"}


@pytest.fixture(scope="module")
def alice(omero_server):
    conn = require_devserver(omero_server).connect("alice")
    yield conn
    conn.close()


@pytest.fixture
def store(alice):
    stores = []

    def open_store(image_id):
        rps = alice.c.sf.createRawPixelsStore()
        stores.append(rps)
        rps.setPixelsId(DEMO.image(image_id).pixels.id, True, alice.SERVICE_OPTS)
        return rps

    yield open_store
    for rps in stores:
        rps.close()


# -------------------------------------------------------------- the generator itself

def test_generator_is_deterministic_and_typed():
    a = expected_tile(2, 1, 2, 0, 5, 7, 30, 20)
    assert a.dtype == np.uint16 and a.shape == (20, 30)
    assert np.array_equal(a, expected_tile(2, 1, 2, 0, 5, 7, 30, 20))
    # a sub-tile is the same region of a bigger tile
    big = expected_tile(2, 1, 2, 0, 0, 0, 64, 64)
    assert np.array_equal(big[7:27, 5:35], a)
    # the ramp formula of the docs
    seed = 2
    assert a[0, 0] == 7 * seed + 5 + 2 * 7 + 101 * 1 + 37 * 2


def test_generator_levels_subsample_full_resolution():
    full = expected_tile(1, 0, 0, 0, 0, 0, 64, 64)
    level2 = expected_tile(1, 0, 0, 0, 0, 0, 16, 16, level=2)
    assert np.array_equal(level2, full[::4, ::4])


def test_generator_costs_nothing_for_huge_images():
    t0 = time.perf_counter()
    tile = expected_tile(14, 0, 2, 0, 199_488, 99_488, 512, 512)
    assert tile.shape == (512, 512) and tile.dtype == np.uint8
    assert time.perf_counter() - t0 < 0.5


@pytest.mark.devserver
@pytest.mark.parametrize("image_id", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
def test_tiles_equal_the_generator_for_every_pixel_type(store, image_id):
    pix = DEMO.image(image_id).pixels
    rps = store(image_id)
    assert rps.getByteWidth() == pix.bytes_per_pixel
    assert rps.isSigned() == (pix.pixel_type in ("int8", "int16", "int32", "float",
                                                 "double"))
    assert rps.isFloat() == (pix.pixel_type in ("float", "double"))
    z, c, t = pix.size_z - 1, pix.size_c - 1, pix.size_t - 1
    w, h = min(37, pix.size_x - 3), min(21, pix.size_y - 5)
    data = rps.getTile(z, c, t, 3, 5, w, h)
    assert len(data) == w * h * pix.bytes_per_pixel
    got = np.frombuffer(data, dtype=BIG_ENDIAN[pix.pixel_type]).reshape(h, w)
    want = expected_tile(image_id, z, c, t, 3, 5, w, h)
    assert np.array_equal(got, want)
    assert np.array_equal(decode(data, pix.pixel_type, w, h), want)
    if pix.pixel_type == "int8":
        # the ramp wraps into negative values
        assert expected_tile(image_id, 0, 0, 0, 0, 0, pix.size_x, pix.size_y).min() < 0


@pytest.mark.devserver


def test_plane_and_sizes(store):
    rps = store(2)
    assert rps.getPlaneSize() == 256 * 192 * 2
    plane = np.frombuffer(rps.getPlane(4, 1, 0), ">u2").reshape(192, 256)
    assert np.array_equal(plane, expected_tile(2, 4, 1, 0, 0, 0, 256, 192))
    with pytest.raises(omero.ApiUsageException):
        rps.getTile(5, 0, 0, 0, 0, 10, 10)    # z out of range
    with pytest.raises(omero.ApiUsageException):
        rps.getTile(0, 0, 0, 250, 0, 10, 10)  # beyond the right edge


@pytest.mark.devserver


def test_resolution_levels_use_omero_numbering(store):
    rps = store(1)
    assert rps.getResolutionLevels() == 3
    assert rps.getResolutionLevel() == 2                     # starts at full resolution
    descriptions = rps.getResolutionDescriptions()
    assert [(d.sizeX, d.sizeY) for d in descriptions] == [(1024, 768), (512, 384),
                                                         (256, 192)]
    assert rps.getTileSize() == [256, 256]
    rps.setResolutionLevel(0)                                  # the smallest
    assert rps.getPlaneSize() == 256 * 192
    data = rps.getTile(0, 2, 0, 0, 0, 256, 192)
    assert np.array_equal(np.frombuffer(data, "u1").reshape(192, 256),
                          expected_tile(1, 0, 2, 0, 0, 0, 256, 192, level=2))
    rps.setResolutionLevel(1)
    data = rps.getTile(0, 0, 0, 256, 128, 100, 50)
    assert np.array_equal(np.frombuffer(data, "u1").reshape(50, 100),
                          expected_tile(1, 0, 0, 0, 256, 128, 100, 50, level=1))


@pytest.mark.devserver


def test_huge_image_tiles_and_plane_refused(store):
    rps = store(14)
    assert rps.getResolutionLevels() == 8
    assert rps.getResolutionDescriptions()[0].sizeX == 200_000
    data = rps.getTile(0, 1, 0, 150_000, 90_000, 512, 512)
    assert np.array_equal(np.frombuffer(data, "u1").reshape(512, 512),
                          expected_tile(14, 0, 1, 0, 150_000, 90_000, 512, 512))
    with pytest.raises(omero.ApiUsageException) as err:
        rps.getPlane(0, 0, 0)                 # 20 GB: above the Ice message limit
    assert "MessageSizeMax" in err.value.message
    rps.setResolutionLevel(0)                 # 1562 x 781: fine
    assert len(rps.getPlane(0, 0, 0)) == 1562 * 781


@pytest.mark.devserver


def test_missing_pyramid(alice):
    rps = alice.c.sf.createRawPixelsStore()
    try:
        with pytest.raises(omero.MissingPyramidException) as err:
            rps.setPixelsId(DEMO.image(13).pixels.id, True, alice.SERVICE_OPTS)
        assert err.value.pixelsID == DEMO.image(13).pixels.id
    finally:
        rps.close()


@pytest.mark.devserver


def test_other_groups_pixels_are_refused(alice):
    rps = alice.c.sf.createRawPixelsStore()
    try:
        with pytest.raises(omero.ValidationException):
            rps.setPixelsId(DEMO.image(30).pixels.id, True, alice.SERVICE_OPTS)
    finally:
        rps.close()


@pytest.mark.devserver


def test_gateway_pixels_api(alice):
    img = alice.getObject("Image", 7)
    plane = img.getPrimaryPixels().getPlane(0, 1, 0)
    assert plane.dtype == np.float32
    assert np.array_equal(plane, expected_tile(7, 0, 1, 0, 0, 0, 96, 64))
    tile = img.getPrimaryPixels().getTile(0, 0, 0, (10, 20, 30, 5))
    assert np.array_equal(tile, expected_tile(7, 0, 0, 0, 10, 20, 30, 5))


@pytest.mark.devserver


def test_small_message_limit_and_tile_delay(start_omero_devserver):
    """A server option for decode cost: concurrent readers overlap their delays."""
    server = start_omero_devserver(extra_args=["--max-message-kb", "64"],
                                   tile_delay_ms=200)
    conn = server.connect("alice")
    try:
        pid = DEMO.image(10).pixels.id
        rps = conn.c.sf.createRawPixelsStore()
        rps.setPixelsId(pid, True, conn.SERVICE_OPTS)
        assert len(rps.getPlane(0, 0, 0)) == 300 * 200          # 60,000 bytes: fits
        rps.setPixelsId(DEMO.image(2).pixels.id, True, conn.SERVICE_OPTS)
        with pytest.raises(omero.ApiUsageException):
            rps.getPlane(0, 0, 0)                               # 98,304 bytes: refused
        rps.close()

        def read(i, out):
            s = conn.c.sf.createRawPixelsStore()
            s.setPixelsId(pid, True, conn.SERVICE_OPTS)
            out[i] = s.getTile(0, 0, 0, 0, i, 64, 1)
            s.close()

        out = {}
        threads = [threading.Thread(target=read, args=(i, out)) for i in range(6)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        assert len(out) == 6
        assert 0.2 <= elapsed < 0.9, elapsed      # six 200 ms tiles, in parallel
    finally:
        conn.close()


# ------------------------------------------------- realistic patterns (benchmarks)

BENCH = load_catalogue("bench_export.yaml")


def test_realistic_patterns_are_subsampled_at_levels_and_look_real():
    full = expected_tile(11, 0, 2, 0, 0, 0, 1024, 1024, catalogue=BENCH)
    assert full.dtype == np.uint8
    assert np.array_equal(expected_tile(11, 0, 2, 0, 0, 0, 256, 256, level=2,
                                        catalogue=BENCH), full[::4, ::4])
    stack = expected_tile(13, 3, 1, 0, 0, 0, 1024, 1024, catalogue=BENCH)
    assert stack.dtype == np.uint16
    assert 100 <= np.median(stack) <= 112 and stack.max() > 1000   # dark, a few blobs
    assert (stack > 1000).mean() < 0.1
    assert not np.array_equal(stack, expected_tile(13, 4, 1, 0, 0, 0, 1024, 1024,
                                                   catalogue=BENCH))


@pytest.mark.devserver


def test_slide_tiles_served_equal_the_generator_and_look_like_a_slide(
        start_omero_devserver):
    server = start_omero_devserver(catalogue="bench_export.yaml",
                                   extra_args=["--tile-cache-mib", "64"])
    conn = server.connect("alice")
    try:
        pix = BENCH.image(11).pixels
        rps = conn.c.sf.createRawPixelsStore()
        rps.setPixelsId(pix.id, True, conn.SERVICE_OPTS)
        assert rps.getResolutionLevels() == 3 and list(rps.getTileSize()) == [1024, 1024]
        planes = []
        for c in range(3):
            data = rps.getTile(0, c, 0, 0, 0, 4096, 4096)
            got = decode(data, "uint8", 4096, 4096)
            assert np.array_equal(got, expected_tile(11, 0, c, 0, 0, 0, 4096, 4096,
                                                     catalogue=BENCH))
            planes.append(got)
        # a cached tile is the same tile
        assert rps.getTile(0, 2, 0, 0, 0, 4096, 4096) == data
        rps.setResolutionLevel(1)                       # OMERO numbering: a half
        half = decode(rps.getTile(0, 0, 0, 512, 512, 512, 512), "uint8", 512, 512)
        assert np.array_equal(half, planes[0][1024:2048:2, 1024:2048:2])
        rps.close()
    finally:
        conn.close()
    rgb = np.stack(planes, axis=-1).astype(np.int16)
    glass = (rgb.min(axis=-1) >= 225)                   # near-white, on every channel
    assert 0.5 < glass.mean() < 0.95, glass.mean()      # mostly glass, some tissue
    assert (rgb == 255).mean() < 0.01                   # not saturated: sensor noise
    assert 1.0 < rgb[glass].std() < 3.0                 # noise of about +-2
    tissue = rgb[rgb.mean(axis=-1) < 180]
    assert len(tissue) > 0.02 * glass.size              # tissue, stained (not grey)
    assert np.abs(tissue[:, 0] - tissue[:, 2]).mean() > 5
