"""`omero ngff publish` of plates (issue #14): one NGFF plate per OMERO plate, one unit
of work, every field annotated with its own field group."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ome_types import from_xml

from omero_cli_ngff import exit_codes
from omero_cli_ngff.model.annotation import DEFAULT_NAMESPACE as NS
from omero_cli_ngff.model.annotation import annotation_values
from omero_cli_ngff.omero_io import annotations
from omero_cli_ngff.storage import fetch_metadata
from test_infra.fake_gcs import get_object, put_object
from tests.helpers.cli import invoke, json_rows
from tests.helpers.publish import World, assert_no_secrets, env_isolated

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogues" / "plates.yaml"
PLATE_ONE = {101: "A/1/0", 102: "A/1/1", 103: "A/2/0", 104: "B/1/0"}
PLATE_TWO = {201: "A/1/0", 202: "A/1/1", 203: "A/2/0", 204: "A/2/1"}
ALL = {**PLATE_ONE, **PLATE_TWO}


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    server = start_omero_devserver(CATALOGUE)
    return World(server, gcs_emulator, bucket, capsys)


def plate_url(world: World, plate_id: int, slot: str = "") -> str:
    return world.public(f"0.5/plate-{plate_id}{slot}.ome.zarr/")


def field_urls(world: World, ids=ALL) -> dict[int, str]:
    copies = world.copies(list(ids))
    out = {}
    for image_id in ids:
        (copy,) = copies[image_id]
        out[image_id] = copy.zarr_path
    return out


def expected_urls(world: World, slot: str = "") -> dict[int, str]:
    return {**{i: plate_url(world, 1, slot) + p + "/" for i, p in PLATE_ONE.items()},
            **{i: plate_url(world, 2, slot) + p + "/" for i, p in PLATE_TWO.items()}}


def omero_pixels(world: World, image_id: int) -> np.ndarray:
    conn = world.server.connect("alice")
    try:
        image = conn.getObject("Image", image_id)
        pixels = image.getPrimaryPixels()
        planes = [pixels.getPlane(0, c, 0) for c in range(image.getSizeC())]
        return np.stack(planes)
    finally:
        conn.close()


def test_publish_screen_writes_one_ngff_plate_per_plate(world):
    rv, rows, err = world.publish("Screen:1")
    assert rv == 0, err
    assert "not published" not in err    # was warned for every field of the plates
    assert {int(r["image_id"]): r["status"] for r in rows} == {i: "published" for i in ALL}
    assert field_urls(world) == expected_urls(world)
    root = fetch_metadata(plate_url(world, 1), validate=False)["attributes"]["ome"]
    assert root["bioformats2raw.layout"] == 3
    plate = root["plate"]
    assert [w["path"] for w in plate["wells"]] == ["A/1", "A/2", "A/3", "B/1", "B/2",
                                                   "B/3"]
    assert sorted(a["id"] for a in plate["acquisitions"]) == [1, 2]
    xml = get_object(world.emulator.url, world.bucket,
                     "data/0.5/plate-1.ome.zarr/OME/METADATA.ome.xml")
    ome = from_xml(xml.decode())                 # valid OME-XML, the plate described
    assert [(w.row, w.column, len(w.well_samples)) for w in ome.plates[0].wells] == [
        (0, 0, 2), (0, 1, 1), (0, 2, 0), (1, 0, 1), (1, 1, 0), (1, 2, 0)]
    assert [a.name for a in ome.plates[0].plate_acquisitions] == ["run-1", "run-2"]
    empty = fetch_metadata(plate_url(world, 1) + "A/3/", validate=False)["attributes"]
    empty = empty["ome"]["well"]
    assert empty["images"] == []
    a1 = fetch_metadata(plate_url(world, 1) + "A/1/", validate=False)["attributes"]
    a1 = a1["ome"]["well"]
    assert [i.get("acquisition") for i in a1["images"]] == [1, 2]
    assert_no_secrets(world)


def test_the_plate_validates_and_reads_back_as_omero_has_it(world):
    import zarr
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader
    from ome_zarr_models.v05.hcs import HCS

    assert world.publish("Plate:1")[0] == 0
    store = zarr.storage.FsspecStore.from_url(plate_url(world, 1), read_only=True)
    HCS.from_zarr(zarr.open_group(store, mode="r"))
    for image_id, path in PLATE_ONE.items():
        nodes = list(Reader(parse_url(plate_url(world, 1) + path + "/"))())
        data = np.asarray(nodes[0].data[0]).squeeze()
        assert np.array_equal(data, omero_pixels(world, image_id).squeeze()), image_id


def test_rerun_is_a_noop_and_force_switches_every_field(world):
    assert world.publish("Screen:1")[0] == 0
    before = world.objects()
    rv, rows, err = world.publish("Screen:1")
    assert rv == 0, err
    assert {r["status"] for r in rows} == {"skipped"}
    assert world.objects() == before
    rv, rows, err = world.publish("Plate:2", "--force")
    assert rv == 0, err
    assert {r["action"] for r in rows} == {"update"}
    urls = field_urls(world, PLATE_TWO)
    assert urls == {i: plate_url(world, 2, ".alt") + p + "/" for i, p in PLATE_TWO.items()}
    assert not [n for n in world.objects() if n.startswith("data/0.5/plate-2.ome.zarr/")]
    assert not [n for n in world.objects() if "/.omero-ngff/" in n]


def test_a_field_named_by_a_dataset_publishes_its_whole_plate(world):
    rv, rows, err = world.publish("Dataset:1")
    assert rv == 0, err
    assert sorted(int(r["image_id"]) for r in rows) == [1, 101, 102, 103, 104]
    urls = field_urls(world, PLATE_ONE)
    assert urls == {i: plate_url(world, 1) + p + "/" for i, p in PLATE_ONE.items()}
    assert field_urls(world, [1])[1] == world.public("0.5/1.ome.zarr/0/")


def test_dry_run_plans_the_plate_and_changes_nothing(world):
    rv, rows, err = world.publish("Screen:1", "--dry-run")
    assert rv == 0, err
    assert {r["action"] for r in rows} == {"publish"}
    assert world.objects() == []
    assert world.copies(list(ALL)) == {}


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("point", ["mid-shard", "before-annotation"])
def test_an_interrupted_plate_resumes_and_no_field_was_annotated_before(world, point,
                                                                        monkeypatch,
                                                                        tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(tmp_path),
               OMERO_NGFF_FAILPOINT=point)
    argv = [sys.executable, "-m", "omero_cli_ngff", "publish", "Plate:1", "--dest",
            world.dest, "--style", "json", "--chunk-size", "16",
            *world.server.cli_login_args("alice")]
    proc = subprocess.run(argv, cwd=str(REPO), env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert world.copies(list(PLATE_ONE)) == {}          # nothing points into it yet
    left = world.objects()
    assert "data/.omero-ngff/pending-plates/" in " ".join(left)
    monkeypatch.setenv("OMERO_NGFF_CLAIM_STALE_AFTER", "0.5")
    time.sleep(0.6)
    rv, rows, err = world.publish("Plate:1", "--chunk-size", "16")
    assert rv == 0, err
    assert {r["status"] for r in rows} == {"published"}
    assert "took over the claim" in rows[0]["message"]
    assert field_urls(world, PLATE_ONE) == {i: plate_url(world, 1) + p + "/"
                                           for i, p in PLATE_ONE.items()}
    assert not [n for n in world.objects() if "/.omero-ngff/" in n]


def run_json(world: World, command: str, *args) -> tuple[int, Any, str]:
    argv = ["ngff", command, *args, "--style", "json"] + world.server.cli_login_args("alice")
    rv, out, err = invoke(argv, world.capsys)
    return rv, (json_rows(out) if command == "locate" else json.loads(out)), err


def test_locate_shows_plate_well_and_field(world):
    assert world.publish("Plate:1")[0] == 0
    rv, doc, err = run_json(world, "locate", "Dataset:1")
    assert rv == 0, err
    rows = {r["image_id"]: r for r in doc}
    assert (rows[103]["plate"], rows[103]["well"], rows[103]["field"]) == (1, "A2", 0)
    assert rows[103]["url"] == plate_url(world, 1) + "A/2/0/"
    rv, doc, err = run_json(world, "locate", "Image:1")
    assert "plate" not in json.dumps(doc)                 # no plate: the usual columns


def test_verify_checks_plate_and_wells_against_omero(world):
    assert world.publish("Plate:1")[0] == 0
    rv, doc, err = run_json(world, "verify", "Plate:1", "--sample", "1")
    assert rv == 0, json.dumps(doc)[:3000]
    assert {p["code"] for i in doc["images"] for p in i["problems"]} == {"insecure-url"}
    # the plate's well list disagrees with OMERO: one well dropped from its metadata
    name = "data/0.5/plate-1.ome.zarr/zarr.json"
    meta = json.loads(get_object(world.emulator.url, world.bucket, name))
    meta["attributes"]["ome"]["plate"]["wells"].pop()
    put_object(world.emulator.url, world.bucket, name, json.dumps(meta).encode())
    rv, doc, err = run_json(world, "verify", "Plate:1", "--sample", "0")
    assert rv == exit_codes.UNSOUND, json.dumps(doc)[:3000]
    codes = {p["code"] for i in doc["images"] for p in i["problems"]}
    assert "plate-wells-mismatch" in codes
    messages = " ".join(p["message"] for i in doc["images"] for p in i["problems"])
    assert "B/3" in messages


def test_a_lost_field_annotation_is_restored_and_keep_old_keeps_the_old_plate(world):
    assert world.publish("Plate:2")[0] == 0
    before = world.objects()
    with closing(world.server.connect("alice")) as conn:
        annotations.remove(conn, world.copies([202])[202])
    rv, rows, err = world.publish("Plate:2")
    assert rv == 0, err
    assert {int(r["image_id"]): r["status"] for r in rows} == {
        201: "skipped", 202: "restored", 203: "skipped", 204: "skipped"}
    assert world.objects() == before
    assert field_urls(world, PLATE_TWO) == {i: plate_url(world, 2) + p + "/"
                                           for i, p in PLATE_TWO.items()}
    rv, rows, err = world.publish("Plate:2", "--force", "--keep-old")
    assert rv == 0, err
    assert "old plate kept" in rows[0]["message"]
    assert set(before) < set(world.objects())          # the old plate is still there
    assert field_urls(world, [201])[201] == plate_url(world, 2, ".alt") + "A/1/0/"


def test_a_field_published_as_an_image_of_its_own_moves_into_its_plate(world):
    """Before plates were published whole, a field was an image of its own: that copy
    (the image's, by its ownership record) is removed once the plate is annotated."""
    argv = ["ngff", "export", "Image:201", "--output", world.dest + "/0.5"]
    rv, out, err = invoke(argv + world.server.cli_login_args("alice"), world.capsys)
    assert rv == 0, err
    old = world.public("0.5/201.ome.zarr/0/")
    with closing(world.server.connect("alice")) as conn:
        annotations.write(conn, 201, 3, NS, annotation_values(old, "0.5"), [])
    assert any(n.startswith("data/0.5/201.ome.zarr/") for n in world.objects())
    rv, rows, err = world.publish("Plate:2")
    assert rv == 0, err
    assert {r["action"] for r in rows} == {"update"}          # the plate is one unit
    assert field_urls(world, PLATE_TWO)[201] == plate_url(world, 2) + "A/1/0/"
    assert not any(n.startswith("data/0.5/201.ome.zarr/") for n in world.objects())


def test_remote_refuses_a_fileset_that_spans_several_plates(world, batch_stub):
    remote = ["--remote", "google-batch", "--batch-project", "proj", "--batch-region",
              "us-east1", "--batch-endpoint", batch_stub.endpoint, "--repository-bucket",
              "gs://repo-bucket/ManagedRepository"]
    rv, text, err = world.publish("Screen:2", *remote, "--dry-run", style="csv")
    assert rv == exit_codes.USAGE, err
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["images"], r["status"]) for r in rows} == {("301", "refused"),
                                                          ("401", "refused")}
    assert all("spans plates Plate:3, Plate:4" in r["message"] for r in rows)
    assert batch_stub.created == []


