"""`omero ngff publish` through the real CLI, against the dev server and the emulator."""

from __future__ import annotations

import json

import pytest

from omero_cli_ngff.omero_io import annotations
from omero_cli_ngff import exit_codes

from tests.helpers.publish import (CATALOGUE, SMALL, World, assert_no_secrets,
                             assert_nothing_orphaned, assert_published_once, by_image,
                             env_isolated)

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    server = start_omero_devserver(CATALOGUE)
    return World(server, gcs_emulator, bucket, capsys)


def test_publish_project_then_rerun_is_a_noop(world):
    rv, rows, err = world.publish("Project:1")
    assert rv == 0, err
    assert {r["status"] for r in rows} == {"published"}
    urls = assert_published_once(world, SMALL)
    assert urls[1] == world.public("0.5/1.ome.zarr/0/")
    assert_nothing_orphaned(world, urls)
    # the other namespace is untouched
    other = world.copies([1], "openmicroscopy.org/omero/client/mapAnnotation")[1]
    assert [c.pairs for c in other] == [[("stain", "H&E")]]
    # bioformats2raw layout around the image
    assert "data/0.5/1.ome.zarr/OME/METADATA.ome.xml" in world.objects()

    before = world.objects()
    ann_ids = {i: c[0].annotation_id for i, c in world.copies(SMALL).items()}
    rv, rows, err = world.publish("Project:1")
    assert rv == 0, err
    assert {r["status"] for r in rows} == {"skipped"}
    assert world.objects() == before
    assert {i: c[0].annotation_id for i, c in world.copies(SMALL).items()} == ann_ids
    assert_no_secrets(world)


def test_older_version_is_republished_elsewhere_and_old_data_removed(world):
    rv, _, err = world.publish("Image:1,2", "--ngff-version", "0.4")
    assert rv == 0, err
    old = assert_published_once(world, [1, 2], "0.4")
    assert old[1] == world.public("0.4/1.ome.zarr/0/")
    rv, rows, err = world.publish("Image:1,2")
    assert rv == 0, err
    assert {r["action"] for r in rows} == {"update"}
    new = assert_published_once(world, [1, 2], "0.5")
    assert new[1] == world.public("0.5/1.ome.zarr/0/")
    assert_nothing_orphaned(world, new)          # the 0.4 copies are gone


def test_force_alternates_slots_and_keep_old(world):
    template = ["--path-template", "{image_id}.ome.zarr"]
    rv, _, err = world.publish("Image:3", *template)
    assert rv == 0, err
    first = assert_published_once(world, [3])[3]
    assert first == world.public("3.ome.zarr/0/")
    rv, rows, err = world.publish("Image:3", *template, "--force")
    assert rv == 0, err
    assert rows[0]["action"] == "update"
    second = assert_published_once(world, [3])
    assert second[3] == world.public("3.alt.ome.zarr/0/")
    assert_nothing_orphaned(world, second)
    rv, rows, err = world.publish("Image:3", *template, "--force", "--keep-old")
    assert rv == 0, err
    assert assert_published_once(world, [3])[3] == first
    assert "old copy kept" in rows[0]["message"]
    assert world.objects("data/3.alt.ome.zarr/")         # kept


def test_missing_annotation_is_restored_without_reconversion(world):
    rv, _, err = world.publish("Image:2,3")
    assert rv == 0, err
    before = world.objects()
    conn = world.server.connect("alice")
    try:
        annotations.remove(conn, world.copies([3])[3])
    finally:
        conn.close()
    assert world.copies([3]).get(3) is None
    rv, rows, err = world.publish("Image:2,3")
    assert rv == 0, err
    rows = by_image(rows)
    assert rows[2]["status"] == "skipped"
    assert rows[3]["action"] == "restore" and rows[3]["status"] == "restored"
    summary = json.loads(world.outputs[-2].splitlines()[-1])["summary"]
    assert (summary["restored"], summary["skipped"]) == (1, 1)      # every status counted
    assert world.objects() == before
    assert_published_once(world, [2, 3])


def test_dry_run_changes_nothing(world):
    rv, rows, err = world.publish("Project:1", "--dry-run")
    assert rv == 0, err
    assert {r["action"] for r in rows} == {"publish"}
    assert by_image(rows)[1]["url"] == world.public("0.5/1.ome.zarr/0/")
    assert by_image(rows)[1]["destination"] == f"{world.dest}/0.5/1.ome.zarr"
    assert world.objects("") == []
    assert world.copies(SMALL) == {}
    # after a real publish, a forced dry run still changes nothing
    world.publish("Image:1")
    before = world.objects("")
    rv, rows, err = world.publish("Image:1", "--dry-run", "--force")
    assert rv == 0 and rows[0]["action"] == "update"
    assert world.objects("") == before
    rv, text, _ = world.publish("Image:1", "--dry-run", style="table")
    assert "skip" in text


def test_private_group_refused_unless_allowed(world):
    rv, rows, err = world.publish("Project:2", user="bob")
    assert rv == exit_codes.PERMISSION
    assert rows[0]["status"] == "refused" and "private" in rows[0]["message"]
    assert world.objects("") == []
    rv, rows, err = world.publish("Project:2", "--allow-private", user="bob")
    assert rv == 0, err
    assert_published_once(world, [30])


def test_permissions_and_groups(world):
    # carol may read alice's image in the read-only group, not annotate it
    rv, rows, err = world.publish("Image:50", user="carol")
    assert rv == exit_codes.PERMISSION
    assert "may not annotate" in rows[0]["message"]
    assert world.objects("") == []
    # root across groups: each annotation in the image's own group
    rv, rows, err = world.publish("Image:1,50", "-g", "-1", user="root")
    assert rv == 0, err
    copies = world.copies([1, 50])
    assert copies[1][0].group_id == 3 and copies[50][0].group_id == 5
    assert copies[1][0].owner_id == 0


def test_unsafe_template_is_a_usage_error(world):
    for template in ("../{image_id}.ome.zarr", "/abs/{image_id}", "{nope}/{image_id}",
                     "{ngff_version}/x.ome.zarr"):
        rv, _, err = world.publish("Image:3", "--path-template", template)
        assert rv == exit_codes.USAGE, (template, err)
    assert world.objects("") == []
