"""Duplicate annotations are deleted with a real timeout and the outcome checked
(issue #12, point 4): Delete2 is asynchronous, BlitzGateway's deleteObjects(wait=True)
gives up after ~5 s and cancels the request silently."""

import pytest
from omero.gateway import MapAnnotationWrapper

from omero_cli_ngff import exit_codes
from tests.helpers.publish import CATALOGUE, NS, World, by_image, env_isolated

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]


def world_of(start_omero_devserver, gcs_emulator, bucket, capsys, extra_args=()):
    server = start_omero_devserver(CATALOGUE, extra_args=list(extra_args))
    return World(server, gcs_emulator, bucket, capsys)


def duplicate(world, image_id, user="alice"):
    """A second annotation of the namespace with the same pairs (stock omero-py)."""
    (copy,) = world.copies([image_id])[image_id]
    conn = world.server.connect(user)
    try:
        ann = MapAnnotationWrapper(conn)
        ann.setNs(NS)
        ann.setValue([list(pair) for pair in copy.pairs])
        conn.getObject("Image", image_id).linkAnnotation(ann)
    finally:
        conn.close()
    assert len(world.copies([image_id])[image_id]) == 2


def republish_with_a_duplicate(world):
    """Publish Image:3, add a duplicate annotation, publish again: (rv, row, stderr)."""
    rv, rows, err = world.publish("Image:3")
    assert rv == 0, err
    duplicate(world, 3)
    rv, rows, err = world.publish("Image:3")
    return rv, by_image(rows)[3], err


def test_a_delete_slower_than_the_gateways_wait_still_happens(
        start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    """Each Delete2 takes 6.5 s: the duplicate is merged and really deleted."""
    env_isolated(monkeypatch, tmp_path)
    world = world_of(start_omero_devserver, gcs_emulator, bucket, capsys,
                     ["--delete-ms", "6500"])
    rv, row, err = republish_with_a_duplicate(world)
    assert rv == 0, err
    assert row["status"] == "restored"
    assert len(world.copies([3])[3]) == 1


def test_a_failed_delete_is_reported_on_the_image(
        start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    """A delete that cannot finish in time: the image is annotated, the row says the
    duplicate is left and why, the run exits with the failure's code."""
    env_isolated(monkeypatch, tmp_path)
    from omero_cli_ngff.omero_io import annotations
    monkeypatch.setattr(annotations, "DELETE_TIMEOUT", 1.0)
    world = world_of(start_omero_devserver, gcs_emulator, bucket, capsys,
                     ["--delete-ms", "3000"])
    rv, row, err = republish_with_a_duplicate(world)
    assert rv == exit_codes.PARTIAL_FAILURE
    assert row["status"] == "restored"
    assert "did not finish within 1 s" in row["message"]
    assert "Image:3: annotated (annotation" in err and "Traceback" not in err
    assert len(world.copies([3])[3]) == 2          # cancelled: both still there
