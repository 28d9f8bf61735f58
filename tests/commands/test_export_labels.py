"""`omero ngff export` carries what OMERO knows beyond pixels (issue #15): ROIs as NGFF
labels and in the OME-XML, annotations in the OME-XML; against the dev server's ROI
catalogue (test_infra/catalogues/rois.yaml), compared with what stock omero-py reads."""

import numpy as np
import pytest
from ome_types import from_xml, validate_xml
from ome_zarr.io import parse_url
from ome_zarr.reader import Label, Reader
from skimage.draw import polygon as sk_polygon

from omero_cli_ngff.ngff import validate
from omero_cli_ngff.ngff.ome_metadata import metadata_of
from tests.helpers.export import run_export

pytestmark = pytest.mark.devserver


def label_data(root):
    nodes = [n for n in Reader(parse_url(str(root / "0")))()
             if any(isinstance(s, Label) for s in n.specs)]
    assert len(nodes) == 1
    node = nodes[0]
    attrs = node.zarr.root_attrs
    return np.asarray(node.data[0]), attrs.get("ome", attrs)["image-label"]


def test_labels_hold_omeros_masks_and_polygons(omero_rois_server, tmp_path, capsys):
    rc, rows, err = run_export(omero_rois_server, capsys, "Image:1", "--output",
                               str(tmp_path), "--chunk-size", "256", user="alice")
    assert rc == 0, err
    assert rows[0]["labels"] == 3
    root = tmp_path / "1.ome.zarr"
    assert validate(str(root / "0"), "0.5", kind="image") == []
    data, meta = label_data(root)
    assert data.shape == (2, 1, 3, 480, 640)
    values = {p["omero:roiId"]: p["label-value"] for p in meta["properties"]
              if "omero:roiId" in p}
    conn = omero_rois_server.connect("alice")
    try:
        rois = {r.getId().getValue(): r for r in
                conn.getRoiService().findByImage(1, None).rois}
    finally:
        conn.close()
    # the small mask: theZ 0, theT 0, exactly OMERO's bytes where no other ROI is
    mask = rois[3].copyShapes()[0]
    w, h = int(mask.getWidth().getValue()), int(mask.getHeight().getValue())
    bits = np.unpackbits(np.frombuffer(mask.getBytes(), np.uint8))[:w * h].reshape(h, w)
    x, y = int(mask.getX().getValue()), int(mask.getY().getValue())
    region = data[0, 0, 0, y:y + h, x:x + w]
    np.testing.assert_array_equal(region == values[3], bits.astype(bool))
    # the polygon: theZ 2, every t, scikit-image's polygon of OMERO's points
    polygon = rois[2].copyShapes()[1]
    pts = [tuple(map(float, p.split(","))) for p in polygon.getPoints().getValue().split()]
    want = np.zeros((480, 640), bool)
    want[sk_polygon([p[1] for p in pts], [p[0] for p in pts], shape=(480, 640))] = True
    for t in range(2):
        np.testing.assert_array_equal(data[t, 0, 2] == values[2], want)
    assert not (data[:, 0, 1] == values[2]).any()              # the ellipse is on z 0


def test_ome_xml_round_trips_every_roi_and_annotation(omero_rois_server, tmp_path, capsys):
    rc, _, err = run_export(omero_rois_server, capsys, "Image:1", "--output", str(tmp_path),
                            user="alice")
    assert rc == 0, err
    xml = (tmp_path / "1.ome.zarr" / "OME" / "METADATA.ome.xml").read_text()
    validate_xml(xml)
    back = metadata_of(from_xml(xml))
    cat = omero_rois_server.catalogue
    image = cat.images[1]
    assert back.description == image.description
    assert int(back.acquisition_date.timestamp() * 1000) == image.acquisition_date
    assert [r.id for r in back.rois] == [r.id for r in image.rois]
    for got, want in zip(back.rois, image.rois):
        assert (got.name, got.description) == (want.name, want.description)
        assert [s.id for s in got.shapes] == sorted(s.id for s in want.shapes)
        by_id = {s.id: s for s in want.shapes}
        for shape in got.shapes:
            rec = by_id[shape.id]
            assert shape.kind == rec.kind
            for name, value in shape.geometry.items():
                assert value == rec.fields[name]
            if rec.mask is not None:
                assert shape.mask == rec.mask.packed()
            assert shape.text == rec.fields.get("textValue")
            assert shape.the_z == rec.fields.get("theZ")
    assert [a.value for a in back.rois[0].annotations] == ["a ROI comment"]
    anns = {a.id: a for a in back.annotations}
    assert sorted(anns) == [10, 11, 12, 13, 14, 15, 16, 500]
    assert anns[10].pairs == (("species", "Mus musculus"), ("strain", "C57BL/6J"),
                              ("stain", "DAPI"))
    assert (anns[14].kind, anns[14].value, anns[14].namespace) == (
        "LongAnnotation", 4, "openmicroscopy.org/omero/insight/rating")
    assert (anns[16].value, anns[16].description) == ("GO:0005634", "nucleus")
    assert anns[13].value is True and anns[15].value == 0.125


def test_options_masks_only_none_and_no_annotations(omero_rois_server, tmp_path, capsys):
    rc, rows, err = run_export(omero_rois_server, capsys, "Image:1", "--output",
                               str(tmp_path / "masks"), "--labels", "masks",
                               "--no-annotations", user="alice")
    assert rc == 0, err
    assert rows[0]["labels"] == 1
    data, meta = label_data(tmp_path / "masks" / "1.ome.zarr")
    assert [p["omero:roiId"] for p in meta["properties"]] == [3]
    xml = from_xml((tmp_path / "masks" / "1.ome.zarr" / "OME" / "METADATA.ome.xml")
                   .read_text())
    assert xml.structured_annotations == [] and len(xml.rois) == 3   # ROIs stay
    assert xml.images[0].annotation_refs == [] and xml.rois[0].annotation_refs == []
    rc, rows, err = run_export(omero_rois_server, capsys, "Image:1,3", "--output",
                               str(tmp_path / "none"), "--labels", "none", user="alice")
    assert rc == 0, err
    assert [r["labels"] for r in rows] == [None, None]           # null: no labels written
    assert not (tmp_path / "none" / "1.ome.zarr" / "0" / "labels").exists()
