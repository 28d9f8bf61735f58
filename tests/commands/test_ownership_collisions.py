"""Two objects in one place, across separate runs: the second is refused with one line
naming both, whatever placeholder made them meet and whichever slot the first holds.
Also kinds the issue does not list: another OMERO server's copy, a root inside another
root, a root around another one, export and publish sharing a folder."""

from __future__ import annotations

import shutil

import pytest

from omero_cli_ngff import exit_codes
from test_infra.omero_fixtures import start_devserver
from tests.helpers.cli import invoke, json_rows
from tests.helpers.ownership import (
    CATALOGUE,
    OwnWorld,
    assert_annotations_point_at_own_copies,
    assert_unchanged,
)
from tests.helpers.publish import env_isolated
from tests.helpers.verify import FolderServer

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

# placeholder -> (template, image) of the first run, then of the second: two images that
# land in one place across runs (the placeholder is what makes them meet)
COLLISIONS = {
    "image_name": (("{image_name}", 1), ("{image_name}", 2)),           # a/b, a_b
    "image_id": (("{image_id}.ome.zarr", 12), ("{image_name}.ome.zarr", 13)),  # 12, "12"
    "fileset_id": (("{fileset_id}.ome.zarr", 21), ("{fileset_id}.ome.zarr", 22)),
    "repo_path": (("{repo_path}.ome.zarr", 21), ("{repo_path}.ome.zarr", 22)),
    "series": (("f{fileset_id}{series}", 31), ("f{fileset_id}{series}", 32)),  # 1|12, 11|2
    "owner": (("{owner}{image_id}", 12), ("{owner}{image_id}", 2)),     # alice|12, alice1|2
    "group": (("{group}{image_id}", 12), ("{group}{image_id}", 2)),     # lab|12, lab1|2
    "ngff_version": (("{ngff_version}/{image_name}", 1), ("{ngff_version}/{image_name}", 2)),
}


