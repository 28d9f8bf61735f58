"""ROIs and annotations in the OME-XML: valid against the OME schema, read back equal."""

from datetime import datetime, timezone

import numpy as np
from ome_types import from_xml, validate_xml

from omero_cli_ngff.model.annotations_meta import AnnotationRecord, ImageMetadata
from omero_cli_ngff.model.rois import Length, RoiRecord, ShapeRecord
from omero_cli_ngff.ngff import ImageSpec
from omero_cli_ngff.ngff.ome_metadata import metadata_of
from omero_cli_ngff.ngff.ome_xml import ome_xml

ANNOTATIONS = [
    AnnotationRecord(10, "MapAnnotation", "facility.example.org/metadata",
                     pairs=(("species", "Mus musculus"), ("stain", "H&E <b>"), ("a", "")),
                     description="curated"),
    AnnotationRecord(11, "TagAnnotation", "facility.example.org/tags", value="nucleus",
                     description="a cell part"),
    AnnotationRecord(12, "CommentAnnotation", None, value="re-imaged"),
    AnnotationRecord(13, "BooleanAnnotation", "qc", value=True),
    AnnotationRecord(14, "LongAnnotation", "openmicroscopy.org/omero/insight/rating", value=4),
    AnnotationRecord(15, "DoubleAnnotation", "focus", value=0.125),
    AnnotationRecord(16, "TermAnnotation", "ontology", value="GO:0005634"),
]
MASK = np.packbits(np.eye(8, 10, dtype=bool).ravel()).tobytes()
SHAPES = (
    ShapeRecord(1, "Rectangle", {"x": 10.5, "y": 20.0, "width": 100.0, "height": 50.0},
                the_z=1, the_t=1, the_c=0, locked=True, fill_color=-16776961,
                stroke_color=16711935, stroke_width=Length(2.5, "PIXEL"),
                stroke_dash_array="5 5", fill_rule="NonZero", font_family="sans-serif",
                font_size=Length(12.0, "POINT"), font_style="Italic", text="rectangle",
                transform=(1.0, 0.0, 0.5, 1.0, 5.0, -5.0)),
    ShapeRecord(2, "Ellipse", {"x": 300.0, "y": 200.0, "radiusX": 40.0, "radiusY": 20.0},
                the_z=0),
    ShapeRecord(3, "Polygon", points=((10.0, 10.0), (50.5, 10.0), (30.0, 40.25))),
    ShapeRecord(4, "Polyline", points=((100.0, 100.0), (150.0, 120.0)),
                marker_start="Arrow", marker_end="Arrow"),
    ShapeRecord(5, "Line", {"x1": 0.0, "y1": 0.0, "x2": 639.0, "y2": 479.0},
                marker_end="Arrow"),
    ShapeRecord(6, "Point", {"x": 320.0, "y": 240.0}, the_z=2, the_t=1),
    ShapeRecord(7, "Label", {"x": 400.0, "y": 50.0}, text="a label",
                font_size=Length(18.0, "POINT")),
    ShapeRecord(8, "Mask", {"x": 4.0, "y": 6.0, "width": 10.0, "height": 8.0}, mask=MASK,
                the_c=1, fill_color=16711808),
)
ROIS = [RoiRecord(1, 1, "every field", "one of each shape", SHAPES[:1],
                  annotations=(AnnotationRecord(20, "CommentAnnotation", value="on a ROI"),)),
        RoiRecord(2, 1, None, None, SHAPES[1:])]
META = ImageMetadata(1, "every shape <and> annotation",
                     datetime(2024, 5, 1, 10, tzinfo=timezone.utc), ANNOTATIONS, ROIS)
SPEC = ImageSpec(name="every-shape.tif", dtype="uint16", size_x=640, size_y=480, size_z=3,
                 size_c=2, size_t=2)


def test_ome_xml_is_valid_and_gives_back_every_roi_and_annotation():
    xml = ome_xml([SPEC], [META])
    validate_xml(xml)
    back = metadata_of(from_xml(xml))
    assert back.description == META.description
    assert back.acquisition_date == META.acquisition_date
    assert back.annotations == META.annotations
    assert [(r.id, r.name, r.description, r.annotations) for r in back.rois] == \
        [(r.id, r.name, r.description, r.annotations) for r in ROIS]
    got = [s for r in back.rois for s in r.shapes]
    assert [s.kind for s in got] == [s.kind for s in SHAPES]
    for want, found in zip(SHAPES, got):
        assert found == want, want.kind


def test_without_metadata_the_xml_is_as_before():
    xml = ome_xml([SPEC])
    validate_xml(xml)
    ome = from_xml(xml)
    assert ome.rois == [] and ome.structured_annotations == []


def test_an_annotation_shared_by_image_and_roi_is_written_once():
    shared = ANNOTATIONS[1]
    roi = RoiRecord(3, 1, shapes=(SHAPES[5],), annotations=(shared,))
    xml = ome_xml([SPEC], [ImageMetadata(1, annotations=[shared], rois=[roi])])
    validate_xml(xml)
    ome = from_xml(xml)
    assert [a.id for a in ome.structured_annotations] == ["Annotation:11"]
    assert ome.rois[0].annotation_refs[0].id == "Annotation:11"
