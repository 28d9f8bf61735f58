"""The catalogue's ROI and annotation syntax (no server): every shape type, OMERO's
colour and unit conventions, mask bits, ROI generators, typed and shared annotations.

Sources of the conventions checked here:
- field names and types: omero-model ``src/main/resources/mappings/roi.ome.xml``
  (geometry in doubles, strokeWidth/fontSize ome.model.units.Length, colours int);
- colours: RGBA packed big-endian into a signed 32-bit int, the ``rgba_to_int`` of
  OMERO's Python examples and of omero-web ``test/integration/test_thumbnails.py``;
- mask bytes: omero-blitz ``RoiI.MaskClass.asBytes``/``setBit`` (row by row, most
  significant bit first) and omero-cli-zarr ``masks.py`` ``_mask_to_binim_yx``
  (``np.unpackbits`` then ``reshape(h, w)``).
"""

import textwrap

import numpy as np
import pytest

from test_infra.omero_devserver.catalogue import CatalogueError, load_catalogue
from test_infra.omero_devserver.shapes import MaskBits, color_int

pytestmark = pytest.mark.devserver

ROIS = load_catalogue("rois.yaml")


def write(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def one_image(tmp_path, image_extra):
    """A catalogue of one image of alice's, with ``image_extra`` YAML lines added."""
    return write(tmp_path, """
        groups: [{id: 3, name: lab, permissions: rwra--}]
        users: [{id: 2, name: alice, password: pw, groups: [lab]}]
        images:
          - id: 1
            name: x
            owner: alice
            sizeX: 100
            sizeY: 80
    """.rstrip(" ") + textwrap.indent(textwrap.dedent(image_extra), " " * 12))


def test_every_shape_type_is_read_with_omero_field_names():
    shapes = {s.id: s for s in ROIS.shapes.values() if s.roi.image_id == 1}
    assert {s.kind for s in shapes.values()} == {
        "Rectangle", "Ellipse", "Polygon", "Polyline", "Line", "Point", "Label", "Mask"}
    rect = shapes[1]
    assert rect.fields == {
        "x": 10.5, "y": 20.0, "width": 100.0, "height": 50.0, "theZ": 1, "theT": 1,
        "theC": 0, "locked": True, "strokeColor": -16776961, "fillColor": -16776961,
        "strokeWidth": (2.5, "PIXEL"), "strokeDashArray": "5 5", "fillRule": "nonzero",
        "fontFamily": "sans-serif", "fontSize": (12.0, "POINT"), "fontStyle": "italic",
        "textValue": "rectangle"}
    assert rect.transform == {"a00": 1.0, "a10": 0.0, "a01": 0.5, "a11": 1.0,
                              "a02": 5.0, "a12": -5.0}
    assert shapes[3].fields["points"] == "10,10 50,10 30,40"      # from [[x, y], ...]
    assert shapes[4].fields["markerStart"] == "Arrow"
    assert shapes[7].fields["fillColor"] == -1                     # 0xFFFFFFFF, signed
    assert [r.id for r in ROIS.images[1].rois] == [1, 2, 3]
    assert ROIS.rois[1].description == "a rectangle with all the fields a shape has"


@pytest.mark.parametrize("given,stored", [
    ("#FF0000FF", -16776961), ("#FF0000", -16776961), ("00FF0080", 16711808),
    (-1, -1), (0xFFFFFFFF, -1), (0x0000FF80, 0x0000FF80)])
def test_colours_are_omeros_signed_rgba(given, stored):
    assert color_int(given) == stored
    r, g, b, a = stored.to_bytes(4, "big", signed=True)
    assert stored == int.from_bytes([r, g, b, a], "big", signed=True)


def test_mask_bytes_are_packed_as_omero_stores_them():
    mask = ROIS.shapes[8].mask
    assert mask.packed() == bytes([0b11111000, 0b00000001, 0b11111010, 0b10101000])
    # read back the way omero-cli-zarr does (masks.py _mask_to_binim_yx)
    bits = np.unpackbits(np.frombuffer(mask.packed(), dtype=np.uint8))
    back = bits[:10 * 3].reshape(3, 10).astype(bool)
    assert (back == mask.array()).all()
    assert back[2].tolist() == [True, False] * 5


def test_mask_patterns():
    disc = MaskBits(512, 300, "disc").array()
    assert disc.shape == (300, 512) and disc[150, 256] and not disc[0, 0]
    assert abs(disc.mean() - np.pi / 4) < 0.01
    assert MaskBits(3, 2, "full").packed() == bytes([0b11111100])
    assert MaskBits(3, 2, "checker").array().tolist() == [[1, 0, 1], [0, 1, 0]]
    assert len(MaskBits(512, 512, "disc").packed()) == 512 * 512 // 8


def test_roi_generator_makes_mixed_shapes_and_masks():
    rois = ROIS.images[2].rois
    assert len(rois) == 30
    kinds = [r.shapes[0].kind for r in rois]
    assert kinds[:10] == ["Mask"] * 10
    assert set(kinds[10:]) == {"Rectangle", "Ellipse", "Polygon", "Polyline", "Line",
                               "Point", "Label"}
    masks = [r.shapes[0] for r in rois[:10]]
    assert all((m.mask.width, m.mask.height) == (512, 512) for m in masks)
    assert all(0 <= m.fields["x"] <= 2048 - 512 and 0 <= m.fields["y"] <= 1536 - 512
               for m in masks)
    assert {r.shapes[0].fields["theZ"] for r in rois} == {0, 1}
    ids = [s.id for r in rois for s in r.shapes]
    assert len(set(ids)) == 30 and not set(ids) & {1, 2, 3, 4, 5, 6, 7, 8, 9, 400}


def test_benchmark_catalogue_declares_thirty_thousand_rois_compactly():
    bench = load_catalogue("bench_rois.yaml")
    assert len(bench.images) == 1000 and len(bench.rois) == 30000
    masks = [s for s in bench.shapes.values() if s.kind == "Mask"]
    assert len(masks) == 10000
    assert {(m.mask.width, m.mask.height) for m in masks} == {(512, 512)}


def test_typed_and_shared_annotations():
    anns = ROIS.annotations
    assert {a.kind: a.value for a in anns.values() if a.links == [("Image", 1)]} == {
        "MapAnnotation": None, "TagAnnotation": "nucleus",
        "CommentAnnotation": "re-imaged after focus drift", "BooleanAnnotation": True,
        "LongAnnotation": 4, "DoubleAnnotation": 0.125, "TermAnnotation": "GO:0005634"}
    assert anns[10].values == [("species", "Mus musculus"), ("strain", "C57BL/6J"),
                               ("stain", "DAPI")]
    assert anns[500].links == [("Image", 1), ("Image", 2), ("Image", 3)]
    assert anns[500].description == "contains tumour tissue"
    assert anns[501].links == []
    assert anns[20].links == [("Roi", 1)]
    assert ROIS.images[3].annotations == [anns[500]]


@pytest.mark.parametrize("extra,message", [
    ("rois: [{shapes: [{type: Circle, x: 1, y: 1}]}]", "Circle"),
    ("rois: [{shapes: [{type: Point, x: 1}]}]", "Point needs y"),
    ("rois: [{shapes: [{type: Point, x: 1, y: 1, strokeWidth: 2}]}]", "Length"),
    ("rois: [{shapes: [{type: Point, x: 1, y: 1, strokeWidth: [2, PIXELS]}]}]",
     "UnitsLength"),
    ("rois: [{shapes: [{type: Point, x: 1, y: 1, strokeColor: '#12'}]}]", "colour"),
    ("rois: [{shapes: [{type: Point, x: 1, y: 1, theZ: 0.5}]}]", "integer"),
    ("rois: [{shapes: [{type: Point, x: 1, y: 1, radiusX: 3}]}]", "radiusX"),
    ("rois: [{shapes: [{type: Mask, x: 0, y: 0, width: 2, height: 1}]}]", "bits"),
    ("rois: [{shapes: [{type: Mask, x: 0, y: 0, width: 2, height: 1, bits: ['1']}]}]",
     "1 rows of 2"),
    ("rois: [{shapes: [{type: Line, x1: 0, y1: 0, x2: 1, y2: 1,\n"
     "  transform: {a00: 1}}]}]", "transform needs"),
    ("rois: [{name: empty}]", "needs shapes"),
    ("rois: [{count: 3, masks: 4}]", "masks"),
    ("annotations: [{type: BooleanAnnotation, boolValue: 1}]", "bool"),
    ("annotations: [{type: LongAnnotation, longValue: 1.5}]", "int"),
    ("annotations: [{type: TagAnnotation}]", "needs textValue"),
    ("annotations: [{type: TagAnnotation, textValue: x, values: {a: b}}]", "values"),
    ("annotations: [{type: XmlAnnotation, textValue: x}]", "XmlAnnotation"),
    ("annotations: [{ref: 99}]", "ref"),
])
def test_bad_specs_say_what_is_wrong(tmp_path, extra, message):
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(one_image(tmp_path, extra))


def test_shared_annotations_need_an_id(tmp_path):
    path = write(tmp_path, """
        annotations: [{type: TagAnnotation, textValue: x}]
    """)
    with pytest.raises(CatalogueError, match="needs an id"):
        load_catalogue(path)
