"""index_facts: where images sit in OMERO (CONTAINER_NAMES), their channel labels and
the Key-Value pairs of chosen namespaces, from the dev server's links catalogue (an
image in two datasets, a plate field also in a dataset, an orphan)."""

from pathlib import Path

import pytest

import yaml

from omero_cli_ngff.model.plate_layout import well_label
from omero_cli_ngff.omero_io.index_facts import container_paths, index_facts
from omero_cli_ngff.omero_io.query import QueryRunner
from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

LINKS = Path(__file__).resolve().parent.parent / "catalogues" / "links.yaml"


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    server = start_devserver(tmp_path_factory.mktemp("index-facts"), catalogue=LINKS)
    connection = server.connect("alice")
    yield connection
    connection.close()
    server.stop()


def test_container_paths_of_datasets_plates_and_orphans(conn):
    paths = container_paths(QueryRunner(conn), [1, 2, 3, 101, 104])
    assert paths[1] == ["p/first", "p/second"]
    assert paths[2] == ["p/first"]
    assert paths[3] == ["p/second"]
    assert paths[101] == ["p/with-a-plate-field", "s/plate/A1"]
    assert paths[104] == ["s/plate/A2"]


def test_facts_carry_channels_and_pairs_of_the_namespaces_asked(conn):
    facts = index_facts(conn, [2, 1], ["test/children"])
    assert facts[2].pairs == {"k": "v"}
    assert facts[1].pairs == {}
    assert len(facts[2].channels) == 1 and facts[2].channels[0]
    assert index_facts(conn, [2], [])[2].pairs == {}


@pytest.mark.parametrize("row, column, naming, name", [
    (0, 0, (None, None), "A1"), (7, 11, ("letter", "number"), "H12"),
    (25, 2, (None, None), "Z3"), (26, 0, (None, None), "AA1"), (None, 1, (None, None), ""),
    (1, 2, ("number", "number"), "23"), (1, 2, ("number", "letter"), "2C")])
def test_well_labels_follow_the_plate_conventions(row, column, naming, name):
    assert well_label(row, column, *naming) == name


def test_a_plate_with_numbered_rows_names_its_wells_so(tmp_path):
    """omero-py's WellWrapper.getWellPos: the plate's row label, then its column label."""
    spec = {"groups": [{"id": 3, "name": "lab", "permissions": "rwra--"}],
            "users": [{"id": 2, "name": "alice", "password": "alice-pw",
                       "groups": ["lab"]}],
            "screens": [{"id": 1, "name": "s", "owner": "alice", "plates": [
                {"id": 1, "name": "numbered", "rows": 2, "columns": 2, "fields": 1,
                 "firstImageId": 11, "rowNamingConvention": "number",
                 "columnNamingConvention": "letter",
                 "image": {"sizeX": 8, "sizeY": 8}}]}]}
    catalogue = tmp_path / "numbered.yaml"
    catalogue.write_text(yaml.safe_dump(spec))
    server = start_devserver(tmp_path / "state", catalogue=catalogue)
    try:
        connection = server.connect("alice")
        try:
            paths = container_paths(QueryRunner(connection), [11, 12, 13, 14])
        finally:
            connection.close()
    finally:
        server.stop()
    assert paths == {11: ["s/numbered/1A"], 12: ["s/numbered/1B"],
                     13: ["s/numbered/2A"], 14: ["s/numbered/2B"]}
