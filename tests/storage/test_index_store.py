"""The index store on the backends of this process (memory, folders): shards by id
range, a manifest listing them, no lost entries with concurrent writers, nothing
written when nothing changes. (fake-gcs-server: tests/commands/test_publish_index.py.)"""

import json
import threading
import uuid

import pytest

from omero_cli_ngff.model.index_entry import MANIFEST, SHARD_SIZE, IndexEntry, shard_of, shard_path
from omero_cli_ngff.storage.destination import parse_destination
from omero_cli_ngff.storage.index_store import IndexStore


@pytest.fixture(params=["memory", "folder"])
def dest(request, tmp_path):
    if request.param == "memory":
        return parse_destination(f"memory://index-{uuid.uuid4().hex}", "http://example.org/d")
    return parse_destination(str(tmp_path / "dest"), "http://example.org/d")


def entry(i: int, name: str = "") -> IndexEntry:
    return IndexEntry(i, name or f"img-{i}", f"http://example.org/d/{i}/0/", "0.5")


def test_entries_go_to_shards_by_id_range_listed_in_the_manifest(dest):
    store = IndexStore(dest)
    assert store.upsert(entry(i) for i in range(1, SHARD_SIZE + 3)) == 2
    manifest = json.loads(dest.read_bytes(MANIFEST))
    assert manifest["entries"] == SHARD_SIZE + 2
    assert [s["path"] for s in manifest["shards"]] == [shard_path(shard_of(1)),
                                                       shard_path(shard_of(SHARD_SIZE))]
    assert len(store.read_all()) == SHARD_SIZE + 2


def test_unchanged_entries_write_nothing_and_removals_update_counts(dest):
    store = IndexStore(dest)
    store.upsert([entry(1), entry(2)])
    before = dest.read_versioned(MANIFEST)
    assert store.upsert([entry(1)]) == 0
    assert dest.read_versioned(MANIFEST) == before
    assert store.upsert([entry(1, "renamed")]) == 1
    assert store.read_all()[1].name == "renamed"
    store.remove([1, 2])
    assert json.loads(dest.read_bytes(MANIFEST))["shards"] == []
    assert store.read_all() == {}


def test_concurrent_writers_lose_no_entries(dest):
    stores = [IndexStore(dest) for _ in range(4)]

    def write(k: int) -> None:
        for i in range(k, 60, 4):
            stores[k].upsert([entry(i)])

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(IndexStore(dest).read_all()) == list(range(60))
    assert json.loads(dest.read_bytes(MANIFEST))["entries"] == 60


def test_garbage_in_a_shard_is_ignored(dest):
    dest.write_bytes(shard_path("0000000"), b"{not json")
    store = IndexStore(dest)
    assert store.read_all() == {}
    store.upsert([entry(3)])
    assert sorted(store.read_all()) == [3]


def test_read_entries_reads_only_the_shards_of_the_images_asked(dest, monkeypatch):
    store = IndexStore(dest)
    far = 3 * SHARD_SIZE + 1
    store.upsert([entry(1), entry(2), entry(SHARD_SIZE + 1), entry(far)])
    read = []
    original = store.read_shard
    monkeypatch.setattr(store, "read_shard", lambda shard: read.append(shard) or
                        original(shard))
    found = store.read_entries([2, far, 7])
    assert sorted(found) == [2, far] and found[far] == entry(far)
    assert read == sorted({shard_of(2), shard_of(far)})
