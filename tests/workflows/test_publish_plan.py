"""Publish pieces without a server: path templates and slots, claims, plan decisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from omero_cli_ngff import exit_codes
from omero_cli_ngff.model import paths
from omero_cli_ngff.model.annotation import PublishedCopy
from omero_cli_ngff.storage.claims import Claims
from omero_cli_ngff.storage.journal import Pending
from omero_cli_ngff.storage.probe import Prober
from omero_cli_ngff.workflows.plan import (PUBLISH, REFUSE, RESTORE, SKIP, UPDATE, PlanSettings,
                                           make_plan)
from omero_cli_ngff.model.records import ImageRecord
from omero_cli_ngff.storage import MetadataProbe, parse_destination

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

def test_file_claims_are_exclusive_and_stale_ones_taken_over(tmp_path):
    dest = parse_destination(str(tmp_path))
    a, b = Claims(dest), Claims(dest)
    assert a.acquire(1) is None
    holder = b.acquire(1)
    assert holder is not None and holder.run == a.me.run
    a.release(1)
    assert b.acquire(1) is None
    b.release_all()
    # a claim of a process that died (same host) is stale: taken over
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    c = Claims(dest)
    c.me.pid = int(dead)
    assert c.acquire(2) is None
    d = Claims(dest)
    assert d.acquire(2) is None
    data = json.loads((tmp_path / ".omero-ngff/claims/2").read_text())
    assert data["run"] == d.me.run and "password" not in json.dumps(data)
    d.release_all()
    assert not os.listdir(tmp_path / ".omero-ngff/claims")


def test_old_claims_are_stale(tmp_path):
    dest = parse_destination(str(tmp_path))
    a = Claims(dest, stale_after=0.0)
    a.me.host = "elsewhere"
    assert a.acquire(3) is None
    b = Claims(dest, stale_after=0.0)
    assert b.acquire(3) is None


@pytest.mark.object_store


def test_gcs_claims_use_generation_preconditions(gcs_emulator, bucket):
    dest = parse_destination(f"gs://{bucket}/p")
    a, b = Claims(dest), Claims(dest)
    assert a.acquire(9) is None
    assert b.acquire(9).run == a.me.run
    a.me.pid = 2 ** 22 + 12345               # a dead process: stale
    a._refresh("9")
    assert b.acquire(9) is None
    assert Claims(dest).acquire(9).run == b.me.run
    b.release_all()
    assert not dest.exists(".omero-ngff/claims/9")


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
    settings = PlanSettings("{ngff_version}/{image_id}.ome.zarr", "0.5", force=force)
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
    # a foreign annotation's data is never removed
    p = plan_one([copy(1, url, can_edit=False)], ok={url}, force=True)
    assert p.action == UPDATE and p.old_root is None


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
