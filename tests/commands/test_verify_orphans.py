"""verify --orphans: Zarr groups under a prefix that no annotation points at."""

import pytest

from omero_cli_ngff.storage import parse_destination
from omero_cli_ngff.workflows.orphans import find_orphans

from tests.helpers.verify import ramp, write_copy


def make_tree(root):
    for version in ("0.4", "0.5"):
        folder = root / "data" / version
        folder.mkdir(parents=True)
        for image_id in (1, 2):
            write_copy(folder, f"{image_id}.ome.zarr", ramp((1, 1, 1, 32, 32)), version,
                       levels=1)
    (root / "data" / "0.5" / "notes").mkdir()
    (root / "data" / "0.5" / "notes" / "readme.txt").write_text("not zarr")


def test_local_folder_orphans_match_by_path_including_the_prefix_folder(tmp_path):
    make_tree(tmp_path)
    annotated = ["https://cdn.example.org/data/0.5/1.ome.zarr/",
                 "https://cdn.example.org/data/0.4/2.ome.zarr"]   # no trailing slash
    orphans = find_orphans(parse_destination(str(tmp_path / "data" / "0.5")), annotated)
    assert [o.relpath for o in orphans] == ["2.ome.zarr"]
    assert orphans[0].ngff_version == "0.5" and orphans[0].size > 0
    orphans = find_orphans(parse_destination(str(tmp_path / "data")), annotated)
    assert [o.relpath for o in orphans] == ["0.4/1.ome.zarr", "0.5/2.ome.zarr"]


def test_nothing_annotated_means_every_group_is_an_orphan(tmp_path):
    make_tree(tmp_path)
    orphans = find_orphans(parse_destination(str(tmp_path)), [])
    assert len(orphans) == 4
    assert all(o.objects > 0 for o in orphans)


@pytest.mark.object_store


def test_bucket_orphans_match_the_public_url(gcs_emulator, bucket):
    dest = parse_destination(f"gs://{bucket}/data/0.5")
    for image_id in (1, 2, 3):
        write_copy(dest.zarr_store(f"{image_id}.ome.zarr"), "", ramp((1, 1, 1, 16, 16)),
                   "0.5", levels=1)
    annotated = [dest.public_url("1.ome.zarr"),
                 "https://cdn.example.org/data/0.5/3.ome.zarr/",     # a custom domain
                 dest.public_url("2.ome.zarr").replace("/0.5/", "/0.4/")]
    orphans = find_orphans(dest, annotated)
    assert [o.relpath for o in orphans] == ["2.ome.zarr"]
    assert orphans[0].url == dest.public_url("2.ome.zarr")
    assert orphans[0].size > 0
