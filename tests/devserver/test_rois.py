"""ROIs on the dev server, read with stock omero-py the ways OMERO's own tools read them
(catalogue: ``test_infra/catalogues/rois.yaml``).

Sources of the calls and of what they answer:
- ``IRoi.findByImage/findByRoi/findByPlane``: omero-blitz
  ``ome/services/blitz/impl/RoiI.java`` (HQL, RoiOptions filter, ``byZ``/``byT`` of
  ``RoiResultReturnMapper``); called by omero-py ``ImageWrapper._get_rois``
  (``getROIs``), omero-cli-transfer ``generate_xml.populate_image`` (``findByImage(id,
  None)``) and omero-cli-zarr ``masks.get_shapes`` (with ``{"omero.group": "-1"}``);
- ``ImageWrapper.getROICount``: its ``select count(*) from Roi as roi ...`` projection;
- ``getObject('Roi', id)`` then ``listAnnotations()``: omero-cli-transfer
  ``populate_image``/``populate_roi``; ``getObjects('Roi', opts={'image', 'load_shapes'})``
  and ``buildCountQuery``: OMERO.web ``api/api_query.py query_objects``;
- field names, types and units: omero-model ``mappings/roi.ome.xml``; mask bytes as
  omero-cli-zarr ``masks.py _mask_to_binim_yx`` unpacks them;
- the batched forms (``ROIS_OF_IMAGES``, ``ROI_COUNTS``) are documented in
  ``test_infra/omero_devserver/hql_rois.py``.
"""

import numpy as np
import omero
import pytest
from omero.model.enums import UnitsLength
from omero.rtypes import rint, rlong, unwrap

from test_infra.omero_devserver.shapes import COMMON, GEOMETRY

pytestmark = pytest.mark.devserver

ALL_FIELDS = sorted(set(COMMON) | {f for g in GEOMETRY.values() for f in g}
                    | {"markerStart", "markerEnd"})
ROIS_OF_IMAGES = (
    "select distinct r from Roi r join r.image i join fetch r.shapes shapes"
    "{transform} left outer join fetch r.folderLinks folderLinks"
    " left outer join fetch folderLinks.parent folder where i.id in (:ids) order by r.id")
ROI_COUNTS = ("select roi.image.id, count(roi.id) from Roi roi"
              " where roi.image.id in (:ids) group by roi.image.id")


@pytest.fixture(scope="module")
def cat(omero_rois_server):
    return omero_rois_server.catalogue


@pytest.fixture(scope="module")
def alice(omero_rois_server):
    conn = omero_rois_server.connect("alice")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def root(omero_rois_server):
    conn = omero_rois_server.connect("root")
    yield conn
    conn.close()


def shape_fields(obj) -> dict:
    """Every field of a shape object, read with its omero-py getters, as plain values
    (a Length as (value, unit name))."""
    out = {}
    for name in ALL_FIELDS:
        getter = getattr(obj, "get" + name[0].upper() + name[1:], None)
        value = getter() if getter is not None else None
        if isinstance(value, omero.model.Length):
            out[name] = (value.getValue(), str(value.getUnit()))
        elif value is not None:
            out[name] = unwrap(value)
    return out


def assert_roi_equals_catalogue(obj, record):
    assert obj.getId().getValue() == record.id
    assert unwrap(obj.getName()) == record.name
    assert unwrap(obj.getDescription()) == record.description
    shapes = obj.copyShapes()
    assert [s.getId().getValue() for s in shapes] == [s.id for s in record.shapes]
    for shape, rec in zip(shapes, record.shapes):
        assert type(shape).__name__ == rec.kind + "I"
        assert shape_fields(shape) == rec.fields, rec.kind
        assert shape.getRoi() is obj
        if rec.mask is not None:
            assert shape.getBytes() == rec.mask.packed()


def test_find_by_image_gives_every_shape_type_as_the_catalogue(alice, cat):
    result = alice.getRoiService().findByImage(1, None)
    assert [r.getId().getValue() for r in result.rois] == [1, 2, 3]
    for obj in result.rois:
        assert_roi_equals_catalogue(obj, cat.rois[obj.getId().getValue()])
        # what the query did not fetch comes back unloaded (never "loaded and empty")
        assert not obj.getImage().isLoaded() and obj.getImage().getId().getValue() == 1
        assert not obj.isAnnotationLinksLoaded()
        assert obj.isFolderLinksLoaded() and obj.sizeOfFolderLinks() == 0
        assert all(not s.isAnnotationLinksLoaded() for s in obj.copyShapes())


