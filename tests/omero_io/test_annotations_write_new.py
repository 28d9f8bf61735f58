"""annotations.write_new: several new annotations in one IUpdate.saveAndReturnArray call,
all or none, against the dev server (demo catalogue)."""

from contextlib import closing

import pytest

from omero_cli_ngff.errors import NgffError
from omero_cli_ngff.omero_io import annotations
from omero_cli_ngff.omero_io.query import QueryRunner

pytestmark = [pytest.mark.devserver]

NS = "test.omero_io/write-new"


def _values(image_id: int) -> dict:
    return {"zarr_path": f"https://x/{image_id}/", "ngff_version": "0.5"}


def test_new_annotations_are_saved_in_one_call_or_not_at_all(omero_devserver):
    with closing(omero_devserver.connect("bob")) as conn:
        # one image, or images of several groups: left to the caller (nothing written)
        assert annotations.write_new(conn, NS, {30: _values(30)}, {30: 4}, "x") == set()
        assert annotations.write_new(conn, NS, {30: _values(30), 1: _values(1)},
                                     {30: 4, 1: 3}, "x") == set()
        # image 1 is not in group 4: the server refuses the array, and keeps none of it
        with pytest.raises(NgffError, match="the fields of Plate:9"):
            annotations.write_new(conn, NS, {30: _values(30), 1: _values(1)},
                                  {30: 4, 1: 4}, "the fields of Plate:9")
        assert annotations.read(conn, [30], NS, runner=QueryRunner(conn)) == {}
    with closing(omero_devserver.connect("alice")) as conn:
        done = annotations.write_new(conn, NS, {1: _values(1), 3: _values(3)},
                                     {1: 3, 3: 3}, "x")
        assert done == {1, 3}
        copies = annotations.read(conn, [1, 3], NS, runner=QueryRunner(conn))
        assert {i: [c.zarr_path for c in cs] for i, cs in copies.items()} == {
            1: ["https://x/1/"], 3: ["https://x/3/"]}