@pytest.fixture
def world(ownership_server, gcs_emulator, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    return OwnWorld(ownership_server, gcs_emulator, capsys)


def _roots(world, rows):
    base = world.public()
    return {f"{world.prefix}/" + r["url"][len(base):].rstrip("/").rsplit("/", 1)[0]
            for r in rows}


@pytest.mark.parametrize("slot", ["primary", "alt"])
@pytest.mark.parametrize("placeholder", sorted(COLLISIONS))
def test_a_collision_across_runs_is_refused(world, placeholder, slot):
    (first_template, first), (second_template, second) = COLLISIONS[placeholder]
    rv, rows, err = world.publish(f"Image:{first}", "--path-template", first_template)
    assert rv == 0, err
    if slot == "alt":                  # the first image's copy in its other slot now
        rv, rows, err = world.publish(f"Image:{first}", "--path-template", first_template,
                                      "--force")
        assert rv == 0 and ".alt" in rows[0]["url"], err
    roots = _roots(world, rows)
    before = world.objects()
    rv, rows, err = world.publish(f"Image:{second}", "--path-template", second_template)
    assert rv == exit_codes.DESTINATION, err
    assert rows[0]["status"] == "refused"
    message = rows[0]["message"]
    assert f"Image:{first}" in message and f"Image:{second}" in message
    assert "--path-template" in message and "Traceback" not in err
    after = world.objects()
    assert_unchanged(before, after, *roots)
    assert after == before                    # refused before writing anything at all
    assert world.copies([second]) == {}
    assert_annotations_point_at_own_copies(world, [first, second])
    if slot == "primary":     # the first image's own reruns still work
        rv, rows, err = world.publish(f"Image:{first}", "--path-template", first_template,
                                      "--force")
        assert rv == 0, err
        assert_annotations_point_at_own_copies(world, [first, second])


def test_another_omero_servers_copy_of_the_same_image_id_is_refused(
        world, tmp_path, capsys):
    rv, rows, err = world.publish("Image:12")
    assert rv == 0, err
    before = world.objects()
    # the same catalogue elsewhere: another server, another database UUID, an Image:12
    copy = tmp_path / "other-site.yaml"
    shutil.copy(CATALOGUE, copy)
    other = start_devserver(tmp_path / "other-server", copy)
    try:
        elsewhere = OwnWorld(other, world.emulator, capsys, bucket=world.bucket)
        rv, rows, err = elsewhere.publish("Image:12")
    finally:
        other.stop()
    assert rv == exit_codes.DESTINATION, err
    assert "Image:12 of OMERO server" in rows[0]["message"]
    assert world.objects() == before
    assert_annotations_point_at_own_copies(world, [12])


def refused_after(world, first, second, *extra):
    """Publish ``first`` ((image, template)), then ``second``: refused, nothing written
    at all. (the objects before, the second run's row)"""
    rv, _, err = world.publish(f"Image:{first[0]}", "--path-template", first[1])
    assert rv == 0, err
    before = world.objects()
    rv, rows, err = world.publish(f"Image:{second[0]}", "--path-template", second[1],
                                  *extra)
    assert rv == exit_codes.DESTINATION, err
    assert world.objects() == before
    return before, rows[0]


def test_a_root_inside_another_root_is_refused(world):
    # Image:13 is named "12": this template puts it inside Image:12's root
    _, row = refused_after(world, (12, "{image_id}"), (13, "{image_name}/{image_id}"))
    assert "inside" in row["message"] and "Image:12" in row["message"]
    assert_annotations_point_at_own_copies(world, [12, 13])


def test_a_root_around_another_root_is_refused_even_with_adopt(world):
    # Image:14 is named "x": its root would hold Image:13's copy
    first, second = (13, "x/{image_id}.ome.zarr"), (14, "{image_name}")
    before, row = refused_after(world, first, second)
    assert "without an ownership record" in row["message"]
    rv, rows, err = world.publish("Image:14", "--path-template", "{image_name}", "--adopt")
    assert rv == exit_codes.DESTINATION, err
    assert "Image:13" in rows[0]["message"]
    assert_unchanged(before, world.objects(), f"{world.prefix}/x/13.ome.zarr")
    assert world.objects() == before
    assert_annotations_point_at_own_copies(world, [13, 14])


def _export(world, tmp_path, *args):
    rv, out, err = invoke(["ngff", "export", *args, "--output", str(tmp_path / "out"),
                           "--style", "json"] + world.server.cli_login_args("root")
                          + ["-g", "-1"], world.capsys)
    return rv, json_rows(out), err


def _tree(folder):
    import hashlib
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_export_by_name_never_reports_another_images_copy_complete(world, tmp_path):
    rv, rows, err = _export(world, tmp_path, "Image:1", "--name-by", "name")
    assert rv == 0, err
    before = _tree(tmp_path / "out")
    rv, rows, err = _export(world, tmp_path, "Image:2", "--name-by", "name")
    assert rv == exit_codes.DESTINATION, err
    assert rows[0]["status"] == "failed"
    assert "Image:1" in err and "--name-by id" in err
    assert _tree(tmp_path / "out") == before
    rv, rows, err = _export(world, tmp_path, "Image:1", "--name-by", "name", "--overwrite")
    assert rv == 0, err                       # its own copy: started afresh
    assert {r["status"] for r in rows} == {"written"}


def test_publish_into_a_folder_an_export_wrote_is_refused(world, tmp_path):
    rv, rows, err = _export(world, tmp_path, "Image:1", "--name-by", "name")
    assert rv == 0, err
    before = _tree(tmp_path / "out")
    with FolderServer(tmp_path / "out") as www:
        rv, rows, err = world.publish("Image:2", "--path-template", "{image_name}.ome.zarr",
                                      "--public-url", www.url,
                                      dest=str(tmp_path / "out"))
    assert rv == exit_codes.DESTINATION, err
    assert "Image:1" in rows[0]["message"] and "Image:2" in rows[0]["message"]
    assert _tree(tmp_path / "out") == before
    assert world.copies([2]) == {}
