"""`omero ngff publish` writes labels and the richer OME-XML (issue #15) and leaves the
tool's own annotations out of it, through the real CLI, against the dev server and the
object-store emulator (publish catalogue: image 1 has a Key-Value pair of its own)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ome_types import from_xml

from tests.helpers.cli import invoke
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


ROIS = Path(__file__).resolve().parents[2] / "test_infra" / "catalogues" / "rois.yaml"


@pytest.fixture
def rois_world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    return World(start_omero_devserver(ROIS), gcs_emulator, bucket, capsys)


def verify(world, *args):
    """(exit code, the image reports of the JSON document, stderr)."""
    rv, out, err = invoke(["ngff", "verify", *args, "--style", "json",
                           *world.server.cli_login_args("alice")], world.capsys)
    docs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return rv, docs[-1]["images"] if docs else [], err


def codes(report):
    """The problems found, but the emulator's plain-http URL (always a warning here)."""
    return [p["code"] for p in report["problems"] if p["code"] != "insecure-url"]


def test_verify_compares_published_labels_with_omeros_rois(rois_world):
    rv, _, err = rois_world.publish("Image:1,2")
    assert rv == 0, err
    rv, reports, err = verify(rois_world, "Image:1,2")
    assert rv == 0, err
    assert [(r["image_id"], codes(r)) for r in reports] == [(1, []), (2, [])]
    rv, _, err = rois_world.publish("Image:1", "--force", "--labels", "masks")
    assert rv == 0, err
    rv, reports, err = verify(rois_world, "Image:1")
    assert rv == 0 and codes(reports[0]) == [], reports
    rv, _, err = rois_world.publish("Image:1", "--force", "--labels", "none")
    assert rv == 0, err
    rv, reports, err = verify(rois_world, "Image:1")
    assert rv == 0, err
    assert codes(reports[0]) == ["labels-missing"]
