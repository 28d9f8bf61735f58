"""`omero ngff verify` through the real CLI against the dev server.

Published copies are written from the dev server's own pixels into a local folder
served over HTTP (Range-capable), then annotated with annotations.write; each failure
is built on purpose on one image of the demo catalogue.
"""

from __future__ import annotations

import json
import os
import shutil
import socket

import pytest

from omero_cli_ngff.omero_io import annotations
from omero_cli_ngff import exit_codes
from omero_cli_ngff.model.annotation import DEFAULT_NAMESPACE, annotation_values
from omero_cli_ngff.workflows.convert import convert_image
from omero_cli_ngff.ngff.spec import WriteOptions
from omero_cli_ngff.model.objects import parse_objects
from omero_cli_ngff.omero_io.targets import resolve
from test_infra.fault_proxy import FaultProxy

from test_infra.omero_fixtures import start_devserver
from tests.helpers.cli import invoke
from tests.helpers.verify import FolderServer, image_pixels, write_copy

pytestmark = [pytest.mark.devserver]

NS = DEFAULT_NAMESPACE
DATE = "2024-03-01T10:00:00+00:00"

# image id -> what is wrong with its published copy (demo catalogue, owner alice)
CASES = {
    1: "sound, three levels (lower levels compared with OMERO's)",
    2: "sound, Z stack with physical sizes",
    3: "sound but NGFF 0.4 (outdated)",
    4: "data deleted",
    5: "a chunk truncated",
    6: "annotation says 0.4, data is 0.5",
    7: "shape disagrees with OMERO",
    8: "two annotations in the namespace",
    10: "URL answers 403 (fault proxy)",
    11: "host unreachable (closed port)",
    12: "malformed annotation",
    20: "metadata is not JSON",
    9: "an HTML page answered with 200 (a proxy's error page)",
    42: "a 404 that goes away when looked at again",
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Dev server + published folder + fault proxy, with one copy per case."""
    base = tmp_path_factory.mktemp("verify-world")
    saved = {k: os.environ.get(k) for k in ("OMERO_SESSIONDIR", "OMERO_USERDIR")}
    os.environ["OMERO_SESSIONDIR"] = str(base / "sessions")
    os.environ["OMERO_USERDIR"] = str(base / "userdir")
    (base / "state").mkdir()
    (base / "www").mkdir()
    server = start_devserver(base / "state")
    www = FolderServer(base / "www").start()
    proxy = FaultProxy(www.url).start()
    proxy.fail(403, path=r"^/forbidden/")
    proxy.respond(200, body=b"<html><body>Service temporarily unavailable</body></html>",
                  headers={"Content-Type": "text/html"}, path=r"^/html/")
    conn = server.connect("alice")
    try:
        records = {r.id: r for r in resolve(conn, parse_objects(
            ["Image:" + ",".join(str(i) for i in CASES)])).images}
        root = base / "www"

        def publish(image_id, version="0.5", data=None, url=None, pairs=None, **kw):
            rec = records[image_id]
            if data is not False:
                px = image_pixels(image_id) if data is None else data
                size = (rec.physical_x.value if rec.physical_x else 1.0,
                        rec.physical_y.value if rec.physical_y else 1.0)
                z = rec.physical_z.value if rec.physical_z else 1.0
                write_copy(root, f"{image_id}.ome.zarr", px, version, pixel_size=size,
                           z_size=z, **kw)
            url = url or f"{www.url}/{image_id}.ome.zarr/"
            values = pairs or annotation_values(url, version, DATE)
            annotations.write(conn, image_id, rec.group_id, NS, values, [])

        # the sound copies are written by the plugin's own writer from OMERO's tiles
        for image_id, version in ((1, "0.5"), (2, "0.5"), (3, "0.4")):
            convert_image(conn, records[image_id], str(root / f"{image_id}.ome.zarr"),
                          WriteOptions(ngff_version=version, chunk_size=128,
                                       min_level_size=64, workers=2))
            publish(image_id, version=version, data=False,
                    url=f"{www.url}/{image_id}.ome.zarr/0/")      # bioformats2raw layout
        publish(4)
        shutil.rmtree(root / "4.ome.zarr")
        publish(5)
        with open(root / "5.ome.zarr" / "s0" / "c" / "0" / "0" / "0" / "0" / "0", "r+b") as f:
            f.truncate(3)
        write_copy(root, "6.ome.zarr", image_pixels(6), "0.5", pixel_size=(1, 1))
        publish(6, version="0.4", data=False)
        publish(7, data=image_pixels(7)[..., :80])
        publish(8)
        annotations.write(conn, 8, records[8].group_id, NS,
                          annotation_values(f"{www.url}/8.ome.zarr/", "0.5",
                                                        DATE), [])
        write_copy(root / "forbidden", "10.ome.zarr", image_pixels(10), "0.5")
        publish(10, data=False, url=f"{proxy.url}/forbidden/10.ome.zarr/")
        publish(11, data=False, url=f"http://127.0.0.1:{closed_port()}/11.ome.zarr/")
        publish(12, data=False, pairs={"zarr_path": f"{www.url}/12.ome.zarr/",
                                       "zarr_conversion_date": "last tuesday"})
        publish(20)
        (root / "20.ome.zarr" / "zarr.json").write_text('{"zarr_format": 3, "node_')
        write_copy(root / "html", "9.ome.zarr", image_pixels(9), "0.5")
        publish(9, data=False, url=f"{proxy.url}/html/9.ome.zarr/")
        write_copy(root / "flaky", "42.ome.zarr", image_pixels(42), "0.5")
        publish(42, data=False, url=f"{proxy.url}/flaky/42.ome.zarr/")
        # an old copy nobody points at, for --orphans
        write_copy(root / "old", "2.ome.zarr", image_pixels(2), "0.5", levels=1)
        yield {"server": server, "www": www, "proxy": proxy, "root": root, "conn": conn,
               "login": server.cli_login_args("alice")}
    finally:
        conn.close()
        proxy.stop()
        www.stop()
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def verify_json(world, capsys, *args):
    rv, out, err = invoke(["ngff", "verify", *args, "--style", "json"] + world["login"],
                          capsys)
    assert "Traceback" not in err
    return rv, json.loads(out), err


def by_image(doc) -> dict:
    return {img["image_id"]: img for img in doc["images"]}


def test_sound_copies_verify_with_exit_0(world, capsys):
    rv, doc, _ = verify_json(world, capsys, "Image:1,2", "--sample", "3")
    assert rv == exit_codes.OK, json.dumps(doc["images"])[:3000]
    images = by_image(doc)
    # served over plain http here: the only remark is that warning
    for image_id in (1, 2):
        assert images[image_id]["status"] == "warnings"
        assert {p["code"] for p in images[image_id]["problems"]} == {"insecure-url"}
    # warnings only: exit 0 and ok, but not all sound (#13)
    assert doc["summary"]["unsound"] == 0 and doc["summary"]["ok"] is True
    assert doc["summary"]["all_sound"] is False


def test_sound_copy_table_for_people(world, capsys):
    rv, out, err = invoke(["ngff", "verify", "Image:2"] + world["login"], capsys)
    assert rv == 0
    assert "1 image: 0 sound, 1 with warnings, 0 unsound" in out
    assert "insecure-url" in out


def test_every_failure_is_reported_and_none_crashes(world, capsys):
    rv, doc, err = verify_json(world, capsys, "Dataset:1,2", "Image:20")
    assert rv == exit_codes.UNSOUND
    images = by_image(doc)

    def codes(image_id):    # plain http is the test setup: leave that warning out
        return {p["code"] for p in images[image_id]["problems"]} - {"insecure-url"}

    assert codes(1) == codes(2) == set()
    assert images[3]["status"] == "warnings" and codes(3) == {"outdated"}
    assert {p["severity"] for p in images[3]["problems"]} == {"warning"}
    assert codes(4) == {"data-not-found"}
    assert "chunk-unreadable" in codes(5)
    assert codes(6) == {"version-mismatch", "outdated"}
    assert codes(7) == {"shape-mismatch"}
    assert "duplicate-annotation" in codes(8)
    assert codes(10) == {"forbidden"}
    assert codes(11) == {"unreachable"}
    assert codes(12) == {"missing-key", "bad-date"}
    assert codes(20) == codes(9) == {"unknown-answer"}         # not JSON; an HTML page
    for image_id in (4, 5, 6, 7, 8, 9, 10, 11, 12, 20):
        assert images[image_id]["status"] == "unsound", image_id
    # only definite evidence that is not transient: gone (404 twice), proven wrong
    fixable = {i for i, img in images.items() if any(p["fixable"] for p in img["problems"])}
    assert fixable == {4, 7}
    assert images[13]["status"] == images[15]["status"] == "not published"
    assert doc["summary"]["unsound"] == 10 and doc["summary"]["all_sound"] is False


def test_table_lists_each_problem_on_its_own_line(world, capsys):
    rv, out, err = invoke(["ngff", "verify", "Image:4,7,11"] + world["login"], capsys)
    if os.environ.get("SHOW_OUTPUT"):
        with capsys.disabled():
            print(out)
    assert rv == exit_codes.UNSOUND
    lines = out.splitlines()
    assert any(line.startswith("Image:4 error data-not-found") for line in lines)
    assert any(line.startswith("Image:7 error shape-mismatch") and "X 80 (OMERO 96)" in line
               for line in lines)
    assert any(line.startswith("Image:11 error unreachable") for line in lines)


def test_csv_has_one_row_per_problem(world, capsys):
    rv, out, _ = invoke(["ngff", "verify", "Image:2,12", "--style", "csv"] + world["login"],
                        capsys)
    assert rv == exit_codes.UNSOUND
    rows = out.strip().splitlines()
    assert rows[0].startswith("image_id,name,status,url")
    # header, the http warning of 2, the http warning and two errors of 12
    assert len(rows) == 1 + 1 + 3, rows


def test_outdated_fails_only_when_a_version_is_asked_for(world, capsys):
    rv, doc, _ = verify_json(world, capsys, "Image:3")
    assert rv == 0 and by_image(doc)[3]["status"] == "warnings"
    assert "outdated" in {p["code"] for p in by_image(doc)[3]["problems"]}
    rv, doc, _ = verify_json(world, capsys, "Image:3", "--ngff-version", "0.5")
    assert rv == exit_codes.UNSOUND and by_image(doc)[3]["status"] == "unsound"


def test_sample_zero_reads_no_tile(world, capsys):
    rv, doc, _ = verify_json(world, capsys, "Image:1", "--sample", "0")
    assert rv == 0


def test_unknown_object_is_not_found(world, capsys):
    rv, out, err = invoke(["ngff", "verify", "Image:9999"] + world["login"], capsys)
    assert rv == exit_codes.NOT_FOUND
    assert "Image:9999" in err and "Traceback" not in err


def test_orphans_are_listed_with_sizes(world, capsys):
    rv, doc, _ = verify_json(world, capsys, "Image:2", "--orphans", str(world["root"]))
    assert rv == 0
    orphans = {o["relpath"]: o for o in doc["orphans"]}
    assert "old/2.ome.zarr" in orphans and orphans["old/2.ome.zarr"]["size"] > 0
    # annotated copies are not orphans (the 403 one sits under forbidden/, also annotated)
    assert "2.ome.zarr" not in orphans and "forbidden/10.ome.zarr" not in orphans
    assert os.path.isdir(world["root"] / "old" / "2.ome.zarr")      # only reported


def test_fix_dry_run_changes_nothing(world, capsys):
    before = annotations.read(world["conn"], [4, 7, 10, 11, 20], NS)
    rv, out, _ = invoke(["ngff", "verify", "Image:4,7,10,11,20", "--fix", "--dry-run"]
                        + world["login"], capsys)
    assert rv == exit_codes.UNSOUND
    assert "would remove annotation" in out
    assert out.count("would remove") == 2
    after = annotations.read(world["conn"], [4, 7, 10, 11, 20], NS)
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}


def test_dry_run_without_fix_is_a_usage_error(world, capsys):
    rv, _, err = invoke(["ngff", "verify", "Image:4", "--dry-run"] + world["login"], capsys)
    assert rv == exit_codes.USAGE


def test_fix_never_acts_on_unknown_answers(world, capsys):
    # an HTML page with 200, JSON that is no metadata, a 404 that goes away, 403, no host
    world["proxy"].fail(404, method="GET", path=r"^/flaky/42\.ome\.zarr/zarr\.json$",
                        times=1)
    rv, doc, _ = verify_json(world, capsys, "Image:9,10,11,20,42", "--fix")
    assert rv == exit_codes.UNSOUND
    images = by_image(doc)
    assert {p["code"] for p in images[9]["problems"]} - {"insecure-url"} == \
        {"unknown-answer"}
    assert "HTML" in images[9]["problems"][-1]["message"]
    gone = [p for p in images[42]["problems"] if p["code"] == "data-not-found"]
    assert gone and not gone[0]["fixable"] and "looked at again" in gone[0]["message"]
    assert doc["fixes"] == []
    assert set(annotations.read(world["conn"], [9, 10, 11, 20, 42], NS)) == \
        {9, 10, 11, 20, 42}


def test_fix_removes_only_annotations_whose_data_is_gone_or_proven_wrong(world, capsys):
    rv, doc, _ = verify_json(world, capsys, "Image:4,5,7,10,11,20", "--fix")
    assert rv == exit_codes.UNSOUND
    fixed = {f["image_id"]: f["reason"] for f in doc["fixes"] if f["done"]}
    assert fixed == {4: "data-not-found", 7: "shape-mismatch"}
    left = annotations.read(world["conn"], [4, 5, 7, 10, 11, 20], NS)
    assert set(left) == {5, 10, 11, 20}
    assert (world["root"] / "7.ome.zarr" / "zarr.json").exists()   # data never deleted
    rv, doc, _ = verify_json(world, capsys, "Image:4,7")
    assert rv == 0 and {i["image_id"] for i in doc["images"]
                        if i["status"] == "not published"} == {4, 7}
