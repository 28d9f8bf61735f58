"""Plates without a server: plate path templates, the plan of a plate as one unit, and
the pure checks of a plate's metadata against OMERO's layout."""

from __future__ import annotations

import pytest

from omero_cli_ngff import exit_codes
from omero_cli_ngff.checks.plate import check_plate, check_well
from omero_cli_ngff.model import paths
from omero_cli_ngff.model.annotation import PublishedCopy
from omero_cli_ngff.model.plate_layout import PlateLayout, WellLayout
from omero_cli_ngff.model.records import ImageRecord
from omero_cli_ngff.ngff import metadata as md
from omero_cli_ngff.storage import parse_destination
from omero_cli_ngff.storage.journal import Pending
from omero_cli_ngff.workflows.plan import PUBLISH, REFUSE, RESTORE, SKIP, UPDATE, PlanSettings
from omero_cli_ngff.workflows.plate_plan import make_plate_plan

PUBLIC = "https://example.org/pub"


def record(i: int, **kw) -> ImageRecord:
    base = dict(id=i, name=f"f{i}", pixels_id=100 + i, size_x=8, size_y=8, owner="alice",
                group="lab", group_permissions="rwra--", owner_id=2)
    base.update(kw)
    return ImageRecord(**base)


def layout() -> PlateLayout:
    return PlateLayout(7, "my plate", ["A", "B"], ["1", "2"], wells=[
        WellLayout("A", "1", [(1, 1), (2, 1)]), WellLayout("A", "2", []),
        WellLayout("B", "2", [(3, None)])], acquisitions=[{"id": 1}], screen_id=4)


RECORDS = {i: record(i) for i in (1, 2, 3)}


def settings(**kw) -> PlanSettings:
    return PlanSettings(paths.DEFAULT_TEMPLATE, "0.5", caller_id=2, server="S", **kw)


def dest():
    return parse_destination("gs://bucket/pub", public_url=PUBLIC)


def copy(url: str, version: str = "0.5", ann: int = 50, image: int = 1) -> PublishedCopy:
    return PublishedCopy(image, ann, ann + 1000, 3, 2, True,
                         pairs=[("zarr_path", url), ("ngff_version", version),
                                ("zarr_conversion_date", "2024-01-01T00:00:00Z")])


def annotated(root: str) -> dict:
    fields = {1: "A/1/0", 2: "A/1/1", 3: "B/2/0"}
    return {i: [copy(f"{PUBLIC}/{root}/{p}/", ann=50 + i, image=i)]
            for i, p in fields.items()}


def plan(copies=None, journal=None, complete=lambda root: False, **kw):
    return make_plate_plan(layout(), RECORDS, copies or {}, dest(), settings(**kw), journal,
                           complete)


def test_plate_templates():
    first = record(1)
    assert paths.plate_template(paths.DEFAULT_TEMPLATE) == \
        "{ngff_version}/plate-{plate_id}.ome.zarr"
    assert paths.plate_template("{group}/{image_id}.zarr") == "{group}/plate-{plate_id}.zarr"
    assert paths.render_plate("{screen_id}/{plate_name}.ome.zarr", 7, "my plate", 4, first,
                              "0.5") == "4/my_plate.ome.zarr"
    with pytest.raises(paths.MissingValue):
        paths.render_plate("{screen_id}/{plate_id}.zarr", 7, "p", None, first, "0.5")
    with pytest.raises(paths.TemplateError):
        paths.render_plate("{image_id}/{plate_id}.zarr", 7, "p", 4, first, "0.5")
    with pytest.raises(paths.MissingValue):       # an image in no plate
        paths.render("{plate_id}.zarr", first, "0.5")
    assert paths.plate_root_of_field("0.5/plate-7.ome.zarr/A/1/0") == (
        "0.5/plate-7.ome.zarr", "A/1/0")
    assert paths.plate_root_of_field("0.5/7.ome.zarr/0") is None


