"""`omero ngff locate` through the real CLI, on a *read-only* dev server whose catalogue
already holds the annotations (locate never writes), as a user who can only read."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import unquote

import pytest

from omero_cli_ngff import exit_codes

from test_infra.omero_fixtures import start_devserver
from tests.helpers.cli import invoke

BASE = "https://storage.googleapis.com/bucket/data/0.5"
NS = "jax.org/public/zarr"
OLD_NS = "example.org/old"

CATALOGUE = f"""
groups:
  - {{id: 3, name: public-lab, permissions: rwra--}}
  - {{id: 4, name: private-lab, permissions: rw----}}
users:
  - {{id: 2, name: alice, password: alice-pw, groups: [public-lab]}}
  - {{id: 3, name: bob, password: bob-pw, groups: [private-lab]}}
  - {{id: 4, name: carol, password: carol-pw, groups: [public-lab]}}
projects:
  - id: 1
    name: located
    owner: alice
    datasets:
      - id: 1
        name: few
        images:
          - {{id: 1, name: good.ndpi, sizeX: 64, sizeY: 64,
             annotations: [{{ns: {NS}, values: {{zarr_path: "{BASE}/1.ome.zarr/0/",
               ngff_version: "0.5", zarr_conversion_date: "2024-05-01T10:00:00+00:00"}}}},
               {{ns: {OLD_NS}, values: {{zarr_path: "https://old.example.org/1/"}}}}]}}
          - {{id: 2, name: old.tif, sizeX: 64, sizeY: 64,
             annotations: [{{ns: {NS}, values: {{zarr_path: "{BASE}/2.ome.zarr/0/",
               ngff_version: "0.4", zarr_conversion_date: "2024-05-02T10:00:00+00:00"}}}}]}}
          - {{id: 3, name: broken.tif, sizeX: 64, sizeY: 64,
             annotations: [{{ns: {NS}, values: {{zarr_path: "somewhere else",
               zarr_conversion_date: "soon"}}}}]}}
          - {{id: 4, name: twice.tif, sizeX: 64, sizeY: 64,
             annotations: [{{ns: {NS}, values: {{zarr_path: "{BASE}/4.ome.zarr/0/",
               ngff_version: "0.5", zarr_conversion_date: "2024-05-04T10:00:00+00:00"}}}},
               {{ns: {NS}, values: {{zarr_path: "{BASE}/4b.ome.zarr/0/",
               ngff_version: "0.5", zarr_conversion_date: "2024-05-05T10:00:00+00:00"}}}}]}}
          - {{id: 5, name: never.tif, sizeX: 64, sizeY: 64}}
          - {{id: 6, name: empty.tif, sizeX: 64, sizeY: 64,
             annotations: [{{ns: {NS}, values: {{}}}}]}}
      - id: 2
        name: many
        images:
          - count: 300
            firstId: 1001
            name: "slide_{{id}}.ndpi"
            sizeX: 64
            sizeY: 64
            annotations: [{{ns: {NS}, values: {{zarr_path: "{BASE}/{{id}}.ome.zarr/0/",
               ngff_version: "0.5", zarr_conversion_date: "2024-06-01T10:00:00+00:00"}}}}]
      - id: 3
        name: some
        images:
          - count: 30
            firstId: 2001
            name: "slide_{{id}}.ndpi"
            sizeX: 64
            sizeY: 64
            annotations: [{{ns: {NS}, values: {{zarr_path: "{BASE}/{{id}}.ome.zarr/0/",
               ngff_version: "0.5", zarr_conversion_date: "2024-06-01T10:00:00+00:00"}}}}]
  - id: 2
    name: secret
    owner: bob
    datasets:
      - id: 9
        name: bob-only
        images:
          - {{id: 9, name: bob.tif, sizeX: 64, sizeY: 64,
             annotations: [{{ns: {NS}, values: {{zarr_path: "{BASE}/9.ome.zarr/0/",
               ngff_version: "0.5", zarr_conversion_date: "2024-05-09T10:00:00+00:00"}}}}]}}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("locate")
    spec = base / "locate.yaml"
    spec.write_text(CATALOGUE)
    srv = start_devserver(base / "state", catalogue=spec, read_only=True)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def locate(server, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("OMERO_SESSIONDIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("OMERO_USERDIR", str(tmp_path / "userdir"))

    def run(*args, user="carol"):       # carol reads alice's data and cannot edit it
        rv, out, err = invoke(["ngff", "locate", *args] + server.cli_login_args(user),
                              capsys)
        assert "Traceback" not in err
        return rv, out, err
    return run


def rows_of(out):
    return {int(r["image_id"]): r for r in json.loads(out)["images"]}


def messages(row) -> str:
    """The messages of a row's problems (a list of {code, severity, message})."""
    return "; ".join(p["message"] for p in row["problems"])


@pytest.mark.devserver


def test_table_shows_each_copy_and_closes_with_counts(locate):
    rv, out, _ = locate("Dataset:1")
    assert rv == 0
    for image_id in (1, 2, 3, 4):
        assert f"\n│ {image_id} " in out or f"│ {image_id}  " in out
    assert "1.ome.zarr/0/" in out.replace("\n", "").replace("│", "").replace(" ", "")
    assert "6 images: 5 published, 1 not published (--missing lists them)" in out
    assert "2024-05-01 10:00" in out
    lines = out.splitlines()
    assert any(line.startswith("Image:3 error bad-url: zarr_path 'somewhere else'")
               for line in lines)
    assert any(line.startswith("Image:4 error duplicate-annotation") for line in lines)


@pytest.mark.devserver


def test_json_reports_malformed_and_duplicated_annotations(locate):
    rv, out, _ = locate("Dataset:1", "--style", "json")
    assert rv == 0
    rows = json.loads(out)["images"]
    by_id = {}
    for row in rows:
        by_id.setdefault(row["image_id"], []).append(row)
    assert set(by_id) == {1, 2, 3, 4, 5, 6}            # 5: not published
    assert by_id[5][0]["status"] == "not published" and by_id[5][0]["url"] is None
    assert by_id[6][0]["status"] == "malformed" and by_id[6][0]["url"] is None
    assert messages(by_id[6][0]).count("has no") == 3
    [one] = by_id[1]
    assert one["url"] == f"{BASE}/1.ome.zarr/0/" and one["ngff_version"] == "0.5"
    assert one["conversion_date"] == "2024-05-01T10:00:00+00:00"
    assert one["status"] == "published"
    assert by_id[2][0]["ngff_version"] == "0.4"
    [broken] = by_id[3]
    assert broken["status"] == "malformed"
    assert "not an http(s) URL" in messages(broken) and "ngff_version" in messages(broken)
    assert len(by_id[4]) == 2 and all("2 annotations (ids" in messages(r) for r in by_id[4])
    assert one["problems"] == []


@pytest.mark.devserver


def test_csv_for_scripts(locate):
    rv, out, _ = locate("Image:1,2", "--style", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["url"] for r in rows] == [f"{BASE}/1.ome.zarr/0/", f"{BASE}/2.ome.zarr/0/"]


@pytest.mark.devserver


def test_urls_one_per_line_for_piping(locate):
    rv, out, err = locate("Dataset:1", "--urls")
    assert rv == 0
    assert out.splitlines() == [f"{BASE}/1.ome.zarr/0/", f"{BASE}/2.ome.zarr/0/",
                                f"{BASE}/4.ome.zarr/0/", f"{BASE}/4b.ome.zarr/0/"]
    assert "Image:3" in err          # the malformed one is named on stderr


@pytest.mark.devserver


def test_missing_lists_images_without_a_copy(locate):
    rv, out, _ = locate("Project:1", "--missing", "--style", "json")
    assert rv == 0
    assert list(rows_of(out)) == [5]
    rv, out, _ = locate("Project:1", "--missing", "--urls")
    assert out.splitlines() == ["Image:5"]
    rv, out, _ = locate("Project:1", "--missing")
    assert "336 images: 335 published, 1 not published" in out


@pytest.mark.devserver


def test_another_namespace(locate):
    rv, out, _ = locate("Image:1,2", "--namespace", OLD_NS, "--urls")
    assert out.splitlines() == ["https://old.example.org/1/"]


@pytest.mark.parametrize("viewer, start", [
    ("vizarr", f"https://hms-dbmi.github.io/vizarr/?source={BASE}/1.ome.zarr/0/"),
    ("validator", f"https://ome.github.io/ome-ngff-validator/?source={BASE}/1.ome.zarr/0/"),
    ("neuroglancer", "https://neuroglancer-demo.appspot.com/#!"),
])
@pytest.mark.devserver
def test_viewer_links(locate, viewer, start):
    rv, out, _ = locate("Image:1", "--viewer", viewer, "--urls")
    [link] = out.splitlines()
    assert link.startswith(start)
    if viewer == "neuroglancer":
        state = json.loads(unquote(link.split("#!", 1)[1]))
        assert state["layers"][0]["source"] == f"zarr3://{BASE}/1.ome.zarr/0"
    rv, out, _ = locate("Image:1", "--viewer", viewer, "--style", "json")
    assert json.loads(out)["images"][0]["viewer"] == link


@pytest.mark.devserver


def test_reverse_lookup_with_or_without_the_slash(locate):
    for url in (f"{BASE}/1.ome.zarr/0/", f"{BASE}/1.ome.zarr/0"):
        rv, out, _ = locate(url, "--style", "json")
        assert rv == 0
        [row] = json.loads(out)["images"]
        assert row["image_id"] == 1 and row["name"] == "good.ndpi" and row["url"] == url
    rv, out, _ = locate(f"{BASE}/1.ome.zarr/0/", "--urls")
    assert out.splitlines() == ["Image:1"]
    rv, out, _ = locate(f"{BASE}/1.ome.zarr/0/")
    assert "good.ndpi" in out


@pytest.mark.devserver


def test_reverse_lookup_of_an_unknown_url_is_not_found(locate):
    rv, _, err = locate(f"{BASE}/nothing.ome.zarr/0/")
    assert rv == exit_codes.NOT_FOUND and "no image points at" in err


@pytest.mark.devserver


def test_unknown_object_is_not_found_in_one_line(locate):
    rv, out, err = locate("Image:777")
    assert rv == exit_codes.NOT_FOUND
    assert [line for line in err.splitlines() if "Image:777" in line] == \
        ["Error: Image:777: does not exist or is not readable"]


@pytest.mark.devserver


def test_some_unknown_objects_still_show_the_others(locate):
    rv, out, err = locate("Image:1,777", "--urls")
    assert rv == exit_codes.NOT_FOUND
    assert out.splitlines() == [f"{BASE}/1.ome.zarr/0/"] and "Image:777" in err


@pytest.mark.devserver


def test_private_data_of_others_is_not_found(locate):
    rv, _, err = locate("Image:9")
    assert rv == exit_codes.NOT_FOUND
    rv, out, _ = locate("Image:9", "--urls", user="bob")
    assert rv == 0 and out.splitlines() == [f"{BASE}/9.ome.zarr/0/"]


def test_a_bad_object_is_a_usage_error_before_connecting(capsys):
    rv, _, err = invoke(["ngff", "locate", "Image:x", "-s", "tcp://127.0.0.1", "-p", "9",
                         "-u", "nobody", "-w", "nothing"], capsys)
    assert rv == exit_codes.USAGE and "Traceback" not in err


@pytest.mark.devserver


def test_queries_do_not_grow_with_the_number_of_images(server, locate):
    def cost(obj):
        before = server.query_count()
        rv, out, _ = locate(obj, "--urls")
        assert rv == 0
        return server.query_count() - before, len(out.splitlines())

    small, n_small = cost("Dataset:3")
    large, n_large = cost("Dataset:2")
    assert (n_small, n_large) == (30, 300)
    assert large == small <= 6


@pytest.mark.devserver


def test_the_projections_locate_sends(server):
    """The dev server's answers to IMAGE_NAMES and ANNOTATION_VALUES (queries.py)."""
    from omero_cli_ngff.omero_io import queries
    from omero_cli_ngff.omero_io.query import QueryRunner
    conn = server.connect("alice")
    try:
        runner = QueryRunner(conn)
        assert runner.rows(queries.IMAGE_NAMES, [1, 6, 9, 777]) == [
            [1, "good.ndpi"], [6, "empty.tif"]]            # bob's 9 is not visible
        rows = runner.rows(queries.ANNOTATION_VALUES, [1, 4, 5, 6, 9], ns=NS)
    finally:
        conn.close()
    assert [r[0] for r in rows] == [1, 1, 1, 4, 4, 4, 4, 4, 4, 6]
    # the pairs of one annotation come in no defined order (no index(): queries.py)
    assert ["zarr_path", f"{BASE}/1.ome.zarr/0/"] in [r[2:] for r in rows[:3]]
    assert {r[2] for r in rows[:3]} == {"zarr_path", "ngff_version", "zarr_conversion_date"}
    assert rows[-1][2:] == [None, None]                     # an annotation without pairs
    assert len({r[1] for r in rows if r[0] == 4}) == 2      # two annotations on image 4


@pytest.mark.devserver


def test_reverse_lookup_of_a_bucket_url(locate, monkeypatch):
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    rv, out, _ = locate("gs://bucket/data/0.5/2.ome.zarr/0", "--urls")
    assert rv == 0 and out.splitlines() == ["Image:2"]
