"""Annotations the tool did not write - another user's (made with stock BlitzGateway),
other keys, malformed values - are reported per image and left alone: never a reason
to delete, never aborting other images. The users' own Key-Value namespace is refused."""

from __future__ import annotations

import pytest

from omero_cli_ngff import exit_codes
from tests.helpers.ownership import (
    OwnWorld,
    assert_annotations_point_at_own_copies,
    assert_unchanged,
    foreign_annotation,
    tool_pairs,
)
from tests.helpers.publish import env_isolated

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

USER_KV = "openmicroscopy.org/omero/client/mapAnnotation"


@pytest.fixture
def world(ownership_server, gcs_emulator, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    w = OwnWorld(ownership_server, gcs_emulator, capsys)
    rv, rows, err = w.publish("Image:1,2")              # other images' data, published
    assert rv == 0, err
    return w


def _pairs(world, image_id, ann_id):
    return [c.pairs for c in world.copies([image_id]).get(image_id, [])
            if c.annotation_id == ann_id]


def test_an_annotate_only_users_annotation_at_the_version_prefix_deletes_nothing(world):
    hostile = tool_pairs(world.public("0.5/0/"))
    ann = foreign_annotation(world.server, "mallory", 12, world.namespace, hostile)
    before = world.objects()
    rv, rows, err = world.publish("Image:12")
    assert rv == 0, err
    assert rows[0]["status"] == "published"
    assert f"annotation {ann} left alone" in rows[0]["message"]
    assert f"Image:12: annotation {ann} left alone" in err
    rv, rows, err = world.publish("Image:12", "--force")   # and when replacing its copy
    assert rv == 0, err
    after = world.objects()
    assert_unchanged(before, after, "data/0.5/1.ome.zarr", "data/0.5/2.ome.zarr")
    assert _pairs(world, 12, ann) == [hostile]             # left exactly as it was
    assert len(world.copies([12])[12]) == 2
    assert_annotations_point_at_own_copies(world, [1, 2, 12], foreign=[ann])


def test_another_users_annotation_at_another_images_copy_is_left_alone(world):
    hostile = tool_pairs(world.public("0.5/1.ome.zarr/0/"))
    ann = foreign_annotation(world.server, "mallory", 12, world.namespace, hostile)
    before = world.objects()
    rv, rows, err = world.publish("Image:12", "--force")
    assert rv == 0, err
    assert rows[0]["action"] == "publish" and f"annotation {ann}" in rows[0]["message"]
    assert_unchanged(before, world.objects(), "data/0.5/1.ome.zarr", "data/0.5/2.ome.zarr")
    assert _pairs(world, 12, ann) == [hostile]
    assert_annotations_point_at_own_copies(world, [1, 2, 12], foreign=[ann])


def test_malformed_annotations_fail_no_other_image(world):
    # the image owner's own annotation, leaving the prefix with encoded '..' segments
    dots = tool_pairs(world.public("0.5/%2e%2e/%2E%2e/0/"))
    own = foreign_annotation(world.server, "alice", 12, world.namespace, dots)
    extra = tool_pairs(world.public("0.5/2.ome.zarr/0/")) + [("comment", "mine")]
    other_keys = foreign_annotation(world.server, "mallory", 13, world.namespace, extra)
    before = world.objects()
    rv, rows, err = world.publish("Image:12,13,14")
    assert rv == 0, err
    by_image = {r["image_id"]: r for r in rows}
    assert {r["status"] for r in rows} == {"published"}
    assert "'..'" in by_image[12]["message"] and f"annotation {own}" in by_image[12]["message"]
    assert "'comment'" in by_image[13]["message"]
    assert "left alone" not in by_image[14]["message"]
    assert_unchanged(before, world.objects(), "data/0.5/1.ome.zarr", "data/0.5/2.ome.zarr")
    assert _pairs(world, 12, own) == [dots] and _pairs(world, 13, other_keys) == [extra]
    assert_annotations_point_at_own_copies(world, [1, 2, 12, 13, 14],
                                           foreign=[own, other_keys])


def test_the_users_key_value_namespace_is_refused(world):
    kv = foreign_annotation(world.server, "alice", 12, USER_KV, [("stain", "H&E")])
    before = world.objects()
    for command in (("publish", "Image:12"), ("verify", "Image:12", "--fix")):
        from tests.helpers.cli import invoke
        argv = world.argv(command[0], *command[1:], namespace=False) + [
            "--namespace", USER_KV]
        rv, out, err = invoke(argv, world.capsys)
        assert rv == exit_codes.USAGE, (command, err)
        assert "Key-Value" in err and "Traceback" not in err
    assert _pairs(world, 12, kv) == [] and [c.pairs for c in world.copies([12], USER_KV)[12]
                                            if c.annotation_id == kv] == [[("stain", "H&E")]]
    assert world.objects() == before
