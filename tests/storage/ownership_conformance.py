"""Ownership records on every backend (mixed into the backends' conformance classes):
the record comes before the data, of racing creators one wins, and nothing that is
not the owner's is written, cleared or removed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from omero_cli_ngff.storage import Destination, InvalidDestination, ownership
from omero_cli_ngff.storage.ownership import NotOwned, Owner

from .conformance import race

Make = Callable[..., Destination]
A = Owner("server-1", "Image:1", "ns", "run-a")
B = Owner("server-1", "Image:2", "ns", "run-b")
A_ELSEWHERE = Owner("server-2", "Image:1", "ns", "run-c")


class OwnershipTests:

    def test_the_record_is_written_before_any_data(self, make: Make) -> None:
        dest = make()
        assert ownership.take(dest, "0.5/1.ome.zarr", A) == ownership.CREATED
        assert dest.list_tree("0.5/1.ome.zarr") == [ownership.record_path("0.5/1.ome.zarr")]
        record = (dest.read_bytes(ownership.record_path("0.5/1.ome.zarr")) or b"").decode()
        assert Owner.parse(record.encode()).same_object(A)
        assert A.run in record and "host" not in record and "pid" not in record
        assert ownership.take(dest, "0.5/1.ome.zarr", A) == ownership.TAKEN
        with pytest.raises(NotOwned, match="Image:1.*not of Image:2|Image:2"):
            ownership.take(dest, "0.5/1.ome.zarr", B)
        with pytest.raises(NotOwned, match="server-1"):
            ownership.take(dest, "0.5/1.ome.zarr", A_ELSEWHERE)

    def test_of_racing_creators_one_owns_the_root(self, make: Make) -> None:
        owners = [Owner("server-1", f"Image:{i}") for i in range(4)]

        def take(i: int) -> str:
            try:
                return ownership.take(make(), "x.ome.zarr", owners[i])
            except NotOwned:
                return "refused"

        got = race(4, take)
        assert got.count(ownership.CREATED) == 1 and got.count("refused") == 3

    def test_data_without_a_record_is_taken_only_when_adopted(self, make: Make) -> None:
        dest = make()
        dest.write_bytes("legacy.zarr/0/zarr.json", b"{}")
        with pytest.raises(NotOwned, match="without an ownership record.*--adopt"):
            ownership.take(dest, "legacy.zarr", A)
        assert ownership.take(dest, "legacy.zarr", A, adopt=True) == ownership.ADOPTED
        assert ownership.inspect(dest, "legacy.zarr").owned_by(A)

    def test_roots_inside_roots_are_never_written(self, make: Make) -> None:
        dest = make()
        ownership.take(dest, "outer", A)
        with pytest.raises(NotOwned, match="inside"):
            ownership.take(dest, "outer/inner.zarr", B)
        with pytest.raises(NotOwned, match="inside"):
            ownership.take(dest, "outer/inner.zarr", A)        # not even the same image's

    def test_removal_is_the_owners_and_spares_other_roots(self, make: Make) -> None:
        dest = make()
        for root, owner in (("v/1.zarr", A), ("v/2.zarr", B)):
            ownership.take(dest, root, owner)
            dest.write_bytes(f"{root}/0/c/0", b"pixels")
        with pytest.raises(NotOwned):
            ownership.remove(dest, "v/2.zarr", A)
        with pytest.raises(InvalidDestination, match="ownership record"):
            dest.remove("v")                                    # no blind removal
        assert ownership.clear(dest, "v/1.zarr", A) == 1         # data gone, record kept
        assert dest.list_tree("v/1.zarr") == [ownership.record_path("v/1.zarr")]
        assert ownership.remove(dest, "v/1.zarr", A) == 1
        assert not dest.exists("v/1.zarr")
        assert dest.read_bytes("v/2.zarr/0/c/0") == b"pixels"
        assert ownership.remove(dest, "v/1.zarr", A) == 0        # nothing there: fine

    def test_a_root_holding_another_root_is_not_removed(self, make: Make) -> None:
        dest = make()
        dest.write_bytes("a/0/zarr.json", b"{}")
        ownership.take(dest, "a", A, adopt=True)
        # written there before records existed, then recorded on its own
        dest.write_bytes("a/b.zarr/0/zarr.json", b"{}")
        dest.write_bytes(ownership.record_path("a/b.zarr"), B.to_bytes())
        with pytest.raises(NotOwned, match="Image:2"):
            ownership.remove(dest, "a", A)
        assert dest.read_bytes("a/b.zarr/0/zarr.json") == b"{}"
        # nor adopted by anyone, --adopt or not
        dest.write_bytes("c/0/zarr.json", b"{}")
        dest.write_bytes("c/d.zarr/0/zarr.json", b"{}")
        dest.write_bytes(ownership.record_path("c/d.zarr"), B.to_bytes())
        with pytest.raises(NotOwned, match="not adopting"):
            ownership.take(dest, "c", A, adopt=True)
        assert dest.read_bytes(ownership.record_path("c")) is None