def test_shape_fields_have_omeros_types_and_units(alice):
    rois = {r.getId().getValue(): r for r in alice.getRoiService().findByImage(1, None).rois}
    rect = rois[1].copyShapes()[0]
    assert isinstance(rect.getX(), omero.RDouble) and rect.getX().getValue() == 10.5
    assert isinstance(rect.getTheZ(), omero.RInt) and rect.getTheZ().getValue() == 1
    assert rect.getStrokeColor().getValue() == -16776961             # #FF0000FF
    assert rect.getStrokeWidth().getUnit() == UnitsLength.PIXEL
    assert rect.getFontSize().getValue() == 12 and rect.getFontSize().getUnit() == \
        UnitsLength.POINT
    assert rect.getLocked().getValue() is True
    transform = rect.getTransform()              # a many-to-one nobody fetched
    assert not transform.isLoaded() and transform.getId().getValue() == 1
    ellipse, polygon, polyline, line, point, label = rois[2].copyShapes()
    assert (ellipse.getRadiusX().getValue(), ellipse.getRadiusY().getValue()) == (40, 20)
    assert polygon.getPoints().getValue() == "10,10 50,10 30,40"
    assert polyline.getMarkerStart().getValue() == "Arrow"
    assert (line.getX2().getValue(), line.getY2().getValue()) == (639, 479)
    assert line.getTheZ() is None and line.getTheT().getValue() == 0
    assert (point.getTheZ().getValue(), point.getTheT().getValue()) == (2, 1)
    assert label.getTextValue().getValue() == "a label"
    mask = rois[3].copyShapes()[0]
    assert mask.getBytes() == bytes([0b11111000, 0b00000001, 0b11111010, 0b10101000])
    assert mask.getPixels() is None


def test_omero_cli_zarr_reads_the_mask_bytes(alice, cat):
    from omero_zarr.masks import MaskSaver, get_shapes
    image = alice.getObject("Image", 1)
    masks = get_shapes(image, ["Mask"])
    assert list(masks) == [3]
    saver = MaskSaver(None, None, np.uint8)
    for mask in masks[3]:
        pixels, (t, c, z, y, x, h, w) = saver._mask_to_binim_yx(mask)
        record = cat.shapes[mask.getId().getValue()]
        assert (pixels.astype(bool) == record.mask.array()).all()
        assert (x, y, w, h) == (record.fields["x"], record.fields["y"],
                                record.mask.width, record.mask.height)


def test_by_z_and_by_t_index_every_shape_or_minus_one(alice, cat):
    result = alice.getRoiService().findByImage(1, None)
    for index, axis in ((result.byZ, "theZ"), (result.byT, "theT")):
        expected = {}
        for roi in cat.images[1].rois:
            for s in roi.shapes:
                expected.setdefault(s.fields.get(axis, -1), []).append(s.id)
        assert {k: sorted(s.getId().getValue() for s in v) for k, v in index.items()} \
            == {k: sorted(v) for k, v in expected.items()}


def test_roi_options_filter_by_owner_group_and_page(alice, cat):
    rs = alice.getRoiService()
    page = omero.api.RoiOptions(offset=rint(1), limit=rint(1))
    result = rs.findByImage(1, page)
    assert [r.getId().getValue() for r in result.rois] == [2]
    assert unwrap(result.opts.limit) == 1                     # the options come back
    nobody = omero.api.RoiOptions(userId=rlong(3))
    assert rs.findByImage(1, nobody).rois == []
    alices = omero.api.RoiOptions(userId=rlong(2), groupId=rlong(3))
    assert len(rs.findByImage(2, alices).rois) == 30


def test_private_rois_are_invisible(alice, root):
    assert alice.getRoiService().findByImage(4, None, {"omero.group": "-1"}).rois == []
    root_rois = root.getRoiService().findByImage(4, None, {"omero.group": "-1"}).rois
    assert [r.getId().getValue() for r in root_rois] == [40]
    assert alice.getRoiService().findByImage(999, None).rois == []


def test_image_wrapper_roi_count_and_rois(alice):
    image = alice.getObject("Image", 1)
    assert image.getROICount() == 3
    assert image.getROICount(filterByCurrentUser=True) == 3
    assert image.getROICount("Polygon") == 1
    assert [r.getId() for r in image.getROIs("Mask")] == [3]
    assert alice.getObject("Image", 2).getROICount() == 30
    assert alice.getObject("Image", 3).getROICount() == 0


