"""ROIs and annotations of many images, read in batches (omero_io/image_metadata.py,
rois.py) from the dev server's ROI catalogue (test_infra/catalogues/rois.yaml)."""

import contextlib
from datetime import datetime, timezone

import pytest

from omero_cli_ngff.model.annotations_meta import MetadataChoices
from omero_cli_ngff.omero_io import queries
from omero_cli_ngff.omero_io.image_metadata import MetadataReader
from omero_cli_ngff.omero_io.query import QueryRunner
from omero_cli_ngff.omero_io.rois import fetch_rois, plan_batches

pytestmark = pytest.mark.devserver


@pytest.fixture(scope="module")
def alice(omero_rois_server):
    """A session of the owner of the catalogue's images (closed at the end)."""
    with contextlib.closing(omero_rois_server.connect("alice")) as conn:
        yield conn


def test_every_shape_and_annotation_as_the_catalogue_says(alice, omero_rois_server):
    cat = omero_rois_server.catalogue
    meta = MetadataReader(QueryRunner(alice), [1]).get(1)
    assert meta.description == "every shape type and every annotation type"
    assert meta.acquisition_date == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    assert [r.id for r in meta.rois] == [1, 2, 3]
    for roi in meta.rois:
        want = cat.rois[roi.id]
        assert (roi.name, roi.description) == (want.name, want.description)
        assert [s.id for s in roi.shapes] == [s.id for s in want.shapes]
        for got, rec in zip(roi.shapes, want.shapes):
            assert got.kind == rec.kind
            f = rec.fields
            for name, value in got.geometry.items():
                assert value == f[name], (rec.kind, name)
            assert (got.the_z, got.the_t, got.the_c) == (f.get("theZ"), f.get("theT"),
                                                          f.get("theC"))
            assert got.text == f.get("textValue") and got.fill_color == f.get("fillColor")
            if rec.mask is not None:
                assert got.mask == rec.mask.packed()
            if rec.transform is not None:
                assert got.transform == tuple(rec.transform[k] for k in
                                              ("a00", "a10", "a01", "a11", "a02", "a12"))
    rect = meta.rois[0].shapes[0]
    assert (rect.stroke_width.value, rect.stroke_width.unit) == (2.5, "PIXEL")
    assert (rect.font_style, rect.fill_rule, rect.locked) == ("italic", "nonzero", True)
    assert meta.rois[1].shapes[1].points == ((10, 10), (50, 10), (30, 40))
    assert [a.value for a in meta.rois[0].annotations] == ["a ROI comment"]
    kinds = {a.kind: a for a in meta.annotations}
    assert set(kinds) == {"MapAnnotation", "TagAnnotation", "CommentAnnotation",
                          "BooleanAnnotation", "LongAnnotation", "DoubleAnnotation",
                          "TermAnnotation"}
    assert kinds["MapAnnotation"].pairs == (("species", "Mus musculus"),
                                            ("strain", "C57BL/6J"), ("stain", "DAPI"))
    assert kinds["DoubleAnnotation"].value == 0.125 and kinds["BooleanAnnotation"].value
    assert kinds["TermAnnotation"].namespace == "facility.example.org/ontology"
    assert sorted(a.id for a in meta.annotations) == [10, 11, 12, 13, 14, 15, 16, 500]


def test_batches_are_cut_by_size_and_queries_stay_few(alice):
    runner = QueryRunner(alice)
    reader = MetadataReader(runner, [1, 2, 3, 4], budget=100_000)
    planned = runner.calls
    assert planned == 4            # details, annotations, ROI counts, mask sizes
    assert reader.with_rois == {1, 2}             # 3 has none, 4 is bob's
    # image 2's ten 512 x 512 masks (32 KiB each) are over the budget: a batch alone
    assert len(reader.get(1).rois) == 3
    assert runner.calls == planned + 2            # its ROIs, their annotations
    assert len(reader.get(2).rois) == 30
    assert runner.calls == planned + 4
    assert reader.get(3).rois == [] and runner.calls == planned + 4
    assert reader.get(4).annotations == [] and reader.get(4).rois == []


def test_one_batch_for_many_images_under_the_budget(alice):
    runner = QueryRunner(alice)
    reader = MetadataReader(runner, [1, 2, 3])
    assert [len(reader.get(i).rois) for i in (1, 2, 3)] == [3, 30, 0]
    assert runner.calls == 4 + 2


def test_choices_leave_annotations_out(alice):
    runner = QueryRunner(alice)
    choices = MetadataChoices(annotations=False)
    meta = MetadataReader(runner, [1], choices).get(1)
    assert meta.annotations == [] and all(r.annotations == () for r in meta.rois)
    assert runner.calls == 4                      # no annotation query at all
    mine = MetadataChoices(exclude_namespaces=("facility.example.org/tags",))
    kept = MetadataReader(QueryRunner(alice), [1], mine).get(1)
    assert 11 not in {a.id for a in kept.annotations} and len(kept.annotations) == 7


def test_plan_batches_keeps_order_and_budget():
    sizes = {1: 10, 2: 60, 3: 50, 5: 200, 6: 5}
    assert plan_batches([6, 1, 2, 3, 4, 5], sizes, budget=100) == [[6, 1, 2], [3], [5]]
    assert plan_batches([1, 2, 3, 6], sizes, budget=1000, most=2) == [[1, 2], [3, 6]]


class _SmallMessages(QueryRunner):
    """The client's message limit met by any ROI answer of more than one image (the
    exception omero-py raises, Ice's MemoryLimitException, by its name)."""

    def objects(self, hql, ids=None, page=None, **strings):
        if hql == queries.ROIS_OF_IMAGES and len(list(ids)) > 1:
            raise type("MemoryLimitException", (Exception,), {})()
        return super().objects(hql, ids, page, **strings)


def test_a_batch_too_big_for_one_message_is_split(alice):
    runner = _SmallMessages(alice)
    found = fetch_rois(runner, [1, 2, 3])
    assert {i: len(r) for i, r in found.items()} == {1: 3, 2: 30, 3: 0}
