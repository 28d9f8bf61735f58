"""Thumbnails of the index: the lowest level of an OME-Zarr image as a small PNG."""

import io

import numpy as np
import zarr
from PIL import Image

from omero_cli_ngff.ngff.thumbnail import MAX_SIDE, render_thumbnail, thumbnail_png


def _png(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def test_channels_take_their_colours_and_dim_data_is_stretched():
    plane = np.zeros((2, 40, 300), dtype=np.uint16)
    plane[0, :, :150] = 1000            # dim: the window (0..65535) is narrowed to it
    plane[1, :, 150:] = 500
    channels = [{"color": "FF0000", "window": {"start": 0, "end": 65535}},
                {"color": "00FF00", "window": {"start": 0, "end": 65535}}]
    picture = _png(render_thumbnail(plane, channels))
    assert picture.size == (MAX_SIDE, round(40 * MAX_SIDE / 300))
    left, right = picture.getpixel((10, 5)), picture.getpixel((MAX_SIDE - 10, 5))
    assert left == (255, 0, 0) and right == (0, 255, 0)


def test_inactive_channels_are_left_out():
    plane = np.full((2, 8, 8), 7, dtype=np.uint8)
    plane[:, 0, 0] = 0
    channels = [{"color": "FF0000", "active": False}, {"color": "0000FF"}]
    assert _png(render_thumbnail(plane, channels)).getpixel((4, 4)) == (0, 0, 255)


def test_thumbnail_of_a_zarr_image_uses_its_lowest_level():
    store = zarr.storage.MemoryStore()
    root = zarr.open_group(store, mode="w")
    for path, side in (("0", 64), ("1", 32)):
        arr = root.create_array(path, shape=(1, 3, 5, side, side), dtype="uint8")
        arr[:] = np.broadcast_to(np.arange(side, dtype=np.uint8), arr.shape)
    root.attrs["ome"] = {"version": "0.5", "multiscales": [{
        "axes": [{"name": a} for a in "tczyx"],
        "datasets": [{"path": "0"}, {"path": "1"}]}]}
    picture = _png(thumbnail_png(store, ""))
    assert picture.size == (32, 32)                 # level 1, not enlarged
    assert picture.mode == "RGB"