def test_a_plate_root_holding_another_objects_copy_is_refused_whole(world):
    rv, _, err = world.publish("Image:1", "--path-template",
                               "{ngff_version}/plate-{image_id}.ome.zarr")
    assert rv == 0, err
    before = world.objects()
    rv, rows, err = world.publish("Plate:1", "--dry-run")     # the dry run says so too
    assert rv == exit_codes.DESTINATION, err
    assert {r["action"] for r in rows} == {"refuse"} and len(rows) == 4
    assert "holds the copy of Image:1" in json.dumps(rows[0]), rows[0]
    rv, rows, err = world.publish("Plate:1")
    assert rv == exit_codes.DESTINATION, err
    assert {r["status"] for r in rows} == {"refused"} and len(rows) == 4
    assert "Image:1" in rows[0]["message"]
    assert world.objects() == before
    assert world.copies(list(PLATE_ONE)) == {}


NO_PIXELS = """
groups: [{id: 3, name: public-lab, permissions: rwra--}]
users: [{id: 2, name: alice, password: alice-pw, groups: [public-lab]}]
plates:
  - id: 9
    name: with-a-hole
    owner: alice
    wells:
      - {row: 0, column: 0, fields: [{id: 91, sizeX: 16, sizeY: 16}, {id: 92, pixels: false},
                                     {id: 93, sizeX: 16, sizeY: 16}]}
"""