def test_a_new_plate_is_published_whole_with_a_url_per_field():
    p = plan()
    assert p.action == PUBLISH and p.root == "0.5/plate-7.ome.zarr"
    assert {f.record.id: f.url for f in p.fields} == {
        1: f"{PUBLIC}/0.5/plate-7.ome.zarr/A/1/0/", 2: f"{PUBLIC}/0.5/plate-7.ome.zarr/A/1/1/",
        3: f"{PUBLIC}/0.5/plate-7.ome.zarr/B/2/0/"}
    assert {f.action for f in p.fields} == {PUBLISH}


def test_up_to_date_plate_is_skipped_and_a_missing_annotation_restored():
    copies = annotated("0.5/plate-7.ome.zarr")
    assert plan(copies, complete=lambda root: True).action == SKIP
    del copies[2]
    p = plan(copies, complete=lambda root: True)
    assert p.action == RESTORE
    assert {f.record.id: f.action for f in p.fields} == {1: SKIP, 2: RESTORE, 3: SKIP}
    # the plate is not complete: convert it again, into the other slot
    p = plan(annotated("0.5/plate-7.ome.zarr"))
    assert p.action == UPDATE and p.root == "0.5/plate-7.alt.ome.zarr"
    assert p.old_root == "0.5/plate-7.ome.zarr"


def test_force_and_versions_convert_into_the_other_slot():
    p = plan(annotated("0.5/plate-7.ome.zarr"), complete=lambda root: True, force=True)
    assert (p.action, p.root, p.fresh) == (UPDATE, "0.5/plate-7.alt.ome.zarr", True)
    p = plan({i: [copy(c[0].zarr_path, "0.4", image=i)] for i, c in
              annotated("0.5/plate-7.ome.zarr").items()}, complete=lambda root: True)
    assert p.action == UPDATE and p.root == "0.5/plate-7.alt.ome.zarr"


def test_an_interrupted_plate_resumes_into_its_slot():
    p = plan(journal=Pending(7, "0.5/plate-7.ome.zarr"), complete=lambda root: True)
    assert (p.action, p.resume, p.cleanup) == (PUBLISH, True, None)
    p = plan(annotated("0.5/plate-7.ome.zarr"), force=True,
             journal=Pending(7, "0.5/plate-7.alt.ome.zarr", "0.5/plate-7.ome.zarr"))
    assert p.resume and not p.fresh


def test_one_refused_field_refuses_the_plate():
    records = {**RECORDS, 2: record(2, can_annotate=False)}
    p = make_plate_plan(layout(), records, {}, dest(), settings(), None, lambda r: False)
    assert p.action == REFUSE and "Image:2" in p.reason
    assert p.code == exit_codes.PERMISSION and {f.action for f in p.fields} == {REFUSE}


def plate_attrs(wells, acquisitions=({"id": 1},)) -> dict:
    attrs = md.plate_attrs("p", ["A", "B"], ["1", "2"], wells, 2, "0.5", list(acquisitions))
    return attrs["ome"]["plate"]


def test_plate_check_finds_wells_and_acquisitions_that_differ():
    good = plate_attrs([("A", "1"), ("A", "2"), ("B", "2")])
    assert check_plate(good, layout(), "u") == []
    codes = {p.code for p in check_plate(plate_attrs([("A", "1")], ()), layout(), "u")}
    assert codes == {"plate-wells-mismatch", "plate-acquisitions-mismatch"}
    assert [p.code for p in check_plate(None, layout(), "u")] == ["plate-missing"]


def test_well_check_counts_fields_with_pixels():
    a1 = layout().wells[0]
    well = md.well_attrs([("0", 1), ("1", 1)], "0.5")["ome"]["well"]
    assert check_well(well, a1, {1, 2, 3}, "u") == []
    assert [p.code for p in check_well(well, a1, {1, 3}, "u")] == ["well-fields-mismatch"]
    other = md.well_attrs([("0", 1), ("1", None)], "0.5")["ome"]["well"]
    assert [p.code for p in check_well(other, a1, {1, 2}, "u")] == \
        ["well-acquisitions-mismatch"]


def test_a_plate_that_cannot_be_checked_fails_rather_than_being_converted_again():
    p = plan(annotated("0.5/plate-7.ome.zarr"), complete=lambda root: None)
    assert p.action == "fail" and p.code == exit_codes.DESTINATION
    assert "could not be checked" in p.reason
