"""The plan's ownership rules without a server: which annotations are the tool's, and
which roots an image may write (memory:// destinations, one per test)."""

from __future__ import annotations

import uuid

import pytest

from omero_cli_ngff import exit_codes
from omero_cli_ngff.errors import UsageError
from omero_cli_ngff.model.annotation import PublishedCopy
from omero_cli_ngff.storage import ownership, parse_destination
from omero_cli_ngff.storage.ownership import Owner
from omero_cli_ngff.workflows.copies import sort_copies
from omero_cli_ngff.workflows.plan import (
    FAIL,
    PUBLISH,
    REFUSE,
    RESTORE,
    UPDATE,
    PlanSettings,
    check_namespace,
    make_plan,
)
from tests.workflows.test_publish_plan import PUBLIC, prober, record

SERVER = "5f0c7e36-0000-4000-8000-000000000001"
ME, IMAGE_OWNER, STRANGER = 2, 3, 9
KEYS = [("zarr_path", None), ("ngff_version", "0.5"),
        ("zarr_conversion_date", "2024-01-01T00:00:00+00:00")]


def annotation(url, ann=1, owner=ME, can_edit=True, pairs=None):
    pairs = pairs if pairs is not None else [(k, url if v is None else v) for k, v in KEYS]
    return PublishedCopy(1, ann, ann, 3, owner, can_edit, pairs)


@pytest.fixture
def dest():
    return parse_destination(f"memory://{uuid.uuid4().hex}", PUBLIC)


def settings(**kw):
    base = dict(caller_id=ME, server=SERVER, namespace="ns")
    base.update(kw)
    return PlanSettings("{ngff_version}/{image_id}.ome.zarr", "0.5", **base)


def plan(dest, copies, ok=(), records=None, **kw):
    records = records or [record(1, owner_id=IMAGE_OWNER)]
    return make_plan(records, {r.id: copies for r in records}, dest, settings(**kw),
                     prober(ok), {}, inspect=lambda root: ownership.inspect(dest, root))


def owned(dest, root, image_id=1, server=SERVER):
    dest.write_bytes(f"{root}/{ownership.OWNER_RECORD}",
                     Owner(server, f"Image:{image_id}", "ns", "r").to_bytes())
    dest.write_bytes(f"{root}/0/zarr.json", b"{}")


def test_only_the_tools_own_annotations_are_used():
    url = f"{PUBLIC}/0.5/1.ome.zarr/0/"
    rec = record(1, owner_id=IMAGE_OWNER)
    copies = [annotation(url, 1),                                  # the caller's: ours
              annotation(url, 2, owner=IMAGE_OWNER),               # the owner's: ours
              annotation(url, 3, owner=STRANGER),                  # another user's
              annotation(url, 4, pairs=KEYS[:2] + [("stain", "H&E")]
                         + [("zarr_path", url)]),                  # other keys
              annotation(f"{PUBLIC}/0.5/%2e%2e/%2E%2e/0/", 5),     # leaves the prefix
              annotation(url, 6, can_edit=False),                  # may not edit
              annotation("ftp://x/y/0/", 7)]                       # not http(s)
    ours, foreign = sort_copies(copies, rec, ME)
    assert [c.annotation_id for c in ours] == [1, 2]
    why = {f.copy.annotation_id: f.why for f in foreign}
    assert set(why) == {3, 4, 5, 6, 7}
    assert "another user" in why[3] and "'stain'" in why[4] and "'..'" in why[5]
    assert "may not edit" in why[6] and "http" in why[7]
    # another user's annotation is the tool's on the evidence of storage only
    ours, _ = sort_copies(copies[2:3], rec, ME, lambda c, r: None)
    assert [c.annotation_id for c in ours] == [3]


def test_a_malformed_annotation_fails_no_other_image(dest):
    bad = annotation(f"{PUBLIC}/0.5/%2e%2e/0/")
    records = [record(1, owner_id=IMAGE_OWNER), record(2, owner_id=IMAGE_OWNER)]
    plans = make_plan(records, {1: [bad], 2: []}, dest, settings(), prober(), {},
                      inspect=lambda root: ownership.inspect(dest, root))
    assert [p.action for p in plans] == [PUBLISH, PUBLISH]
    assert plans[0].foreign and plans[0].copies == [] and plans[0].old_url is None