def test_a_field_without_pixels_is_left_out_of_its_plate_and_said_so(
        start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    catalogue = tmp_path / "no-pixels.yaml"
    catalogue.write_text(NO_PIXELS)
    world = World(start_omero_devserver(catalogue), gcs_emulator, bucket, capsys)
    rv, rows, err = world.publish("Plate:9")
    assert rv == exit_codes.NOT_FOUND, err             # as for an image without pixels
    statuses = {int(r["image_id"]): r["status"] for r in rows}
    assert statuses == {91: "published", 92: "refused", 93: "published"}
    assert field_urls(world, [91, 93]) == {91: world.public("0.5/plate-9.ome.zarr/A/1/0/"),
                                           93: world.public("0.5/plate-9.ome.zarr/A/1/1/")}
    # verified alone, the field after the one without pixels is where publish put it
    rv, doc, err = run_json(world, "verify", "Image:93", "--sample", "0")
    assert {p["code"] for i in doc["images"] for p in i["problems"]} == {"insecure-url"}


def test_the_index_lists_every_field_of_a_published_plate(world):
    """The plate's fields enter the index in one update, after all are annotated."""
    from tests.commands.test_publish_index import index_entries

    assert world.publish("Plate:2")[0] == 0
    entries = index_entries(world)
    assert {i: e["zarr_path"] for i, e in entries.items()} == {
        i: plate_url(world, 2) + p + "/" for i, p in PLATE_TWO.items()}
    assert all(e["thumbnail"] for e in entries.values())


def unrecorded_export(world: World) -> str:
    """Export Plate:2 to its template root and remove its ownership record (as a copy
    made by another tool has none); the record's object name."""
    import requests

    argv = ["ngff", "export", "Plate:2", "--output", world.dest + "/0.5"]
    rv, out, err = invoke(argv + world.server.cli_login_args("alice"), world.capsys)
    assert rv == 0, err
    record = "data/0.5/plate-2.ome.zarr/.omero-ngff-owner.json"
    requests.delete(f"{world.emulator.url}/storage/v1/b/{world.bucket}/o/"
                    + record.replace("/", "%2F"), timeout=10).raise_for_status()
    assert get_object(world.emulator.url, world.bucket, record) is None
    return record


def test_a_restored_plate_is_made_ours_so_a_later_update_removes_it(world):
    """A complete plate at the template root that no annotation points at and without
    an ownership record (here: an export whose record is gone, as a copy made by
    another tool) is restored: its root is made the plate's (on the evidence: it agrees
    with OMERO) before any field is annotated, so a later update can remove it."""
    record = unrecorded_export(world)
    rv, rows, err = world.publish("Plate:2")
    assert rv == 0, err
    assert {r["status"] for r in rows} == {"restored"}
    owner = json.loads(get_object(world.emulator.url, world.bucket, record))
    assert "Plate:2" in json.dumps(owner)
    rv, rows, err = world.publish("Plate:2", "--force")
    assert rv == 0, err
    assert not any("old plate left" in r["message"] for r in rows), rows
    assert world.objects("data/0.5/plate-2.ome.zarr/") == []


def test_restored_fields_enter_the_index_in_one_update(world, monkeypatch):
    from omero_cli_ngff.workflows import index

    assert world.publish("Plate:2")[0] == 0
    with closing(world.server.connect("alice")) as conn:
        for image_id in (202, 203):
            annotations.remove(conn, world.copies([image_id])[image_id])
    calls = []
    real = index.update_index

    def counted(conn, dest, records, *args, **kwargs):
        calls.append(sorted(r.id for r in records))
        return real(conn, dest, records, *args, **kwargs)

    monkeypatch.setattr(index, "update_index", counted)
    rv, rows, err = world.publish("Plate:2")
    assert rv == 0, err
    assert [int(r["image_id"]) for r in rows if r["status"] == "restored"] == [202, 203]
    # one update for the restored fields (then the run's own over every image listed)
    assert calls[0] == [202, 203] and [202] not in calls and [203] not in calls, calls


def test_an_unrecorded_plate_another_image_points_into_is_not_adopted(world):
    record = unrecorded_export(world)
    with closing(world.server.connect("alice")) as conn:
        annotations.write(conn, 1, 3, NS, annotation_values(
            plate_url(world, 2) + "A/1/0/", "0.5"), [])
    rv, rows, err = world.publish("Plate:2")
    assert rv == exit_codes.DESTINATION, err
    assert {r["status"] for r in rows} == {"refused"}
    assert "Image:1" in rows[0]["message"]
    assert get_object(world.emulator.url, world.bucket, record) is None
    assert world.copies(list(PLATE_TWO)) == {}
