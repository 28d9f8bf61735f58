"""omero-cli-zarr runs against the dev server: `omero zarr export Image:N`."""

import pytest

import json

import numpy as np
import zarr

from test_infra.omero_devserver.pixels import expected_tile

pytestmark = [pytest.mark.devserver]


def test_omero_zarr_export_writes_the_right_pixels(omero_devserver, omero_cli, tmp_path,
                                                   monkeypatch, capsys):
    omero_cli(["login", *omero_devserver.cli_login_args("alice")])
    monkeypatch.chdir(tmp_path)
    omero_cli(["zarr", "export", "Image:2", "--output", str(tmp_path)])
    capsys.readouterr()
    root = zarr.open_group(str(tmp_path / "2.ome.zarr"), mode="r")
    data = root["0"][:]
    assert data.shape == (3, 5, 192, 256)               # c, z, y, x
    want = np.stack([np.stack([expected_tile(2, z, c, 0, 0, 0, 256, 192)
                               for z in range(5)]) for c in range(3)])
    assert np.array_equal(data, want)
    attrs = dict(root.attrs)
    meta = attrs.get("ome", attrs)
    omero_meta = meta["omero"]
    assert [c["label"] for c in omero_meta["channels"]] == ["DAPI", "GFP", "mCherry"]
    assert [c["color"] for c in omero_meta["channels"]] == ["0000FF", "00FF00", "FF0000"]
    assert omero_meta["channels"][0]["window"] == {"min": 0.0, "max": 65535.0,
                                                   "start": 100.0, "end": 2000.0}
    assert [c["active"] for c in omero_meta["channels"]] == [True, True, False]
    assert omero_meta["rdefs"]["defaultZ"] == 2
    axes = meta["multiscales"][0]["axes"]
    assert [a["name"] for a in axes] == ["c", "z", "y", "x"]
    assert axes[-1]["unit"] == "micrometer"
    json.dumps(attrs)
