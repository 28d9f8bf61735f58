"""Catalogue syntax for an image in several datasets, and in a plate and a dataset."""

import textwrap
from pathlib import Path

import omero
import pytest

from test_infra.omero_devserver.catalogue import CatalogueError, load_catalogue
from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

LINKS = Path(__file__).resolve().parent.parent / "catalogues" / "links.yaml"
IMAGES_OF_DATASETS = ("select distinct l.child.id from DatasetImageLink l"
                      " where l.parent.id in (:ids) order by l.child.id")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_devserver(tmp_path_factory.mktemp("links"), catalogue=LINKS)
    yield srv
    srv.stop()


def test_link_items_put_one_image_in_several_containers():
    """omero-model: ``DatasetImageLink`` is a many-to-many link (an image may be in
    any number of datasets), and a plate field's image may be linked into a dataset
    too; ``{link: ID}`` in a dataset's images says so."""
    cat = load_catalogue(LINKS)
    assert [d.id for d in cat.image(1).datasets] == [1, 2]
    assert [d.id for d in cat.image(101).datasets] == [3]
    assert [ws.well.id for ws in cat.image(101).well_samples] == [1]
    assert [i.id for i in cat.datasets[2].images] == [1, 3]
    links = [lid for d in cat.datasets.values() for lid in d.image_link_ids.values()]
    assert len(links) == len(set(links)) == 5


def test_gateway_sees_every_parent(server):
    """omero-py ``BlitzObjectWrapper.listParents`` asks each parent link class
    (``from DatasetImageLink as c where c.child.id=ID``, and the WellSample for
    images): all of them come back."""
    conn = server.connect("alice")
    try:
        parents = conn.getObject("Image", 1).listParents()
        assert sorted(p.getId() for p in parents) == [1, 2]
        field = conn.getObject("Image", 101).listParents()
        assert sorted(type(p).__name__ for p in field) == \
            ["_DatasetWrapper", "_WellSampleWrapper"]
        in_second = conn.getObjects("Image", opts={"dataset": 2})
        assert sorted(i.getId() for i in in_second) == [1, 3]
        ids = conn.getQueryService().projection(
            IMAGES_OF_DATASETS, omero.sys.ParametersI().addIds([1, 2, 3]),
            {"omero.group": "-1"})
        assert [r[0].getValue() for r in ids] == [1, 2, 3, 101]
    finally:
        conn.close()


@pytest.mark.parametrize("images,message", [
    ("[{link: 99}]", "no image with that id"),
    ("[{link: 1}, {link: 1}]", "already in dataset"),
    ("[{link: 1, name: x}]", "has no other keys"),
])
def test_bad_links_are_catalogue_errors(tmp_path, images, message):
    spec = tmp_path / "bad.yaml"
    spec.write_text(textwrap.dedent("""
        images: [{id: 1, name: a, sizeX: 8, sizeY: 8}]
        datasets: [{id: 1, name: d, images: %s}]
        """ % images))
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(spec)
