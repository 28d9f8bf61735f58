"""Publish pieces without a server: path templates and slots, claims, plan decisions."""

from __future__ import annotations

import pytest

from omero_cli_ngff import exit_codes
from omero_cli_ngff.model import paths
from omero_cli_ngff.model.annotation import PublishedCopy
from omero_cli_ngff.model.records import ImageRecord
from omero_cli_ngff.storage import MetadataProbe, parse_destination
from omero_cli_ngff.storage.claims import Claims
from omero_cli_ngff.storage.journal import Pending
from omero_cli_ngff.storage.probe import Prober
from omero_cli_ngff.workflows.plan import (
    PUBLISH,
    REFUSE,
    RESTORE,
    SKIP,
    UPDATE,
    PlanSettings,
    make_plan,
)

PUBLIC = "https://example.org/pub"


def record(i=1, **kw):
    base = dict(id=i, name=f"img {i}.tif", pixels_id=100 + i, size_x=10, size_y=10,
                fileset_id=7, repo_path="alice_3/2024/x y.ndpi", owner="alice",
                group="lab", group_permissions="rwra--", series=0)
    base.update(kw)
    return ImageRecord(**base)


# --------------------------------------------------------------------------- paths

def test_templates_render_safely():
    r = record(5, series=2)
    assert paths.render(paths.DEFAULT_TEMPLATE, r, "0.5") == "0.5/5.ome.zarr"
    assert paths.render(paths.DEFAULT_REMOTE_TEMPLATE, r, "0.4") == \
        "0.4/alice_3/2024/x y.ndpi.zarr"
    assert paths.render("{owner}/{group}/{image_name}-{fileset_id}-{series}", r, "0.5") \
        == "alice/lab/img_5.tif-7-2"
    for bad in ("../{image_id}", "/{image_id}", "{x}/{image_id}", "{image_id:>5}",
                ".omero-ngff/{image_id}"):
        with pytest.raises(paths.TemplateError):
            paths.check_template(bad)
            paths.render(bad, r, "0.5")
    with pytest.raises(paths.TemplateError):
        paths.render("{repo_path}", record(repo_path="../../etc/passwd"), "0.5")
    with pytest.raises(paths.MissingValue):
        paths.render("{repo_path}.zarr", record(repo_path=None), "0.5")
    with pytest.raises(paths.TemplateError):
        paths.check_template("{ngff_version}/all.zarr")


def test_slots_alternate():
    assert paths.slots("0.5/1.ome.zarr") == ("0.5/1.ome.zarr", "0.5/1.alt.ome.zarr")
    assert paths.other_slot("a/x.zarr", None) == "a/x.zarr"
    assert paths.other_slot("a/x.zarr", "a/x.zarr") == "a/x.alt.zarr"
    assert paths.other_slot("a/x.zarr", "a/x.alt.zarr") == "a/x.zarr"
    assert paths.other_slot("a/x", "a/x") == "a/x.alt"
    assert paths.root_of_group("a/x.zarr/3") == ("a/x.zarr", 3)


# --------------------------------------------------------------------------- claims

def test_file_claims_are_exclusive_and_released(tmp_path):
    dest = parse_destination(str(tmp_path))
    a, b = Claims(dest), Claims(dest)
    assert a.acquire(1) is None
    holder = b.acquire(1)
    assert holder is not None and holder.run == a.me.run
    a.release(1)
    assert b.acquire(1) is None
    b.release_all()
    assert dest.list_tree(".omero-ngff") == []


def test_claim_times_default_to_five_minutes_and_a_minute_and_are_overridable(monkeypatch):
    from omero_cli_ngff.storage.claims import claim_times
    monkeypatch.delenv("OMERO_NGFF_CLAIM_STALE_AFTER", raising=False)
    monkeypatch.delenv("OMERO_NGFF_CLAIM_HEARTBEAT", raising=False)
    assert claim_times() == (300.0, 60.0)
    monkeypatch.setenv("OMERO_NGFF_CLAIM_STALE_AFTER", "2")
    assert claim_times() == (2.0, 0.4)             # a beat at most a fifth of it
    monkeypatch.setenv("OMERO_NGFF_CLAIM_HEARTBEAT", "0.1")
    assert claim_times() == (2.0, 0.1)
    assert claim_times(10.0, 1.0) == (10.0, 1.0)


