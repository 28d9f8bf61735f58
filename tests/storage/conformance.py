"""The conformance suite of storage backends (in the spirit of zarr-python's
``zarr.testing.store.StoreTests``): every operation of `Destination`, exclusive creates
and conditional replaces/deletes under races included. Subclass `DestinationTests`
once per backend (tests/storage/test_backends.py) with a ``make`` fixture: a factory
of destinations at one place, each call a new object as another run would have."""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pytest
import zarr

from omero_cli_ngff.storage import (
    BACKENDS,
    Destination,
    InvalidDestination,
    PreflightReport,
    StorageWriteError,
    parse_destination,
)
from omero_cli_ngff.storage.preflight import PROBE_PREFIX

Make = Callable[..., Destination]
T = TypeVar("T")
RACERS = 6


def race(n: int, act: Callable[[int], T]) -> list[T]:
    """Run ``act(i)`` in n threads released at once; the results in order."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = act(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def image_v3(store: Any) -> None:
    g = zarr.open_group(store, mode="w", zarr_format=3)
    g.attrs["ome"] = {"version": "0.5", "multiscales": [
        {"axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
         "datasets": [{"path": "0", "coordinateTransformations": [
             {"type": "scale", "scale": [1.0, 1.0]}]}]}]}
    a = g.create_array("0", shape=(32, 32), chunks=(8, 8), shards=(16, 16), dtype="uint8")
    a[:] = np.arange(32 * 32).reshape(32, 32) % 251


def image_v2(store: Any) -> None:
    g = zarr.open_group(store, mode="w", zarr_format=2)
    g.attrs["multiscales"] = [{"version": "0.4", "datasets": [{"path": "0"}],
                               "axes": [{"name": "y"}, {"name": "x"}]}]
    g.create_array("0", shape=(8, 8), chunks=(4, 4), dtype="uint8")[:] = 3


class DestinationTests:
    backend: type[Destination]

    @pytest.fixture
    def make(self) -> Make:
        raise NotImplementedError("each backend's test class gives its own")

    @pytest.fixture
    def dest(self, make: Make) -> Destination:
        return make()

    # -- identity -------------------------------------------------------------------------

    def test_parse_destination_gives_this_backend(self, dest: Destination) -> None:
        assert isinstance(dest, self.backend) and isinstance(dest, Destination)
        assert BACKENDS[dest.scheme] is self.backend
        again = parse_destination(dest.url)
        assert type(again) is self.backend and again.url == dest.url
        for flag in (dest.supports_generations, dest.is_local, dest.shared):
            assert isinstance(flag, bool)

    def test_paths_stay_under_the_destination(self, dest: Destination) -> None:
        url = dest.join("a/b.json")
        assert url.startswith(dest.url + "/") and dest.relpath_of(url) == "a/b.json"
        assert dest.relpath_of(dest.fs_path("./x//y/")) == "x/y"
        assert dest.relpath_of(dest.url) == ""
        assert dest.relpath_of(dest.url + "-sibling/x") is None
        with pytest.raises(InvalidDestination):
            dest.join("a/../../b")
        with pytest.raises(InvalidDestination):
            dest.write_bytes("../outside", b"x")

    def test_public_urls(self, make: Make) -> None:
        dest = make(public_url="https://cdn.example.org/zarr/")
        url = dest.public_url("1 a.ome.zarr/0")
        assert url == "https://cdn.example.org/zarr/1%20a.ome.zarr/0/"
        assert dest.public_url("x.json", group=False).endswith("/x.json")
        assert dest.relpath_of_public_url(url) == "1 a.ome.zarr/0"
        assert dest.relpath_of_public_url("https://elsewhere.org/zarr/1/") is None

    # -- objects --------------------------------------------------------------------------

    def test_write_read_exists(self, dest: Destination) -> None:
        assert dest.read_bytes("a/b/c.json") is None and not dest.exists("a/b/c.json")
        dest.write_bytes("a/b/c.json", b'{"x": 1}')
        assert dest.read_bytes("a/b/c.json") == b'{"x": 1}'
        assert dest.exists("a/b/c.json") and dest.exists("a/b") and dest.exists("a")
        dest.write_bytes("a/b/c.json", b"")
        assert dest.read_bytes("a/b/c.json") == b""
        assert dest.read_bytes("a/b") is None            # a folder is no object

    def test_list_names(self, dest: Destination) -> None:
        for name in ("p/2.json", "p/1.json", "p/sub/x", "pp/3.json"):
            dest.write_bytes(name, b"{}")
        assert dest.list_names("p") == ["1.json", "2.json", "sub"]
        assert dest.list_names("nothing") == []
        assert dest.list_names() == ["p", "pp"]

    def test_remove_is_recursive_and_refuses_the_root(self, dest: Destination) -> None:
        for name in ("old/zarr.json", "old/0/c/0", "older/zarr.json"):
            dest.write_bytes(name, b"1")
        assert dest.remove("old") is True
        assert not dest.exists("old") and dest.read_bytes("old/0/c/0") is None
        assert dest.read_bytes("older/zarr.json") == b"1"     # same string prefix: kept
        assert dest.remove("old") is False
        for root in ("", "/", ".", "./"):
            with pytest.raises(InvalidDestination):
                dest.remove(root)
        assert dest.exists("older")

    def test_usage(self, dest: Destination) -> None:
        dest.write_bytes("u/a", b"12345")
        dest.write_bytes("u/b/c", b"123")
        dest.write_bytes("uu/d", b"1234567")
        assert dest.usage("u") == (8, 2) and dest.du("u") == 8
        assert dest.usage("nothing") == (0, 0)

    # -- exclusive create ---------------------------------------------------------------

    def test_create_exclusive(self, dest: Destination) -> None:
        version = dest.create_exclusive("c/one", b"first")
        assert version is not None
        assert dest.create_exclusive("c/one", b"second") is None
        current = dest.read_versioned("c/one")
        assert current is not None and current.data == b"first"
        assert current.version == version
        assert dest.read_versioned("c/none") is None

    def test_exactly_one_of_racing_creators_wins(self, make: Make) -> None:
        dests = [make() for _ in range(RACERS)]
        versions = race(RACERS, lambda i: dests[i].create_exclusive("race/c", f"{i}".encode()))
        winners = [i for i, v in enumerate(versions) if v is not None]
        assert len(winners) == 1
        current = dests[0].read_versioned("race/c")
        assert current is not None and current.data == f"{winners[0]}".encode()
        assert current.version == versions[winners[0]]

    # -- conditional replace and delete ----------------------------------------------------

    def test_versions_change_with_the_content(self, dest: Destination) -> None:
        v1 = dest.create_exclusive("v", b"one")
        assert v1 is not None
        dest.write_bytes("v", b"two")
        current = dest.read_versioned("v")
        assert current is not None and current.data == b"two" and current.version != v1
        again = dest.read_versioned("v")
        assert again is not None and again.version == current.version

    def test_replace_if(self, dest: Destination) -> None:
        v1 = dest.create_exclusive("r", b"one")
        assert v1 is not None
        v2 = dest.replace_if("r", b"two", v1)
        assert v2 is not None and v2 != v1
        assert dest.replace_if("r", b"three", v1) is None     # v1 is gone
        current = dest.read_versioned("r")
        assert current is not None and (current.data, current.version) == (b"two", v2)
        assert dest.replace_if("absent", b"x", v2) is None
        assert dest.read_bytes("absent") is None

    def test_exactly_one_of_racing_replacers_wins(self, make: Make) -> None:
        dests = [make() for _ in range(RACERS)]
        stale = dests[0].create_exclusive("race/r", b"stale")
        assert stale is not None
        versions = race(RACERS, lambda i: dests[i].replace_if("race/r", f"{i}".encode(),
                                                              stale))
        winners = [i for i, v in enumerate(versions) if v is not None]
        assert len(winners) == 1
        current = dests[0].read_versioned("race/r")
        assert current is not None and current.data == f"{winners[0]}".encode()
        assert current.version == versions[winners[0]]
        assert [n for n in dests[0].list_names("race") if n != "r"] == []   # no leftovers

    def test_delete_if(self, dest: Destination) -> None:
        v1 = dest.create_exclusive("d", b"one")
        assert v1 is not None
        dest.write_bytes("d", b"two")
        assert dest.delete_if("d", v1) is False
        assert dest.read_bytes("d") == b"two"
        current = dest.read_versioned("d")
        assert current is not None
        assert dest.delete_if("d", current.version) is True
        assert not dest.exists("d")
        assert dest.delete_if("d", current.version) is False
        assert dest.create_exclusive("d", b"three") is not None    # free again

    def test_exactly_one_of_racing_deleters_wins(self, make: Make) -> None:
        dests = [make() for _ in range(RACERS)]
        version = dests[0].create_exclusive("race/d", b"x")
        assert version is not None
        done = race(RACERS, lambda i: dests[i].delete_if("race/d", version))
        assert done.count(True) == 1 and not dests[0].exists("race/d")
        assert dests[0].list_names("race") == []

    # -- Zarr -----------------------------------------------------------------------------

    def test_zarr_store_roundtrip_and_read_only(self, dest: Destination) -> None:
        image_v3(dest.zarr_store("img.ome.zarr"))
        assert dest.exists("img.ome.zarr/zarr.json")
        ro = zarr.open_group(dest.zarr_store("img.ome.zarr", read_only=True), mode="r")
        assert ro["0"][5, 5] == (5 * 32 + 5) % 251
        with pytest.raises(Exception):  # noqa: B017 - zarr's own error for read-only stores
            ro["0"][0, 0] = 1

    def test_list_groups(self, dest: Destination) -> None:
        image_v3(dest.zarr_store("a/1.ome.zarr"))
        image_v3(dest.zarr_store("a/1.ome.zarr/labels/cells"))   # part of its image
        image_v2(dest.zarr_store("b/2.ome.zarr"))
        dest.write_bytes("notes/readme.txt", b"not zarr")
        groups = dest.list_groups(sizes=True)
        assert [(g.relpath, g.ngff_version, g.zarr_format) for g in groups] == [
            ("a/1.ome.zarr", "0.5", 3), ("b/2.ome.zarr", "0.4", 2)]
        assert groups[0].url == dest.join("a/1.ome.zarr")
        assert (groups[0].size, groups[0].objects) == dest.usage("a/1.ome.zarr")
        assert [g.relpath for g in dest.list_groups("b")] == ["b/2.ome.zarr"]
        assert dest.list_groups("nothing") == [] and dest.list_groups(max_depth=0) == []

    # -- checks and errors ----------------------------------------------------------------

    def test_preflight_leaves_nothing_behind(self, dest: Destination) -> None:
        report = dest.preflight(check_public=False, check_cors=False)
        assert isinstance(report, PreflightReport) and report.destination == dest.url
        assert not [n for n in dest.list_names() if n.startswith(PROBE_PREFIX)]

    def test_translate_errors(self, dest: Destination) -> None:
        with pytest.raises(StorageWriteError) as err, \
                dest.translate_errors("writing shard 0/0/0"):
            raise OSError(errno.ENOSPC, "No space left on device")
        assert str(err.value).startswith("writing shard 0/0/0")
        with pytest.raises(KeyError), dest.translate_errors("x"):   # bugs pass through
            raise KeyError("bug")
