"""Where copies are and whose they are: URLs always valid and percent-encoded, object
names exactly as written; public URLs without HTTP Range refused before converting;
a new --dest publishes there and retires the old copy only if it is the image's;
copies made before ownership records are adopted on evidence (or --adopt), never
otherwise; a store answering 200 with an HTML page is no evidence of anything."""

from __future__ import annotations

import threading
import types
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from omero_cli_ngff import exit_codes
from omero_cli_ngff.storage.ownership import OWNER_RECORD
from test_infra.fake_gcs import create_bucket
from tests.helpers.ownership import (
    OwnWorld,
    assert_annotations_point_at_own_copies,
    assert_unchanged,
    foreign_annotation,
    tool_pairs,
)
from tests.helpers.publish import env_isolated
from tests.helpers.verify import FolderServer

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]


@pytest.fixture
def world(ownership_server, gcs_emulator, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    return OwnWorld(ownership_server, gcs_emulator, capsys)


def _drop_record(world, root):
    requests.delete(f"{world.emulator.url}/storage/v1/b/{world.bucket}/o/"
                    + requests.utils.quote(f"{world.prefix}/{root}/{OWNER_RECORD}", safe=""),
                    timeout=10).raise_for_status()


# -- URLs and object names ---------------------------------------------------------------

@pytest.mark.parametrize("prefix,encoded", [("pct%20dir", "pct%2520dir"),
                                            ("my dir/ü", "my%20dir/%C3%BC")])
def test_object_names_are_as_written_and_urls_percent_encoded(ownership_server,
                                                             gcs_emulator, capsys, monkeypatch,
                                                             tmp_path, prefix, encoded):
    env_isolated(monkeypatch, tmp_path)
    world = OwnWorld(ownership_server, gcs_emulator, capsys, prefix=prefix)
    rv, rows, err = world.publish("Image:12")
    assert rv == 0, err
    url = world.copies([12])[12][0].zarr_path
    assert url == f"{gcs_emulator.url}/{world.bucket}/{encoded}/0.5/12.ome.zarr/0/"
    assert url.isascii() and " " not in url
    assert f"{prefix}/0.5/12.ome.zarr/0/zarr.json" in world.objects()
    assert requests.get(url + "zarr.json", timeout=10).status_code == 200
    assert_annotations_point_at_own_copies(world, [12])


def test_a_public_url_typed_with_spaces_is_stored_encoded(world, tmp_path):
    folder = tmp_path / "www" / "my data" / "ü"
    folder.mkdir(parents=True)
    with FolderServer(tmp_path / "www") as www:
        rv, rows, err = world.publish("Image:12", "--public-url", f"{www.url}/my data/ü",
                                      dest=str(folder))
        assert rv == 0, err
        url = world.copies([12])[12][0].zarr_path
        assert url == f"{www.url}/my%20data/%C3%BC/0.5/12.ome.zarr/0/"
        assert requests.get(url + "zarr.json", timeout=10).status_code == 200


# -- preflight: HTTP Range -----------------------------------------------------------------

def test_a_public_url_without_range_requests_is_refused_before_converting(world, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        rv, rows, err = world.publish("Image:12", "--public-url", url, dest=str(folder))
        assert rv == exit_codes.DESTINATION, err
        assert "Range" in err and "Traceback" not in err
        assert [p for p in folder.rglob("*") if p.is_file()] == []     # nothing converted
        assert world.copies([12]) == {}
        # NGFF 0.4 (no shards) needs no Range requests
        rv, rows, err = world.publish("Image:12", "--ngff-version", "0.4",
                                      "--public-url", url, dest=str(folder))
        assert rv == 0, err
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- another destination -------------------------------------------------------------------

def test_a_new_destination_gets_the_copy_and_the_old_one_is_retired(world, capsys):
    rv, rows, err = world.publish("Image:12,13")
    assert rv == 0, err
    first = world.objects()
    rv, rows, err = world.publish("Image:12", dest="gs://no-such-bucket-ownership/x")
    assert rv == exit_codes.DESTINATION, err                  # not "up to date"
    assert "no-such-bucket-ownership" in err
    assert world.copies([12])[12][0].zarr_path.startswith(world.public())
    second = create_bucket(world.emulator.url, world.bucket + "-b")
    rv, rows, err = world.publish("Image:12", dest=f"gs://{second}/data")
    assert rv == 0, err
    assert rows[0]["action"] == "update" and "removed the previous copy" in rows[0]["message"]
    url = world.copies([12])[12][0].zarr_path
    assert url.startswith(f"{world.emulator.url}/{second}/data/0.5/12.ome.zarr/")
    now = world.objects()
    assert not [n for n in now if "/12.ome.zarr/" in n]      # the old copy: ours, removed
    assert_unchanged(first, now, "data/0.5/13.ome.zarr")
    # --keep-old keeps it
    third = create_bucket(world.emulator.url, world.bucket + "-c")
    rv, rows, err = world.publish("Image:12", "--keep-old", dest=f"gs://{third}/data")
    assert rv == 0 and "old copy kept" in rows[0]["message"], err
    assert requests.get(url + "zarr.json", timeout=10).status_code == 200


# -- copies without a record ---------------------------------------------------------------

def test_a_copy_without_a_record_is_adopted_on_evidence(world):
    rv, rows, err = world.publish("Image:12,13")
    assert rv == 0, err
    _drop_record(world, "0.5/12.ome.zarr")          # as copies made before records
    before = world.objects()
    rv, rows, err = world.publish("Image:12", "--force")
    assert rv == 0, err
    assert "adopted the old copy" in rows[0]["message"]
    after = world.objects()
    assert not [n for n in after if "/0.5/12.ome.zarr/" in n]
    assert_unchanged(before, after, "data/0.5/13.ome.zarr")
    assert_annotations_point_at_own_copies(world, [12, 13])


def test_a_copy_without_a_record_that_another_image_points_into_is_left(world):
    rv, rows, err = world.publish("Image:12")
    assert rv == 0, err
    _drop_record(world, "0.5/12.ome.zarr")
    # Image:13's owner says its copy is there too
    other = foreign_annotation(world.server, "alice", 13, world.namespace,
                               tool_pairs(world.public("0.5/12.ome.zarr/0/")))
    before = world.objects()
    rv, rows, err = world.publish("Image:12", "--force")
    assert rv == 0, err
    assert "left" in rows[0]["message"] and "Image:13" in rows[0]["message"]
    assert_unchanged(before, world.objects(), "data/0.5/12.ome.zarr")
    assert [c.annotation_id for c in world.copies([13])[13]] == [other]
    assert_annotations_point_at_own_copies(world, [12])


def test_data_without_a_record_or_annotation_needs_adopt(world):
    rv, rows, err = world.publish("Image:12")
    assert rv == 0, err
    _drop_record(world, "0.5/12.ome.zarr")
    conn = world.server.connect("root")
    try:
        from omero_cli_ngff.omero_io import annotations
        annotations.remove(conn, world.copies([12])[12])
    finally:
        conn.close()
    before = world.objects()
    rv, rows, err = world.publish("Image:12")
    assert rv == exit_codes.DESTINATION, err
    assert "--adopt" in rows[0]["message"] and world.objects() == before
    rv, rows, err = world.publish("Image:12", "--adopt")
    assert rv == 0 and rows[0]["status"] == "restored", err
    assert_unchanged(before, world.objects(), "data/0.5/12.ome.zarr/0")
    assert_annotations_point_at_own_copies(world, [12])


# -- a store answering 200 with an HTML page -------------------------------------------------

def test_an_html_page_for_the_metadata_is_no_evidence(ownership_server, gcs_emulator,
                                                      fault_proxy, capsys, monkeypatch,
                                                      tmp_path):
    env_isolated(monkeypatch, tmp_path)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fault_proxy.url)
    world = OwnWorld(ownership_server, types.SimpleNamespace(url=fault_proxy.url), capsys)
    rv, rows, err = world.publish("Image:12,13")
    assert rv == 0, err
    before = world.objects()
    annotated = world.copies([12, 13])
    fault_proxy.respond(200, body=b"<html><body>We are down for maintenance</body></html>",
                        headers={"Content-Type": "text/html"}, method="GET",
                        path=r"/12\.ome\.zarr/0/zarr\.json$")
    rv, rows, err = world.publish("Image:12,13")
    by_image = {r["image_id"]: r for r in rows}
    assert rv == exit_codes.DESTINATION, err
    assert by_image[12]["status"] == "failed" and "unparseable" in by_image[12]["message"]
    assert by_image[13]["status"] == "skipped"
    assert world.objects() == before and world.copies([12, 13]) == annotated
    fault_proxy.clear()
    assert_annotations_point_at_own_copies(world, [12, 13])
