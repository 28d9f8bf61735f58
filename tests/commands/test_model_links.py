"""Images in several containers (issue #12, point 9): an image in several datasets, and
a plate field also in a dataset, are each processed once, by export and by publish.
(Publishing plates as NGFF plates is issue #14.)"""

from pathlib import Path

import pytest

from tests.helpers.cli import invoke, json_rows
from tests.helpers.export import run_export
from tests.helpers.publish import World, env_isolated

pytestmark = pytest.mark.devserver

LINKS = Path(__file__).resolve().parent.parent / "catalogues" / "links.yaml"


@pytest.fixture
def server(start_omero_devserver, tmp_path, monkeypatch):
    env_isolated(monkeypatch, tmp_path)
    return start_omero_devserver(LINKS)


def test_export_writes_each_image_once(server, tmp_path, capsys):
    """Image 1 is in datasets 1 and 2; image 101 is field 0 of well A1 of plate 1 and
    in dataset 3: named through all of them, it is written once, with its plate."""
    rc, rows, err = run_export(server, capsys, "Dataset:1,2,3", "Plate:1", "Image:1",
                               "--output", str(tmp_path / "out"), user="alice")
    assert rc == 0, err
    images = [r["image_id"] for r in rows]
    assert sorted(images) == [1, 2, 3, 101, 102, 103, 104]
    targets = {r["image_id"]: r["target"] for r in rows}
    assert targets[101].endswith("plate-1.ome.zarr/A/1/0")
    assert not (tmp_path / "out" / "101.ome.zarr").exists()


def test_export_of_a_dataset_holding_a_plate_field(server, tmp_path, capsys):
    """Only the dataset named: the field is exported as an image of its own (the
    plate was not asked for)."""
    rc, rows, err = run_export(server, capsys, "Dataset:3", "--output",
                               str(tmp_path / "out"), user="alice")
    assert rc == 0, err
    assert [(r["image_id"], r["status"]) for r in rows] == [(101, "written")]


@pytest.mark.object_store
def test_publish_processes_each_image_once(server, gcs_emulator, bucket, capsys):
    world = World(server, gcs_emulator, bucket, capsys)
    rv, rows, err = world.publish("Dataset:1,2", "Image:1")
    assert rv == 0, err
    assert sorted(r["image_id"] for r in rows) == [1, 2, 3]
    assert {r["status"] for r in rows} == {"published"}
    assert {i: len(c) for i, c in world.copies([1, 2, 3]).items()} == {1: 1, 2: 1, 3: 1}
    rv, out, err = invoke(["ngff", "locate", "Project:1", "--style", "json",
                           *server.cli_login_args("alice")], capsys)
    assert rv == 0, err
    assert sorted(r["image_id"] for r in json_rows(out)
                  if r["status"] != "not published") == [1, 2, 3]
