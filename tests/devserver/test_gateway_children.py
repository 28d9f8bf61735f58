"""Stock BlitzGateway container and plate calls are answered (hql_children.py)."""

from pathlib import Path

import pytest

from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

LINKS = Path(__file__).resolve().parent.parent / "catalogues" / "links.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_devserver(tmp_path_factory.mktemp("children"), catalogue=LINKS)
    yield srv
    srv.stop()


@pytest.fixture
def conn(server):
    c = server.connect("alice")
    yield c
    c.close()


def test_dataset_list_children_fetches_annotations(server, conn):
    """omero-py ``BlitzObjectWrapper._listChildren``: ``select c from DatasetImageLink
    as c join fetch c.child as ch left outer join fetch ch.annotationLinks ...
    where c.parent.id=:dsid order by c.child.name``: the images by name, each with its
    annotation links loaded, so ``listAnnotations()`` needs no further query."""
    children = list(conn.getObject("Dataset", 1).listChildren())
    assert [c.getName() for c in children] == ["a-first.tif", "b-second.tif"]
    before = server.query_count()
    namespaces = sorted(a.getNs() for a in children[1].listAnnotations())
    assert namespaces == ["test/children", "test/other"]
    assert list(children[0].listAnnotations()) == []
    assert server.query_count() == before
    assert [c.getId() for c in conn.getObject("Dataset", 2).listChildren()] == [1, 3]


def test_dataset_list_children_by_namespace(conn):
    """With ``ns``, ``and a.ns=:ns`` filters the children (and the fetched links)."""
    children = list(conn.getObject("Dataset", 1).listChildren(ns="test/children"))
    assert [c.getId() for c in children] == [2]
    assert [a.getNs() for a in children[0].listAnnotations()] == ["test/children"]


def test_project_and_screen_list_children(conn):
    """The same query with ``ProjectDatasetLink`` and ``ScreenPlateLink``."""
    assert [d.getName() for d in conn.getObject("Project", 1).listChildren()] == \
        ["first", "second", "with-a-plate-field"]
    assert [p.getName() for p in conn.getObject("Screen", 1).listChildren()] == ["plate"]


def test_plate_list_children_and_grid(conn):
    """omero-py ``_PlateWrapper._listChildren``: ``select well from Well as well ...
    left outer join fetch well.wellSamples as ws left outer join fetch ws.image as img
    where well.plate.id = :oid``: the wells with their fields and images loaded."""
    plate = conn.getObject("Plate", 1)
    wells = sorted(plate.listChildren(), key=lambda w: w.column)
    assert [(w.row, w.column) for w in wells] == [(0, 0), (0, 1)]
    assert [[ws.getImage().getId() for ws in w.listChildren()] for w in wells] == \
        [[101, 102], [103, 104]]
    grid = plate.getWellGrid()
    assert grid[0][1].getImage(1).getId() == 104


def test_plate_acquisitions(conn):
    """omero-py ``_PlateWrapper._loadPlateAcquisitions``: ``select pa from
    PlateAcquisition as pa join fetch pa.plate as p where p.id=:pid``."""
    plate = conn.getObject("Plate", 1)
    assert sorted(a.getName() for a in plate.listPlateAcquisitions()) == ["run-1", "run-2"]
    assert conn.getObject("Plate", 1).countPlateAcquisitions() == 2
