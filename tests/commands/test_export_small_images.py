"""Many small images exported at once (issue #16): each read through one RawPixelsStore
(on a real server, one opening of its pixels instead of one per plane), their rendering
settings read for all of them in three queries, no rendering engine per image."""

import json

import numpy as np
import pytest

from omero_cli_ngff.ngff import read_level
from tests.helpers.export import expected_level, run_export
from tests.helpers.servers import devserver_of

pytestmark = pytest.mark.devserver

IMAGES = "\n".join(
    f"          - {{id: {i}, name: cell-{i}.tif, sizeX: 40, sizeY: 30, sizeZ: 2,"
    f" sizeC: 3, fileset: {{files: [alice_3/cell-{i}.tif]}},"
    f" channels: [{{name: R, color: FF0000, window: [{i}, 200]}}, {{name: G}},"
    f" {{name: B, inverted: true}}]}}" for i in range(1, 7))
CATALOGUE = f"""
groups: [{{id: 3, name: lab, permissions: rwra--}}]
users: [{{id: 2, name: alice, password: alice-pw, groups: [lab]}}]
projects:
  - id: 1
    name: cells
    owner: alice
    datasets:
      - id: 1
        name: cells
        images:
{IMAGES}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = devserver_of(tmp_path_factory, "small-images", CATALOGUE)
    yield srv
    srv.stop()


def calls(server, name: str) -> int:
    return (server.state_dir / "server.log").read_text().count(name)


def test_one_store_per_image_and_no_rendering_engine(server, tmp_path, capsys):
    stores = calls(server, "ServiceFactory.createRawPixelsStore")
    engines = calls(server, "ServiceFactory.createRenderingEngine")
    rc, rows, err = run_export(server, capsys, "Dataset:1", "--output", str(tmp_path),
                               user="alice")
    assert rc == 0, err
    assert sorted(r["image_id"] for r in rows) == list(range(1, 7))
    assert calls(server, "ServiceFactory.createRawPixelsStore") - stores == 6
    assert calls(server, "ServiceFactory.createRenderingEngine") == engines
    for i in range(1, 7):
        image = tmp_path / f"{i}.ome.zarr" / "0"
        np.testing.assert_array_equal(read_level(str(image), 0),
                                      expected_level(server, i, 0))
        block = json.loads((image / "zarr.json").read_text())["attributes"]["ome"]["omero"]
        channels = block["channels"]
        assert channels[0]["window"]["start"] == i and channels[0]["color"] == "FF0000"
        assert [c["inverted"] for c in channels] == [False, False, True]
