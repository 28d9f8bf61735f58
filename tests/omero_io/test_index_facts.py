"""index_facts: where images sit in OMERO (CONTAINER_NAMES), their channel labels and
the Key-Value pairs of chosen namespaces, from the dev server's links catalogue (an
image in two datasets, a plate field also in a dataset, an orphan)."""

from pathlib import Path

import pytest

from omero_cli_ngff.model.index_entry import well_name
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


@pytest.mark.parametrize("row, column, name", [(0, 0, "A1"), (7, 11, "H12"),
                                               (25, 2, "Z3"), (26, 0, "AA1"),
                                               (None, 1, "")])
def test_well_names(row, column, name):
    assert well_name(row, column) == name