def test_gcs_claims_are_scoped_by_server(gcs_emulator, bucket):
    dest = parse_destination(f"gs://{bucket}/p")
    a, b = Claims(dest, scope="server-a"), Claims(dest, scope="server-b")
    assert a.acquire(9) is None and b.acquire(9) is None     # two servers' Image:9
    assert Claims(dest, scope="server-a").acquire(9).run == a.me.run
    a.release_all()
    b.release_all()
    assert dest.list_tree(".omero-ngff") == []


test_gcs_claims_are_scoped_by_server = pytest.mark.object_store(
    test_gcs_claims_are_scoped_by_server)


# --------------------------------------------------------------------------- the plan

def copy(image_id, url, version="0.5", can_edit=True, ann=1):
    return PublishedCopy(image_id, ann, ann, 3, 2, can_edit,
                         [("zarr_path", url), ("ngff_version", version),
                          ("zarr_conversion_date", "2024-01-01T00:00:00+00:00")])


def prober(ok=(), definite=True):
    def probe(url, version):
        return MetadataProbe(url, url in ok, "ok" if url in ok else "not_found", definite)
    return Prober(probe, threads=1)


def plan_one(copies, ok=(), force=False, journal=None, **kw):
    dest = parse_destination("memory://x", PUBLIC)
    settings = PlanSettings("{ngff_version}/{image_id}.ome.zarr", "0.5", force=force,
                            caller_id=2)
    return make_plan([record(1, **kw)], {1: copies}, dest, settings, prober(ok),
                     journal or {})[0]


def test_plan_actions():
    url = f"{PUBLIC}/0.5/1.ome.zarr/0/"
    alt = f"{PUBLIC}/0.5/1.alt.ome.zarr/0/"
    assert plan_one([]).action == PUBLISH
    assert plan_one([], ok={url}).action == RESTORE
    assert plan_one([copy(1, url)], ok={url}).action == SKIP
    p = plan_one([copy(1, url)], ok={url}, force=True)
    assert (p.action, p.url, p.old_root) == (UPDATE, alt, "0.5/1.ome.zarr")
    p = plan_one([copy(1, f"{PUBLIC}/0.4/1.ome.zarr/0/", "0.4")])
    assert (p.action, p.url, p.old_root) == (UPDATE, url, "0.4/1.ome.zarr")
    p = plan_one([copy(1, url)])                               # data gone (404)
    assert p.action == UPDATE and p.url == alt
    p = plan_one([copy(1, url), copy(1, url, ann=2)], ok={url})
    assert p.action == RESTORE                                 # duplicates merged
    assert plan_one([], group_permissions="rw----").action == REFUSE
    assert plan_one([], can_annotate=False).code == exit_codes.PERMISSION
    assert plan_one([], pixels_id=None).code == exit_codes.NOT_FOUND
    # an annotation the user may not edit is not the tool's: left alone, never used
    p = plan_one([copy(1, url, can_edit=False)], ok={url}, force=True)
    assert p.action == PUBLISH and p.old_root is None and p.old_url is None
    assert [f.copy.annotation_id for f in p.foreign] == [1] and p.copies == []
    # published somewhere other than --dest: published here, the old one replaced
    elsewhere = "https://elsewhere.org/data/0.5/1.ome.zarr/0/"
    p = plan_one([copy(1, elsewhere)], ok={elsewhere})
    assert (p.action, p.url, p.old_root, p.old_url) == (UPDATE, url, None, elsewhere)


def test_plan_resumes_and_cleans_up_after_interruptions():
    url = f"{PUBLIC}/0.5/1.ome.zarr/0/"
    # killed while writing the alt slot: resume it (no fresh start)
    journal = {1: Pending(1, "0.5/1.alt.ome.zarr", "0.5/1.ome.zarr")}
    p = plan_one([copy(1, url)], force=True, journal=journal)
    assert p.resume and not p.fresh and p.root == "0.5/1.alt.ome.zarr"
    # killed after the switch: the old copy is removed, the image skipped
    alt = f"{PUBLIC}/0.5/1.alt.ome.zarr/0/"
    p = plan_one([copy(1, alt)], ok={alt}, journal=journal)
    assert p.action == SKIP and p.cleanup == "0.5/1.ome.zarr" and p.busy


def test_template_collisions_are_usage_errors():
    dest = parse_destination("memory://x", PUBLIC)
    settings = PlanSettings("{ngff_version}/{repo_path}.zarr", "0.5")
    with pytest.raises(paths.TemplateError):
        make_plan([record(1), record(2)], {}, dest, settings, prober(), {})
