"""Shapes drawn region by region equal the whole plane drawn at once, and follow the
rules of ngff/rasterise.py (polygons: scikit-image's polygon of the vertices)."""

import numpy as np
import pytest
from skimage.draw import polygon as sk_polygon

from omero_cli_ngff.model.rois import ShapeRecord
from omero_cli_ngff.ngff.downsample import downsample_mode2
from omero_cli_ngff.ngff.rasterise import shape_pixels

PLANE = (300, 400)


def whole(shape, plane=PLANE):
    got = shape_pixels(shape, (0, 0, *plane))
    return np.zeros(plane, bool) if got is None else got


def tiled(shape, tile=64, plane=PLANE):
    out = np.zeros(plane, bool)
    for y in range(0, plane[0], tile):
        for x in range(0, plane[1], tile):
            h, w = min(tile, plane[0] - y), min(tile, plane[1] - x)
            got = shape_pixels(shape, (y, x, h, w))
            if got is not None:
                out[y:y + h, x:x + w] = got
    return out


def packed(bits: np.ndarray) -> bytes:
    return np.packbits(bits.ravel(), bitorder="big").tobytes()


POLYGON = ShapeRecord(1, "Polygon", points=((10.5, 20.25), (250.0, 30.0), (380.3, 290.7),
                                            (60.0, 200.0), (100.0, 120.0)))
SHAPES = [
    POLYGON,
    ShapeRecord(2, "Rectangle", {"x": 10.0, "y": 20.0, "width": 100.0, "height": 50.0}),
    ShapeRecord(3, "Rectangle", {"x": 63.4, "y": 127.6, "width": 70.2, "height": 3.3}),
    ShapeRecord(4, "Ellipse", {"x": 200.0, "y": 150.0, "radiusX": 90.0, "radiusY": 40.5}),
    ShapeRecord(5, "Polygon", points=((0, 0), (399, 0), (0, 299)),
                transform=(1.0, 0.0, 0.0, 1.0, 10.0, 5.0)),
    ShapeRecord(6, "Rectangle", {"x": 100, "y": 100, "width": 50, "height": 20},
                transform=(0.8, 0.6, -0.6, 0.8, 0.0, 0.0)),
]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s.kind}{s.id}")
def test_regions_give_the_pixels_of_the_whole_plane(shape):
    full = whole(shape)
    assert full.any()
    np.testing.assert_array_equal(tiled(shape, 64), full)
    np.testing.assert_array_equal(tiled(shape, 100), full)


def test_polygon_is_scikit_image_of_its_vertices():
    rows = np.array([p[1] for p in POLYGON.points])
    cols = np.array([p[0] for p in POLYGON.points])
    want = np.zeros(PLANE, bool)
    want[sk_polygon(rows, cols, shape=PLANE)] = True
    np.testing.assert_array_equal(whole(POLYGON), want)


def test_rectangle_covers_width_columns_like_a_mask_of_the_box():
    rect = whole(SHAPES[1])
    assert rect.sum() == 100 * 50
    ys, xs = np.nonzero(rect)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (20, 69, 10, 109)
    mask = ShapeRecord(7, "Mask", {"x": 10.0, "y": 20.0, "width": 100.0, "height": 50.0},
                       mask=packed(np.ones((50, 100), bool)))
    np.testing.assert_array_equal(whole(mask), rect)


def test_ellipse_takes_the_pixels_whose_centre_is_inside():
    got = whole(ShapeRecord(8, "Ellipse", {"x": 50.0, "y": 40.0, "radiusX": 10.0,
                                           "radiusY": 5.0}))
    yy, xx = np.indices(PLANE)
    want = ((xx + 0.5 - 50) / 10) ** 2 + ((yy + 0.5 - 40) / 5) ** 2 < 1
    np.testing.assert_array_equal(got, want)


def test_mask_bits_land_where_omero_puts_them_even_cut_by_regions():
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, (37, 53)).astype(bool)      # 37 x 53: rows cross bytes
    mask = ShapeRecord(9, "Mask", {"x": 90.0, "y": 50.0, "width": 53.0, "height": 37.0},
                       mask=packed(bits))
    want = np.zeros(PLANE, bool)
    want[50:87, 90:143] = bits
    np.testing.assert_array_equal(whole(mask), want)
    np.testing.assert_array_equal(tiled(mask, 16), want)
    np.testing.assert_array_equal(mask.mask_array(), bits)
    moved = ShapeRecord(10, "Mask", mask.geometry, mask=mask.mask,
                        transform=(1.0, 0.0, 0.0, 1.0, 5.0, -3.0))
    np.testing.assert_array_equal(whole(moved), np.roll(np.roll(want, 5, 1), -3, 0))


def test_shapes_outside_or_without_area_draw_nothing():
    assert shape_pixels(ShapeRecord(1, "Rectangle", {"x": 500, "y": 0, "width": 5,
                                                     "height": 5}), (0, 0, *PLANE)) is None
    assert shape_pixels(ShapeRecord(2, "Point", {"x": 5, "y": 5}), (0, 0, *PLANE)) is None
    assert shape_pixels(ShapeRecord(3, "Polygon", points=((1, 1), (5, 5))),
                        (0, 0, *PLANE)) is None


def test_mode_downsampling_keeps_label_values_and_majorities():
    a = np.array([[1, 1, 3, 0],
                  [2, 1, 0, 3],
                  [7, 8, 5, 5],
                  [9, 6, 5, 0]], np.uint16)
    np.testing.assert_array_equal(downsample_mode2(a), [[1, 3], [7, 5]])
    odd = np.array([[4, 4, 2]], np.uint8)
    assert downsample_mode2(odd).tolist() == [[4, 2]]
    rng = np.random.default_rng(0)
    big = rng.integers(0, 5, (64, 64)).astype(np.uint8)
    out = downsample_mode2(big)
    blocks = big.reshape(32, 2, 32, 2).transpose(0, 2, 1, 3).reshape(32, 32, 4)
    assert all(out[i, j] in blocks[i, j] for i in range(32) for j in range(32))