def test_find_by_roi_and_by_plane(alice, cat):
    rs = alice.getRoiService()
    (roi,) = rs.findByRoi(2, None).rois
    assert_roi_equals_catalogue(roi, cat.rois[2])
    assert not roi.isFolderLinksLoaded()             # findByRoi does not fetch them
    result = rs.findByPlane(1, 2, 1, None)
    on_plane = {r.getId().getValue(): [s.getId().getValue() for s in r.copyShapes()]
                for r in result.rois}
    assert on_plane == {
        roi.id: [s.id for s in roi.shapes
                 if s.fields.get("theZ", 2) == 2 and s.fields.get("theT", 1) == 1]
        for roi in cat.images[1].rois
        if any(s.fields.get("theZ", 2) == 2 and s.fields.get("theT", 1) == 1
               for s in roi.shapes)}
    assert on_plane[2] == [3, 4, 6, 7] and 1 not in on_plane      # 7: on every plane


def test_omero_cli_transfer_way_roi_objects_and_their_annotations(alice):
    for roi in alice.getRoiService().findByImage(1, None).rois:
        roi_obj = alice.getObject("Roi", roi.getId().getValue())
        assert roi_obj.getName() == unwrap(roi.getName())
        comments = [a.getValue() for a in roi_obj.listAnnotations()]
        assert comments == (["a ROI comment"] if roi_obj.getId() == 1 else [])


def test_gateway_objects_roi_with_shapes_paged_and_counted(alice):
    opts = {"image": 2, "load_shapes": True}
    rois = list(alice.getObjects("Roi", opts=opts))
    assert len(rois) == 30 and all(r._obj.isShapesLoaded() for r in rois)
    assert rois[0]._obj.copyShapes()[0].getBytes() is not None
    page = list(alice.getObjects("Roi", opts=dict(opts, offset=5, limit=5)))
    assert [r.getId() for r in page] == [r.getId() for r in rois[5:10]]
    query, params = alice.buildCountQuery("Roi", opts=opts)
    count = alice.getQueryService().projection(query, params, alice.SERVICE_OPTS)
    assert unwrap(count) == [[30]]
    assert not list(alice.getObjects("Roi", opts={"image": 4}))


def test_batched_rois_of_many_images(alice, cat, omero_rois_server):
    params = omero.sys.ParametersI().addIds([1, 2, 3, 4])
    qs = alice.getQueryService()
    before = omero_rois_server.query_count()
    rois = qs.findAllByQuery(ROIS_OF_IMAGES.format(transform=""), params,
                             alice.SERVICE_OPTS)
    assert omero_rois_server.query_count() == before + 1
    assert [r.getId().getValue() for r in rois] == sorted(
        r.id for i in (1, 2) for r in cat.images[i].rois)          # not bob's image 4
    for obj in rois:
        assert_roi_equals_catalogue(obj, cat.rois[obj.getId().getValue()])
    assert not rois[0].copyShapes()[0].getTransform().isLoaded()
    with_transform = qs.findAllByQuery(ROIS_OF_IMAGES.format(
        transform=" left outer join fetch shapes.transform"), params, alice.SERVICE_OPTS)
    transform = with_transform[0].copyShapes()[0].getTransform()
    assert transform.isLoaded() and transform.getA01().getValue() == 0.5
    counts = qs.projection(ROI_COUNTS, params, alice.SERVICE_OPTS)
    assert unwrap(counts) == [[1, 3], [2, 30]]


def test_roi_service_calls_are_counted_as_queries(alice, omero_rois_server):
    before = omero_rois_server.query_count()
    alice.getRoiService().findByImage(2, None)
    entries = omero_rois_server.queries()[before:]
    assert [e["kind"] for e in entries] == ["IRoi.findByImage"]
    assert entries[0]["query"].startswith("select distinct r from Roi r join r.image i")


@pytest.mark.parametrize("query", [
    "select s from Shape s where s.roi.image.id in (:ids)",
    "select r from Roi r where r.image.id in (:ids)",
    "select roi.image.id, count(roi.id) from Roi roi where roi.image.id in (:ids)",
    ROIS_OF_IMAGES.format(transform="").replace("in (:ids)", "= 1"),
])
def test_unmatched_roi_queries_fail_loudly(alice, query):
    params = omero.sys.ParametersI().addIds([1])
    with pytest.raises(omero.QueryException, match="no pattern for this query"):
        alice.getQueryService().findAllByQuery(query, params, alice.SERVICE_OPTS)


def test_unimplemented_roi_calls_name_themselves(alice):
    with pytest.raises(omero.ApiUsageException, match="getShapeStats"):
        alice.getRoiService().getShapeStats(1)
