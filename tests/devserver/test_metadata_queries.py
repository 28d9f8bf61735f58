"""The dev server's answers to the plugin's MASK_SIZES and IMAGE_DETAILS projections
(omero_cli_ngff/omero_io/queries.py), sent with stock omero-py's IQuery.

What a real server answers, from its sources: Mask's ``width``/``height`` are doubles
of Mask itself (omero-model ``mappings/roi.ome.xml``), ``Image.description`` text and
``Image.acquisitionDate`` a timestamp (``acquisition.ome.xml``), projected as RDouble,
RString and RTime (omero-blitz ``IceMapper``); a projection honours read permissions
like every query (omero-server ``QueryImpl``)."""

import omero
import omero.clients  # noqa: F401  (loads the model before omero.sys)
import pytest
from omero.rtypes import rlist, rlong
from omero.sys import ParametersI

from omero_cli_ngff.omero_io import queries

pytestmark = pytest.mark.devserver


@pytest.fixture(scope="module")
def alice(omero_rois_server):
    conn = omero_rois_server.connect("alice")
    yield conn
    conn.close()


def project(conn, hql, ids):
    params = ParametersI()
    params.add("ids", rlist([rlong(i) for i in ids]))
    return conn.getQueryService().projection(hql, params, {"omero.group": "-1"})


def test_mask_sizes_one_row_per_mask_in_shape_order(alice, omero_rois_server):
    rows = project(alice, queries.MASK_SIZES, [1, 2, 3, 4])
    assert all(isinstance(r[1], omero.RDouble) for r in rows)
    values = [(r[0].getValue(), r[1].getValue(), r[2].getValue()) for r in rows]
    assert values[:2] == [(1, 10.0, 3.0), (1, 512.0, 300.0)]
    assert values[2:] == [(2, 512.0, 512.0)] * 10           # 10 generated masks
    cat = omero_rois_server.catalogue
    masks = sorted(s.id for s in cat.shapes.values()
                   if s.kind == "Mask" and s.roi.image_id in (1, 2))
    assert len(masks) == len(values)


def test_image_details_description_and_date(alice):
    rows = project(alice, queries.IMAGE_DETAILS, [1, 2, 4])
    assert [r[0].getValue() for r in rows] == [1, 2]          # 4 is bob's, private
    first = rows[0]
    assert first[1].getValue() == "every shape type and every annotation type"
    assert isinstance(first[2], omero.RTime) and first[2].getValue() == 1714557600000
    assert rows[1][1] is None and rows[1][2] is None
