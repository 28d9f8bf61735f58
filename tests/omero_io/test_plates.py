"""Plate layouts in pages small enough for any plate (issue #12, point 8: the 64 MB Ice
message limit of a real server), and fileset files in the order of the fileset."""

import pytest

from omero_cli_ngff.model.objects import ObjectRef
from omero_cli_ngff.omero_io import plates, targets
from omero_cli_ngff.omero_io.query import QueryRunner
from tests.helpers.servers import devserver_of

pytestmark = pytest.mark.devserver

CATALOGUE = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users: [{id: 2, name: alice, password: alice-pw, groups: [lab]}]
images:
  - {id: 1, name: multi.czi, owner: alice, sizeX: 8, sizeY: 8,
     fileset: {id: 5, files: [a/run/multi.czi, a/run/multi.czi.xml, a/run/aux.bin]}}
screens:
  - id: 1
    name: screen
    owner: alice
    plates:
      - {id: 1, name: big, rows: 3, columns: 4, fields: 3, firstImageId: 100,
         image: {sizeX: 8, sizeY: 8}}
      - {id: 2, name: small, rows: 1, columns: 2, fields: 1, firstImageId: 200,
         image: {sizeX: 8, sizeY: 8}}
"""


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    server = devserver_of(tmp_path_factory, "plates", CATALOGUE)
    c = server.connect("alice")
    yield c
    c.close()
    server.stop()


def layout_facts(layouts):
    return [(p.id, p.rows, p.columns, [(w.row, w.column, w.fields) for w in p.wells])
            for p in layouts]


def test_layouts_are_read_in_pages(conn, monkeypatch):
    whole = QueryRunner(conn)
    expected = plates.load_layouts(whole, [1, 2])
    # the plates, their samples, their wells (those without images too), their screens
    assert whole.calls == 4 and sum(len(w.fields) for p in expected for w in p.wells) == 38
    assert [p.screen_id for p in expected] == [1, 1]
    monkeypatch.setattr(plates, "SAMPLES_PER_CALL", 10)
    paged = QueryRunner(conn)
    assert layout_facts(plates.load_layouts(paged, [1, 2])) == layout_facts(expected)
    assert paged.calls == 7                       # 38 samples: 10 + 10 + 10 + 8; 3 more


CATALOGUE_EMPTY_WELLS = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users: [{id: 2, name: alice, password: alice-pw, groups: [lab]}]
plates:
  - id: 7
    name: sparse
    owner: alice
    rows: 2
    columns: 2
    wells:
      - {row: 1, column: 1, fields: [{id: 71, sizeX: 8, sizeY: 8}]}
      - {row: 0, column: 1, fields: []}
images:
  - {id: 9, name: alone.tif, owner: alice, sizeX: 8, sizeY: 8}
"""


def test_wells_without_images_are_in_the_layout_in_row_major_order(tmp_path_factory):
    server = devserver_of(tmp_path_factory, "sparse", CATALOGUE_EMPTY_WELLS)
    c = server.connect("alice")
    try:
        runner = QueryRunner(c)
        (layout,) = plates.load_layouts(runner, [7])
        assert [(w.row, w.column, w.fields) for w in layout.wells] == [
            ("A", "2", []), ("B", "2", [(71, None)])]
        assert layout.screen_id is None
        assert layout.field_paths() == {71: "B/2/0"}
        assert plates.plates_of_images(runner, [71, 9]) == {71: 7}
    finally:
        c.close()
        server.stop()


def test_the_main_file_is_the_first_entry_of_the_fileset(conn):
    """Fileset.usedFiles is an ordered list; its first entry is the main file."""
    (record,) = targets.resolve(conn, [ObjectRef("Image", 1)]).images
    assert record.repo_path == "a/run/multi.czi"
