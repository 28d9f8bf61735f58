"""The demo catalogue's publishable project (Project 3, images 40-42) carries ROIs of
every shape type and curated Key-Value pairs in a facility namespace, served through
stock omero-py (``IRoi.findByImage``, ``ImageWrapper.listAnnotations``) as in
``test_rois.py`` and ``test_annotation_types.py``."""

import pytest
from omero.gateway import MapAnnotationWrapper, TagAnnotationWrapper

pytestmark = pytest.mark.devserver

FACILITY_NS = "facility.example.org/metadata"


def test_demo_project_images_have_every_shape_type(omero_devserver):
    conn = omero_devserver.connect("alice")
    try:
        kinds = set()
        for image_id in (40, 41, 42):
            rois = conn.getRoiService().findByImage(image_id, None).rois
            record = omero_devserver.catalogue.images[image_id].rois
            assert [r.getId().getValue() for r in rois] == [r.id for r in record]
            kinds |= {type(s).__name__[:-1] for r in rois for s in r.copyShapes()}
        assert kinds == {"Rectangle", "Ellipse", "Polygon", "Polyline", "Line", "Point",
                         "Label", "Mask"}
        masks = [s for r in conn.getRoiService().findByImage(40, None).rois
                 for s in r.copyShapes() if type(s).__name__ == "MaskI"]
        assert [len(m.getBytes()) for m in masks] == [128 * 128 // 8, 4]
    finally:
        conn.close()


def test_demo_project_images_have_curated_key_value_pairs(omero_devserver):
    conn = omero_devserver.connect("alice")
    try:
        for image_id in (40, 41, 42):
            image = conn.getObject("Image", image_id)
            (kv,) = list(image.listAnnotations(ns=FACILITY_NS))
            assert isinstance(kv, MapAnnotationWrapper)
            assert {"species", "stain"} <= {k for k, _ in kv.getValue()}
        slide = dict(next(conn.getObject("Image", 40).listAnnotations(ns=FACILITY_NS))
                     .getValue())
        assert slide == {"species": "Mus musculus", "strain": "C57BL/6J",
                         "genotype": "Apc Min/+", "stain": "H&E", "tissue": "colon",
                         "date": "2024-05-01"}
        tagged = [i for i in (40, 41, 42)
                  if any(isinstance(a, TagAnnotationWrapper) and a.getId() == 50
                         for a in conn.getObject("Image", i).listAnnotations())]
        assert tagged == [40, 41]
    finally:
        conn.close()
