"""ROIs as NGFF labels, written with an image (no server): valid for ome-zarr-models,
read back by ome-zarr-py with masks equal to their bytes and polygons equal to
scikit-image's polygon of their vertices; overlaps, levels, reruns."""

import json

import numpy as np
import pytest
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Label, Reader
from skimage.draw import polygon as sk_polygon

from omero_cli_ngff.model.annotations_meta import ImageMetadata
from omero_cli_ngff.model.rois import AREA_KINDS, RoiRecord, ShapeRecord
from omero_cli_ngff.ngff import ImageSpec, WriteOptions, validate
from omero_cli_ngff.ngff.labels import label_dtype
from omero_cli_ngff.ngff.ome_xml import write_bioformats2raw
from omero_cli_ngff.ngff.sources import ArraySource
from omero_cli_ngff.ngff.spec import ImageExtras

SIZE_Y, SIZE_X = 700, 1000
BITS = np.random.default_rng(3).integers(0, 2, (90, 130)).astype(bool)
POLY = ((100.5, 80.0), (420.0, 60.25), (500.0, 400.0), (150.0, 380.7))


def packed(bits):
    return np.packbits(bits.ravel()).tobytes()


def rois():
    return [
        RoiRecord(11, 1, "tumour", shapes=(ShapeRecord(
            101, "Polygon", points=POLY, the_z=1, fill_color=-16776961, text="tumour"),)),
        RoiRecord(12, 1, "nucleus", shapes=(ShapeRecord(
            102, "Mask", {"x": 700.0, "y": 500.0, "width": 130.0, "height": 90.0},
            mask=packed(BITS), the_z=1),)),
        RoiRecord(13, 1, "box", shapes=(
            ShapeRecord(103, "Rectangle", {"x": 400.0, "y": 350.0, "width": 200.0,
                                           "height": 100.0}),          # every plane
            ShapeRecord(104, "Point", {"x": 5.0, "y": 5.0}),)),
        RoiRecord(14, 1, "line only", shapes=(ShapeRecord(
            105, "Line", {"x1": 0.0, "y1": 0.0, "x2": 9.0, "y2": 9.0}),)),
    ]


def write(tmp_path, roi_list=None, kinds=AREA_KINDS, source_levels=(), name="img.zarr",
          **kw):
    arr = np.random.default_rng(0).integers(0, 255, (1, 2, 3, SIZE_Y, SIZE_X), np.uint8)
    pyramid = [arr[..., ::2 ** k, ::2 ** k][..., :SIZE_Y // 2 ** k, :SIZE_X // 2 ** k]
               for k in source_levels]
    spec = ImageSpec(name="img", dtype="uint8", size_x=SIZE_X, size_y=SIZE_Y, size_c=2,
                     size_z=3)
    meta = ImageMetadata(1, rois=rois() if roi_list is None else roi_list)
    kw.setdefault("chunk_size", 256)
    (result,) = write_bioformats2raw(
        str(tmp_path / name), [(spec, ArraySource(arr, pyramid=pyramid))],
        WriteOptions(**kw), extras=[ImageExtras(meta, tuple(kinds))])
    return tmp_path / name, result


def label_node(root):
    nodes = list(Reader(parse_url(str(root / "0")))())
    found = [n for n in nodes if any(isinstance(s, Label) for s in n.specs)]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_labels_are_valid_and_read_back_by_ome_zarr_py(tmp_path, version):
    root, result = write(tmp_path, ngff_version=version)
    assert result.labels is not None and result.labels.values == 3
    assert validate(str(root / "0"), version, kind="image") == []     # labels included
    node = label_node(root)
    data = np.asarray(node.data[0])
    assert data.shape == (1, 1, 3, SIZE_Y, SIZE_X) and data.dtype == np.uint8
    # the mask is OMERO's bytes, on its plane only
    np.testing.assert_array_equal(data[0, 0, 1, 500:590, 700:830] == 2, BITS)
    assert not (data[0, 0, 0] == 2).any()
    # the polygon is scikit-image's polygon of the same vertices (it overlaps the box)
    want = np.zeros((SIZE_Y, SIZE_X), bool)
    want[sk_polygon([p[1] for p in POLY], [p[0] for p in POLY], shape=(SIZE_Y, SIZE_X))] = 1
    plane = data[0, 0, 1]
    box = np.zeros_like(want)
    box[350:450, 400:600] = True
    np.testing.assert_array_equal(plane == 1, want & ~box)
    np.testing.assert_array_equal(plane == 255, want & box)          # overlap: dtype max
    np.testing.assert_array_equal(data[0, 0, 0] == 3, box)           # the box: every plane
    meta = node.zarr.root_attrs.get("ome", node.zarr.root_attrs)["image-label"]
    props = {p["label-value"]: p for p in meta["properties"]}
    assert props[1]["omero:roiId"] == 11 and props[1]["omero:text"] == "tumour"
    assert props[2]["omero:shapeIds"] == [102] and props[255]["omero:overlap"] is True
    colors = {c["label-value"]: c["rgba"] for c in meta["colors"]}
    assert colors[1] == [255, 0, 0, 255] and set(colors) == set(props)
    assert meta["source"]["image"] == "../../"


def test_label_pyramid_matches_the_image_levels_even_floor_sized(tmp_path):
    root, result = write(tmp_path, source_levels=(1, 2, 3), chunk_size=128,
                         min_level_size=64)
    image_shapes = [s[3:] for s in result.level_shapes]
    # OMERO's level 3 is floor(175 / 2) = 87 rows: a computed one would have 88
    assert image_shapes[1:4] == [(350, 500), (175, 250), (87, 125)]
    label_shapes = [s[3:] for s in result.labels.result.level_shapes]
    assert label_shapes == image_shapes
    group = zarr.open_group(str(root / "0" / "labels" / "rois"), mode="r")
    level1 = np.asarray(group["1"][0, 0, 1])
    full = np.asarray(group["0"][0, 0, 1])
    assert set(np.unique(level1)) <= set(np.unique(full))            # no value averaged
    assert validate(str(root / "0"), "0.5", kind="image") == []


def test_masks_only_and_no_area_shapes(tmp_path):
    root, result = write(tmp_path, kinds=("Mask",))
    assert result.labels.values == 1
    data = np.asarray(label_node(root).data[0])
    assert set(np.unique(data)) == {0, 1}
    root, result = write(tmp_path, roi_list=[rois()[3]], name="lines.zarr")
    assert result.labels is None and not (root / "0" / "labels").exists()


def test_rerun_finds_labels_complete_and_rewrites_changed_rois(tmp_path):
    root, first = write(tmp_path)
    assert first.labels.result.objects_written > 0
    _, again = write(tmp_path)
    assert again.labels.result.already_complete
    changed = rois()[:2]
    _, third = write(tmp_path, roi_list=changed)
    assert not third.labels.result.already_complete and third.labels.values == 2
    data = np.asarray(label_node(root).data[0])
    assert not (data == 3).any()
    _, gone = write(tmp_path, roi_list=[])
    assert gone.labels is None and not (root / "0" / "labels").exists()
    assert validate(str(root / "0"), "0.5", kind="image") == []


def test_labels_group_lists_the_label_image(tmp_path):
    root, _ = write(tmp_path)
    attrs = json.loads((root / "0" / "labels" / "zarr.json").read_text())["attributes"]
    assert attrs["ome"]["labels"] == ["rois"]


def test_label_dtype_leaves_room_for_the_overlap_value():
    assert label_dtype(254) == np.uint8 and label_dtype(255) == np.uint16
    assert label_dtype(70000) == np.uint32
