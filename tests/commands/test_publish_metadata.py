"""`omero ngff publish` writes labels and the richer OME-XML (issue #15) and leaves the
tool's own annotations out of it, through the real CLI, against the dev server and the
object-store emulator (publish catalogue: image 1 has a Key-Value pair of its own)."""

from __future__ import annotations

import pytest
from ome_types import from_xml

from tests.helpers.publish import CATALOGUE, NS, World, env_isolated, http_get

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    return World(start_omero_devserver(CATALOGUE), gcs_emulator, bucket, capsys)


def test_republished_copy_leaves_the_tools_namespace_out(world):
    rv, _, err = world.publish("Image:1")
    assert rv == 0, err
    assert world.copies([1])[1]                        # annotated in the namespace
    rv, rows, err = world.publish("Image:1", "--force")
    assert rv == 0, err
    assert rows[0]["status"] == "updated"
    url = world.copies([1])[1][0].zarr_path
    xml = http_get(url.rstrip("/").rsplit("/", 1)[0] + "/OME/METADATA.ome.xml")
    ome = from_xml(xml.text)
    namespaces = {a.namespace for a in ome.structured_annotations}
    assert NS not in namespaces
    assert "openmicroscopy.org/omero/client/mapAnnotation" in namespaces
