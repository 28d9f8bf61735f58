"""Objects -> images, for every container type, through the real CLI and directly."""

from pathlib import Path

import pytest

from omero_cli_ngff import exit_codes
from omero_cli_ngff.model.annotation import DEFAULT_NAMESPACE, annotation_values
from omero_cli_ngff.model.objects import parse_objects
from omero_cli_ngff.omero_io import annotations, targets
from tests.helpers.cli import invoke, json_rows

pytestmark = [pytest.mark.devserver]

PLATE_IMAGES = list(range(101, 113))


def locate_ids(server, capsys, *objects, user="root"):
    """Image ids `omero ngff locate --missing` lists (it resolves like every command)."""
    rv, out, err = invoke(["ngff", "locate", *objects, "--missing", "--style", "json",
                           *server.cli_login_args(user)], capsys)
    return rv, [r["image_id"] for r in json_rows(out)], err


@pytest.mark.parametrize("objects, images", [
    (["Image:1,20"], [1, 20]),
    (["Dataset:2"], [11, 12, 13, 14, 15]),
    (["Project:1"], list(range(1, 16))),
    (["Screen:1"], PLATE_IMAGES),
    (["Plate:1"], PLATE_IMAGES),
    (["Well:1"], [101, 102]),
    (["Fileset:2"], [11, 12]),
    (["Dataset:1", "Image:3", "Project:1"], list(range(1, 16))),   # each image once
])
def test_every_container_type_through_the_cli(omero_devserver, capsys, objects, images):
    rc, ids, err = locate_ids(omero_devserver, capsys, *objects)
    assert rc == 0, err
    assert sorted(ids) == images


def test_unknown_objects_are_named_with_their_exit_code(omero_devserver, capsys):
    rc, ids, err = locate_ids(omero_devserver, capsys, "Project:999")
    assert rc == exit_codes.NOT_FOUND
    assert "Project:999" in err and "Traceback" not in err


def test_another_groups_private_data_is_refused_and_an_admin_sees_it(omero_devserver,
                                                                     capsys):
    rc, _, err = locate_ids(omero_devserver, capsys, "Image:30", user="alice")
    assert rc == exit_codes.NOT_FOUND and "Image:30" in err
    rc, ids, _ = locate_ids(omero_devserver, capsys, "Project:1,2", user="bob")
    assert ids == [30]                      # bob sees his own, not alice's
    rc, ids, _ = locate_ids(omero_devserver, capsys, "Image:30", user="root")
    assert rc == 0 and ids == [30]


def test_records_carry_what_the_layers_need(omero_devserver):
    conn = omero_devserver.connect("root")
    try:
        result = targets.resolve(conn, parse_objects(["Fileset:2", "Image:1,15,30"]))
    finally:
        conn.close()
    by_id = {r.id: r for r in result.images}
    slide = by_id[1]
    assert (slide.size_x, slide.size_y, slide.size_c, slide.pixel_type) == (1024, 768, 3,
                                                                           "uint8")
    assert slide.physical_x.value == 0.25 and slide.physical_x.unit == "MICROMETER"
    assert slide.repo_path == "alice_3/2024-03/01/10-00-00.000/rgb-slide.ndpi"
    assert (slide.owner, slide.group, slide.group_permissions) == ("alice", "public-lab",
                                                                  "rwra--")
    assert [by_id[i].series for i in (11, 12)] == [0, 1]
    assert by_id[11].fileset_id == by_id[12].fileset_id
    assert by_id[15].has_pixels is False
    assert by_id[30].is_private_group and not slide.is_private_group


def test_resolution_is_batched_not_per_image(start_omero_devserver):
    """A generated project of 1,200 images resolves in a handful of queries."""
    server = start_omero_devserver(
        catalogue=Path(__file__).parent.parent / "catalogues" / "batching.yaml")
    conn = server.connect("root")
    try:
        before = server.query_count()
        result = targets.resolve(conn, parse_objects(["Project:1"]))
        sent = server.query_count() - before
    finally:
        conn.close()
    assert len(result.images) == 1200
    batches = len(result.images) // 1000 + 1
    # existing ids + image ids, then per batch rows, physical sizes and fileset files,
    # and once the groups met
    assert sent <= 2 + 3 * batches + 1
    assert result.queries == sent


def test_an_annotation_survives_a_server_restart(start_omero_devserver, capsys):
    server = start_omero_devserver()
    conn = server.connect("root")
    values = annotation_values("https://example.org/b/1.ome.zarr/0/", "0.5")
    try:
        annotations.write(conn, 10, 3, DEFAULT_NAMESPACE, values, [])
    finally:
        conn.close()
    server.restart()
    rv, out, _ = invoke(["ngff", "locate", "Image:10", "--urls",
                         *server.cli_login_args("root")], capsys)
    assert rv == 0
    assert "https://example.org/b/1.ome.zarr/0/" in out
