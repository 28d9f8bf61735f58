"""`publish` keeps the public index beside the data: index.json (a manifest of shards),
the shards, thumbnails and index.html, against the dev server and the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from omero_cli_ngff.model.index_entry import IndexEntry, shard_path
from omero_cli_ngff.storage.destination import parse_destination
from omero_cli_ngff.storage.index_store import IndexStore
from tests.helpers.publish import CATALOGUE, SMALL, World, env_isolated

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    """A bucket and the publish catalogue's dev server; nothing published yet."""
    env_isolated(monkeypatch, tmp_path)
    return World(start_omero_devserver(CATALOGUE), gcs_emulator, bucket, capsys)


def index_entries(world: World) -> dict[int, dict]:
    manifest = requests.get(world.public("index.json"), timeout=10).json()
    out = {}
    for shard in manifest["shards"]:
        doc = requests.get(world.public(shard["path"]), timeout=10).json()
        assert len(doc["entries"]) == shard["count"]
        out.update({e["image_id"]: e for e in doc["entries"]})
    return out


def test_publish_writes_the_index_and_a_rerun_writes_nothing(world):
    rv, rows, err = world.publish("Project:1", "--index-namespace",
                                  "openmicroscopy.org/omero/client/mapAnnotation")
    assert rv == 0, err
    entries = index_entries(world)
    assert sorted(entries) == SMALL
    copies = {i: c[0] for i, c in world.copies(SMALL).items()}
    first = entries[1]
    assert first["zarr_path"] == copies[1].zarr_path
    assert first["conversion_date"] == copies[1].conversion_date
    assert first["name"] == "rgb.ndpi"
    assert first["containers"] == ["small/small-types"]
    assert first["pairs"] == {"stain": "H&E"}
    assert first["physical_sizes"]["x"] == [0.25, "MICROMETER"]
    assert (first["size_x"], first["size_y"], first["size_c"]) == (96, 64, 3)
    assert first["owner"] == "" and first["group"] == ""      # not asked for
    assert entries[11]["containers"] == ["small/series"]
    thumb = requests.get(first["thumbnail"], timeout=10)
    assert thumb.status_code == 200 and thumb.content[:8] == b"\x89PNG\r\n\x1a\n"
    page = requests.get(world.public("index.html"), timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "index.json" in page.text

    before = world.objects()
    rv, rows, err = world.publish("Project:1", "--index-namespace",
                                  "openmicroscopy.org/omero/client/mapAnnotation")
    assert rv == 0, err
    assert {r["status"] for r in rows} == {"skipped"}
    assert world.objects() == before


def test_no_index_and_owners_option(world):
    rv, _, err = world.publish("Image:1", "--no-index")
    assert rv == 0, err
    assert not [n for n in world.objects() if "index" in n.rsplit("/", 1)[-1]
                or "/index/" in n]
    rv, _, err = world.publish("Image:1", "--index-owners")      # skipped: indexed now
    assert rv == 0, err
    entry = index_entries(world)[1]
    assert (entry["owner"], entry["group"]) == ("alice", "public-lab")


def test_two_concurrent_index_writers_lose_nothing(world):
    """Two publishers changing the same shard and the manifest at once (the index store
    of two runs, each with its own connection to the bucket)."""
    dests = [parse_destination(world.dest, world.public().rstrip("/")) for _ in range(2)]
    errors = []

    def writer(k: int) -> None:
        store = IndexStore(dests[k])
        try:
            for i in range(k, 40, 2):
                store.upsert([IndexEntry(i, f"img-{i}", world.public(f"{i}/"), "0.5")])
        except Exception as err:      # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    entries = index_entries(world)
    assert sorted(entries) == list(range(40))
    manifest = json.loads(requests.get(world.public("index.json"), timeout=10).content)
    assert manifest["entries"] == 40
    assert [s["path"] for s in manifest["shards"]] == [shard_path("0000000")]


def test_two_publish_runs_at_once_keep_each_others_entries(world, tmp_path):
    """Two `omero-ngff publish` processes into one bucket at the same time, each with
    images of the same shard: the index lists all of them."""
    repo = Path(__file__).resolve().parents[2]

    def env(k: int) -> dict:
        # each run with its own OMERO home, as two batch jobs have: omero-py creates its
        # session and temp folders check-then-create (omero_ext.path.makedirs, no
        # exist_ok), so two first logins under one fresh home can fail with EEXIST
        return dict(os.environ, PYTHONPATH=str(repo), TMPDIR=str(tmp_path),
                    OMERO_SESSIONDIR=str(tmp_path / f"sessions-{k}"),
                    OMERO_USERDIR=str(tmp_path / f"user-{k}"))

    procs = [subprocess.Popen(
        [sys.executable, "-m", "omero_cli_ngff", "publish", images, "--dest", world.dest,
         "--public-url", world.public().rstrip("/"), "--style", "json",
         *world.server.cli_login_args("alice")], cwd=str(repo), env=env(k),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for k, images in enumerate(("Image:1,2,3", "Image:11,12"))]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
    assert sorted(index_entries(world)) == SMALL


def verify(world: World, *args):
    from tests.helpers.cli import invoke
    argv = ["ngff", "verify", *args, "--dest", world.dest, "--sample", "0", "--style",
            "json"] + world.server.cli_login_args("alice")
    rv, out, err = invoke(argv, world.capsys)
    return rv, json.loads(out), err


def index_codes(doc) -> dict[int, list[str]]:
    text = json.dumps(doc)
    codes = {}
    for image in doc["images"]:
        found = [p["code"] for p in image.get("problems", []) if p["code"].startswith("index")]
        if found:
            codes[int(image["image_id"])] = found
    assert text
    return codes


def test_verify_finds_and_fix_repairs_the_index(world, monkeypatch):
    rv, _, err = world.publish("Image:1,2")
    assert rv == 0, err
    dest = parse_destination(world.dest, world.public().rstrip("/"))
    store = IndexStore(dest)
    good = store.read_all()
    store.remove([2])                                          # missing
    store.upsert([IndexEntry(**{**good[1].to_json(), "name": "old name"})])   # stale
    store.upsert([IndexEntry(3, "float.tif", world.public("gone/0/"), "0.5")])  # removed
    rv, doc, err = verify(world, "Image:1,2,3")
    # 3 is not published: listed as such (verify's document has every image), with the
    # entry that points at a removed copy
    assert index_codes(doc) == {1: ["index-stale"], 2: ["index-missing"],
                                3: ["index-removed"]}, doc
    computed = spy_on_expected_entries(monkeypatch)
    rv, doc, err = verify(world, "Image:1,2,3", "--fix")
    assert {f["image_id"] for f in doc["fixes"] if f["done"]} == {1, 2, 3}, doc
    assert len(computed) == 1                   # by the check; the repair reuses them
    rv, doc, err = verify(world, "Image:1,2,3")
    assert index_codes(doc) == {} and "index-" not in err
    repaired = IndexStore(dest).read_all()
    assert sorted(repaired) == [1, 2]
    assert repaired[1] == good[1] and repaired[2] == good[2]


def spy_on_expected_entries(monkeypatch) -> list[int]:
    """A list that grows by one at each computation of the expected entries."""
    from omero_cli_ngff.workflows import index, index_verify

    calls: list[int] = []
    original = index.expected_entries

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(index, "expected_entries", counted)
    monkeypatch.setattr(index_verify, "expected_entries", counted)
    return calls


def test_an_index_that_cannot_be_written_never_fails_the_images(world, monkeypatch):
    from omero_cli_ngff.workflows import index

    def broken(*args, **kwargs):
        raise RuntimeError("index broken on purpose")

    monkeypatch.setattr(index, "update_index", broken)
    rv, rows, err = world.publish("Image:1")
    assert rv == 0, err
    assert rows[0]["status"] == "published"
    assert "not updated (index broken on purpose)" in err and "verify" in err
    assert not [n for n in world.objects() if n.endswith("index.json")]
    monkeypatch.undo()
    rv, rows, err = world.publish("Image:1")               # the next run catches up
    assert rv == 0 and rows[0]["status"] == "skipped", err
    assert sorted(index_entries(world)) == [1]
