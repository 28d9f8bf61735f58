"""A held tree (a plate root under its claim): existence checks, listings and removals
answered from one listing plus what was written since, with the same answers as the
object store gives, and no request per key."""

import numpy as np
import pytest
import zarr
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync

from omero_cli_ngff.ngff.store import list_prefix
from omero_cli_ngff.storage import parse_destination
from omero_cli_ngff.storage.held_tree import KnownTree
from test_infra.fake_gcs import put_object


def test_known_tree_lists_keys_and_folders_and_forgets_removed_ones():
    tree = KnownTree(["a/b/c", "a/b/d", "a/e", "f"])
    assert tree.under("a") == ["a/b/c", "a/b/d", "a/e"]
    assert tree.under("a/b/") == ["a/b/c", "a/b/d"]
    assert tree.under("f") == ["f"] and tree.under("x") == []
    assert tree.children("") == ["a", "f"] and tree.children("a/b") == ["c", "d"]
    assert tree.is_folder("a/b") and not tree.is_folder("a/b/c")
    tree.discard("a/b/c")
    tree.discard("a/b/d")
    assert not tree.is_folder("a/b") and tree.children("a") == ["e"]
    tree.discard("a/e")
    assert tree.children("") == ["f"] and tree.under("") == ["f"]


def test_known_tree_keeps_small_metadata_documents_only():
    tree = KnownTree()
    tree.add("g/zarr.json", b"{}")
    tree.add("g/0/c/0/0", b"chunk")
    assert tree.document("g/zarr.json") == b"{}" and tree.document("g/0/c/0/0") is None
    tree.add("g/zarr.json")                # written again, content unknown: not kept
    assert tree.document("g/zarr.json") is None


class Calls:
    """The HTTP calls a gcsfs filesystem makes (method, path template)."""

    def __init__(self, fs, monkeypatch):
        self.calls = []
        original = fs._call

        async def counting(method, path, *args, **kwargs):
            self.calls.append((method, path, kwargs.get("delimiter")))
            return await original(method, path, *args, **kwargs)

        monkeypatch.setattr(fs, "_call", counting)

    def listings(self):
        return [c for c in self.calls if c[0] == "GET" and c[1] == "b/{}/o"]


@pytest.mark.object_store
def test_images_written_through_a_held_tree_need_one_listing(gcs_emulator, bucket,
                                                            monkeypatch):
    dest = parse_destination(f"gs://{bucket}/data")
    put_object(gcs_emulator.url, bucket, "data/plate/.omero-ngff-owner.json", b"{}")
    store = dest.held_zarr_store("plate")
    calls = Calls(store._store.fs, monkeypatch)
    for field in range(5):
        group = zarr.open_group(store, path=f"B/1/{field}", mode="a", zarr_format=3)
        array = group.create_array("0", shape=(2, 16, 16), chunks=(1, 16, 16),
                                   dtype="uint16", overwrite=True)
        array[:] = field
        group.attrs["done"] = True
    assert calls.listings() == []          # the one listing was made when it opened
    assert [c for c in calls.calls if c[0] == "GET"] == []   # nothing read back either
    plain = dest.zarr_store("plate", read_only=True)
    for field in range(5):
        back = zarr.open_group(plain, path=f"B/1/{field}", mode="r")
        assert back.attrs["done"] is True
        np.testing.assert_array_equal(back["0"][:], np.full((2, 16, 16), field))
    assert list_prefix(store, "") == sorted(list_prefix(plain, ""))
    assert ".omero-ngff-owner.json" in list_prefix(store, "")


@pytest.mark.object_store
def test_a_held_tree_knows_what_was_there_and_what_bypassed_zarr(gcs_emulator, bucket,
                                                                tmp_path):
    put_object(gcs_emulator.url, bucket, "data/plate/A/1/0/zarr.json", b'{"x": 1}')
    put_object(gcs_emulator.url, bucket, "data/plate/A/1/0/0/c/0", b"old")
    dest = parse_destination(f"gs://{bucket}/data")
    store = dest.held_zarr_store("plate")
    proto = default_buffer_prototype()
    assert sync(store.exists("A/1/0/zarr.json")) and sync(store.exists("A/1"))
    assert not sync(store.exists("A/1/1/zarr.json"))
    assert sync(store.get("A/1/0/zarr.json", proto)).to_bytes() == b'{"x": 1}'
    assert sync(store.get("A/1/1/zarr.json", proto)) is None
    # a shard uploaded through the filesystem (as the writer's spool sink does)
    local = tmp_path / "shard"
    local.write_bytes(b"shard")
    sync(store._store.fs._put_file(str(local), f"{bucket}/data/plate/A/2/0/0/c/0"))
    assert sync(store.exists("A/2/0/0/c/0"))
    assert sorted(list_prefix(store, "A/")) == ["A/1/0/0/c/0", "A/1/0/zarr.json",
                                                "A/2/0/0/c/0"]
    assert _aiter(store.list_dir("A")) == ["1", "2"]
    sync(store.delete_dir("A/2"))
    sync(store.delete("A/1/0/0/c/0"))
    plain = dest.zarr_store("plate")
    assert list_prefix(plain, "") == ["A/1/0/zarr.json"] == list_prefix(store, "")


def _aiter(agen):
    async def collect():
        return [x async for x in agen]
    return sync(collect())
