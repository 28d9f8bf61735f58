"""checks/labels.py: the label image's ROIs against OMERO's, boxes and pixels."""

import numpy as np

from omero_cli_ngff.checks.labels import check_label_region, check_label_rois, label_rois

URL = "https://example.org/1.ome.zarr/0/"
PROPS = [{"label-value": 1, "omero:roiId": 11}, {"label-value": 2, "omero:roiId": 12},
         {"label-value": 255, "omero:overlap": True}]


def test_rois_listed_must_be_omeros_for_one_labels_choice():
    assert label_rois(PROPS) == {11: 1, 12: 2}
    assert check_label_rois([[11, 12, 13], [12, 11]], PROPS, URL) == []     # masks only
    [problem] = check_label_rois([[11, 13], [13]], PROPS, URL)
    assert problem.code == "labels-count" and problem.is_error
    assert "missing ROI 13" in problem.message and "ROI 12 no longer" in problem.message
    [missing] = check_label_rois([[11], []], None, URL)
    assert missing.code == "labels-missing" and not missing.is_error
    assert check_label_rois([[], []], None, URL) == []


def test_region_boxes_and_pixels_allow_overlaps():
    expected = np.zeros((10, 12), bool)
    expected[2:6, 3:9] = True
    found = np.where(expected, 1, 0).astype(np.uint8)
    found[2, 3] = 255                                         # shared with another ROI
    assert check_label_region(11, 1, 255, expected, found, (100, 200), URL) == []
    moved = np.roll(found, 1, axis=1)
    [box] = check_label_region(11, 1, 255, expected, moved, (100, 200), URL)
    assert box.code == "labels-box" and "x 204-209" in box.message
    holes = found.copy()
    holes[3, 4] = 0
    [pixels] = check_label_region(11, 1, 255, expected, holes, (100, 200), URL)
    assert pixels.code == "labels-pixels" and "1 of 24" in pixels.message
