"""`omero ngff publish Plate:N --remote google-batch` of a plate whose fields are the
series of one fileset (issue #14): bioformats2raw writes the plate, the tool annotates
every field with its own field group, and locate, verify and the index see the plate as
local publishing would have written it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omero_cli_ngff import exit_codes
from omero_cli_ngff.storage.ownership import OWNER_RECORD, Owner
from test_infra.bf2raw_fake import PlateShape
from test_infra.fake_gcs import get_object
from tests.commands.test_publish_index import index_entries
from tests.helpers.cli import invoke, json_rows
from tests.helpers.publish import World, assert_no_secrets, env_isolated

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogues" / "remote_plates.yaml"
REPO = "gs://repo-bucket/ManagedRepository"
ROOT = "0.5/alice_3/2024-07/01/09-00-00.000/plate.xdce.zarr"
FIELDS = {701: "A/1/0", 702: "A/1/1", 703: "A/2/0", 704: "A/2/1"}


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path,
          batch_stub):
    env_isolated(monkeypatch, tmp_path)
    monkeypatch.setenv("OMERO_NGFF_BATCH_POLL", "0.05")
    w = World(start_omero_devserver(CATALOGUE), gcs_emulator, bucket, capsys)
    batch_stub.plate = PlateShape(rows=1, columns=2, fields=2, name="plate-seven")
    batch_stub.auto_advance = True
    w.stub = batch_stub
    w.remote = ["--remote", "google-batch", "--batch-project", "proj",
                "--batch-region", "us-east1", "--batch-endpoint", batch_stub.endpoint,
                "--repository-bucket", REPO]
    return w


def run_json(world: World, command: str, *args):
    argv = ["ngff", command, *args, "--style", "json"] + world.server.cli_login_args("alice")
    rv, out, err = invoke(argv, world.capsys)
    return rv, (json_rows(out) if command == "locate" else json.loads(out)), err


def test_a_plate_published_remotely_is_an_ngff_plate_with_every_field_annotated(world):
    import zarr
    from ome_zarr_models.v05.hcs import HCS

    rv, rows, err = world.publish("Plate:7", *world.remote, "--wait")
    assert rv == 0, err
    assert len(world.stub.created) == 1                        # one job: one fileset
    assert [r["status"] for r in rows] == ["published"]
    plate = world.public(ROOT + "/")
    # the job's --overwrite emptied the root: the collector wrote the record again
    record = get_object(world.emulator.url, world.bucket, f"data/{ROOT}/{OWNER_RECORD}")
    assert Owner.parse(record).object == "Fileset:70"
    copies = world.copies(list(FIELDS))
    assert {i: c.zarr_path for i, (c,) in copies.items()} == {
        i: f"{plate}{p}/" for i, p in FIELDS.items()}
    HCS.from_zarr(zarr.open_group(zarr.storage.FsspecStore.from_url(plate, read_only=True),
                                  mode="r"))
    # locate shows plate, well and field of each field image
    rv, doc, err = run_json(world, "locate", "Plate:7")
    assert rv == 0, err
    located = {r["image_id"]: r for r in doc}
    assert (located[703]["plate"], located[703]["well"], located[703]["field"]) == \
        (7, "A2", 0)
    assert located[704]["url"] == f"{plate}A/2/1/"
    # verify checks the plate and its wells against OMERO, and every field's metadata
    # (no pixel samples: the stub's converter draws its own pixels, not OMERO's)
    rv, doc, err = run_json(world, "verify", "Plate:7", "--sample", "0")
    assert rv == 0, json.dumps(doc)[:3000]
    assert {p["code"] for i in doc["images"] for p in i["problems"]} == {"insecure-url"}
    # the public index lists every field with its field group
    entries = index_entries(world)
    assert {i: e["zarr_path"] for i, e in entries.items()} == {
        i: f"{plate}{p}/" for i, p in FIELDS.items()}
    # a rerun finds every field up to date
    rv, rows, err = world.publish("Plate:7", *world.remote)
    assert rv == 0 and [r["status"] for r in rows] == ["skipped"], err
    assert_no_secrets(world, [json.dumps(world.stub.jobs)])


def test_force_reconverts_a_remote_plate_into_the_other_slot_and_removes_the_old(world):
    assert world.publish("Plate:7", *world.remote, "--wait")[0] == 0
    rv, rows, err = world.publish("Plate:7", *world.remote, "--force", "--wait")
    assert rv == 0 and [r["status"] for r in rows] == ["published"], err
    alt = world.public(ROOT.replace(".zarr", ".alt.zarr") + "/")
    assert {i: c.zarr_path for i, (c,) in world.copies(list(FIELDS)).items()} == {
        i: f"{alt}{p}/" for i, p in FIELDS.items()}
    assert not [n for n in world.objects() if n.startswith(f"data/{ROOT}/")], rows[0]["message"]



def test_a_plate_published_locally_is_up_to_date_for_remote_and_the_names_differ(world):
    """The remote root is the fileset's, the local one the plate's (README, Remote
    conversion): a plate already published locally is skipped, and the template that
    would name a remote root after the plate is refused."""
    assert world.publish("Plate:7")[0] == 0
    local = world.public("0.5/plate-7.ome.zarr/")
    rv, rows, err = world.publish("Plate:7", *world.remote)
    assert rv == 0 and [r["status"] for r in rows] == ["skipped"], err
    assert world.stub.created == []
    assert {i: c.zarr_path for i, (c,) in world.copies(list(FIELDS)).items()} == {
        i: f"{local}{p}/" for i, p in FIELDS.items()}
    # --force converts it under the fileset's root; the plate's root is not the fileset's
    rv, rows, err = world.publish("Plate:7", *world.remote, "--force", "--wait")
    assert rv == 0 and [r["status"] for r in rows] == ["published"], err
    assert "old copy left" in rows[0]["message"] and "copy of Plate:7" in rows[0]["message"]
    remote = world.public(ROOT + "/")
    assert {i: c.zarr_path for i, (c,) in world.copies(list(FIELDS)).items()} == {
        i: f"{remote}{p}/" for i, p in FIELDS.items()}
    assert any(n.startswith("data/0.5/plate-7.ome.zarr/") for n in world.objects())
    rv, rows, err = world.publish("Plate:7", *world.remote, "--dry-run", "--path-template",
                                  "{ngff_version}/plate-{plate_id}.ome.zarr")
    assert rv == exit_codes.USAGE and "one copy per fileset" in err