def test_a_slot_holding_another_objects_copy_is_refused_in_either_slot(dest):
    owned(dest, "0.5/1.ome.zarr", image_id=7)
    p = plan(dest, [])[0]
    assert (p.action, p.code) == (REFUSE, exit_codes.DESTINATION)
    assert "Image:7" in p.reason and "Image:1" in p.reason and "--path-template" in p.reason
    dest.remove("0.5/1.ome.zarr/0")
    ownership.remove(dest, "0.5/1.ome.zarr", Owner(SERVER, "Image:7"))
    owned(dest, "0.5/1.alt.ome.zarr", image_id=7)               # the other slot
    assert plan(dest, [])[0].action == REFUSE
    # the same image id of another OMERO server is another object too
    ownership.remove(dest, "0.5/1.alt.ome.zarr", Owner(SERVER, "Image:7"))
    owned(dest, "0.5/1.ome.zarr", image_id=1, server="another-server")
    p = plan(dest, [])[0]
    assert p.action == REFUSE and "OMERO server another-server" in p.reason


def test_a_root_inside_another_root_is_refused(dest):
    owned(dest, "0.5", image_id=8)
    p = plan(dest, [])[0]
    assert p.action == REFUSE and "inside" in p.reason and "Image:8" in p.reason


def test_data_without_a_record_is_refused_unless_adopted(dest):
    url = f"{PUBLIC}/0.5/1.ome.zarr/0/"
    dest.write_bytes("0.5/1.ome.zarr/0/zarr.json", b"{}")
    p = plan(dest, [], ok={url})[0]                   # complete, but not known as ours
    assert p.action == REFUSE and "--adopt" in p.reason
    p = plan(dest, [], ok={url}, adopt=True)[0]
    assert p.action == RESTORE and p.adopt_target
    # the image's own annotation points exactly at it: adopted on that evidence
    p = plan(dest, [annotation(url, 1), annotation(url, 2)], ok={url})[0]
    assert p.action == RESTORE and p.adopt_target


def test_our_own_copy_is_written_and_replaced(dest):
    url = f"{PUBLIC}/0.5/1.ome.zarr/0/"
    owned(dest, "0.5/1.ome.zarr")
    p = plan(dest, [annotation(url)], ok={url}, force=True)[0]
    assert (p.action, p.root, p.old_root) == (UPDATE, "0.5/1.alt.ome.zarr", "0.5/1.ome.zarr")
    assert p.target_state is not None and p.target_state.empty


def test_the_user_key_value_namespace_is_refused():
    for ns in ("openmicroscopy.org/omero/client/mapAnnotation",
               "openmicroscopy.org/omero/insight/rating", "", "  "):
        with pytest.raises(UsageError):
            check_namespace(ns)
    check_namespace("jax.org/public/zarr")


def test_a_template_value_missing_fails_that_image_only(dest):
    records = [record(1, owner_id=IMAGE_OWNER, fileset_id=None),
               record(2, owner_id=IMAGE_OWNER, fileset_id=5)]
    plans = make_plan(records, {}, dest, PlanSettings("{fileset_id}/{image_id}", "0.5",
                                                      caller_id=ME, server=SERVER),
                      prober(), {}, inspect=lambda root: ownership.inspect(dest, root))
    assert [p.action for p in plans] == [FAIL, PUBLISH]


def test_an_interrupted_switch_from_another_destination_is_finished(dest):
    from omero_cli_ngff.storage.journal import Pending
    url = f"{PUBLIC}/0.5/1.ome.zarr/0/"
    elsewhere = "https://storage.googleapis.com/old-bucket/0.5/1.ome.zarr/0/"
    journal = {1: Pending(1, "0.5/1.ome.zarr", None, elsewhere)}
    [p] = make_plan([record(1, owner_id=IMAGE_OWNER)], {1: [annotation(url)]}, dest,
                    settings(), prober(ok={url}), journal,
                    inspect=lambda root: ownership.inspect(dest, root))
    assert p.action == "skip" and p.retire_url == elsewhere and p.busy
    assert p.cleanup is None
