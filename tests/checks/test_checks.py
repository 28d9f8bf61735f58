"""Unit tests of the verify checks (no OMERO): annotations, data over HTTP, agreement,
pixels. Copies are written to a local folder served over HTTP with Range support."""

from __future__ import annotations

import json
import os
import shutil
import socket

import numpy as np
import pytest

from omero_cli_ngff.checks import agreement, annotation, pixels
from omero_cli_ngff.model.annotation import PublishedCopy
from omero_cli_ngff.model.records import ImageRecord, PhysicalSize
from omero_cli_ngff.storage import HttpPolicy
from omero_cli_ngff.workflows import published_copy
from tests.helpers.verify import FolderServer, ramp, write_copy

SHAPE = (1, 2, 3, 64, 96)      # t, c, z, y, x
FAST = HttpPolicy(attempts=1, connect_timeout=2, read_timeout=5)


def check_data(url, version, annotation_id=None):
    """(the copy read back, or None; its problems), read as verify reads it."""
    return published_copy.check_data(url, version, annotation_id, FAST)


def copy_of(pairs, annotation_id=7, image_id=1):
    return PublishedCopy(image_id=image_id, annotation_id=annotation_id, link_id=70,
                         group_id=3, owner_id=2, can_edit=True, pairs=list(pairs))


def good_pairs(url="https://example.org/data/1.ome.zarr/", version="0.5"):
    return [("zarr_path", url), ("ngff_version", version),
            ("zarr_conversion_date", "2024-03-01T10:00:00+00:00")]


def record(**kw):
    base = dict(id=1, name="img", pixels_id=101, size_x=96, size_y=64, size_z=3,
                size_c=2, size_t=1, pixel_type="uint16",
                physical_x=PhysicalSize(0.5, "MICROMETER"),
                physical_y=PhysicalSize(0.5, "MICROMETER"))
    base.update(kw)
    return ImageRecord(**base)


def codes(problems):
    return sorted(p.code for p in problems)


# --------------------------------------------------------------------------- annotation

def test_a_complete_annotation_has_no_problem():
    parsed, problems = annotation.check_annotations([copy_of(good_pairs())])
    assert problems == []
    assert parsed[0].usable and parsed[0].url.endswith("/1.ome.zarr/")


@pytest.mark.parametrize("pairs, code", [
    (good_pairs()[1:], "missing-key"),
    (good_pairs()[:2], "missing-key"),
    ([("zarr_path", "gs://bucket/1.ome.zarr/")] + good_pairs()[1:], "bad-url"),
    ([("zarr_path", "not a url")] + good_pairs()[1:], "bad-url"),
    (good_pairs(version="0.6-dev"), "unknown-version"),
    (good_pairs()[:2] + [("zarr_conversion_date", "yesterday")], "bad-date"),
    (good_pairs() + [("zarr_path", "https://other.org/2.ome.zarr/")], "ambiguous-key"),
])
def test_malformed_annotations_are_errors(pairs, code):
    _, problems = annotation.check_annotations([copy_of(pairs)])
    assert code in codes(problems)
    assert all(p.annotation_id == 7 for p in problems)
    assert not any(p.fixable for p in problems)


def test_plain_http_and_missing_slash_are_warnings_only():
    _, problems = annotation.check_annotations(
        [copy_of(good_pairs(url="http://example.org/1.ome.zarr"))])
    assert codes(problems) == ["insecure-url", "url-without-slash"]
    assert not any(p.is_error for p in problems)


def test_two_annotations_in_the_namespace_are_one_error():
    _, problems = annotation.check_annotations(
        [copy_of(good_pairs(), 7), copy_of(good_pairs(), 8)], "jax.org/public/zarr")
    assert codes(problems) == ["duplicate-annotation"]
    assert "7, 8" in problems[0].message


def test_outdated_is_a_warning_unless_a_version_is_asked_for():
    assert annotation.check_outdated("0.5", None) == []
    assert [p.severity for p in annotation.check_outdated("0.4", None)] == ["warning"]
    assert [p.severity for p in annotation.check_outdated("0.4", "0.5")] == ["error"]
    assert annotation.check_outdated("0.5", "0.4") == []


def test_tile_plan_is_reproducible_distinct_and_inside():
    shape = {"t": 2, "c": 3, "z": 4, "y": 1000, "x": 700}
    a = pixels.tile_plan(shape, (256, 256), 10, seed=5)
    assert a == pixels.tile_plan(shape, (256, 256), 10, seed=5)
    assert a != pixels.tile_plan(shape, (256, 256), 10, seed=6)
    assert len(set(a)) == 10
    for _, _, _, y, x, h, w in a:
        assert y >= 0 and y + h <= 1000 and x >= 0 and x + w <= 700 and h > 0 and w > 0
    assert len(pixels.tile_plan({"t": 1, "c": 1, "z": 1, "y": 10, "x": 10},
                                (256, 256), 5, 0)) == 1


# --------------------------------------------------------------------------- data

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("published")
    with FolderServer(root) as server:
        yield root, server


def fresh(served, name, version="0.5", data=None):
    root, server = served
    path = os.path.join(root, name)
    shutil.rmtree(path, ignore_errors=True)
    write_copy(root, name, ramp(SHAPE) if data is None else data, version)
    return path, f"{server.url}/{name}/"


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_a_sound_copy_passes_every_check(served, version):
    path, url = fresh(served, f"sound-{version}.zarr", version)
    remote, problems = check_data(url, version)
    assert problems == []
    assert [lvl.array.shape for lvl in remote.levels] == [SHAPE, (1, 2, 3, 32, 48)]
    assert agreement.check_agreement(record(), remote) == []
    source = ArraySource(ramp(SHAPE))
    assert pixels.check_pixels(record(), remote, source, 3) == []
    assert source.reads == 3


def test_deleted_data_is_not_found_and_fixable(served):
    path, url = fresh(served, "deleted.zarr")
    shutil.rmtree(path)
    [problem] = check_data(url, "0.5", 9)[1]
    assert problem.code == "data-not-found" and problem.fixable
    assert problem.annotation_id == 9


def test_invalid_json_metadata_is_an_unknown_answer_never_fixable(served):
    # what does not parse proves nothing: a proxy's page as often as broken data
    path, url = fresh(served, "badjson.zarr")
    with open(os.path.join(path, "zarr.json"), "w") as f:
        f.write('{"zarr_format": 3, "node_type": "gr')
    [problem] = check_data(url, "0.5")[1]
    assert problem.code == "unknown-answer" and not problem.fixable


def test_zarr_metadata_of_no_image_is_corrupt(served):
    path, url = fresh(served, "notanimage.zarr")
    with open(os.path.join(path, "zarr.json"), "w") as f:
        f.write('{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    [problem] = check_data(url, "0.5")[1]
    assert problem.code == "corrupt-metadata"


def test_invalid_ngff_is_reported_and_fixable(served):
    path, url = fresh(served, "badngff.zarr")
    meta_path = os.path.join(path, "zarr.json")
    with open(meta_path) as f:
        meta = json.load(f)
    meta["attributes"]["ome"]["multiscales"][0]["axes"][0]["type"] = "space"  # 2 x... no
    meta["attributes"]["ome"]["multiscales"][0]["axes"] = \
        meta["attributes"]["ome"]["multiscales"][0]["axes"][:2]       # 2 axes, 5-D arrays
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    problems = check_data(url, "0.5")[1]
    assert problems and all(p.code == "invalid-ngff" and p.fixable for p in problems)


def test_wrong_version_in_the_annotation_is_a_mismatch_not_a_deletion(served):
    _, url = fresh(served, "v05.zarr", "0.5")
    [problem] = check_data(url, "0.4")[1]
    assert problem.code == "version-mismatch" and not problem.fixable
    assert "0.5" in problem.message


def test_corrupted_chunk_is_found(served):
    path, url = fresh(served, "badchunk.zarr")
    chunk = os.path.join(path, "s0", "c", "0", "0", "0", "0", "0")
    with open(chunk, "r+b") as f:
        f.truncate(5)
    remote, problems = check_data(url, "0.5")
    assert codes(problems) == ["chunk-unreadable"]
    assert not problems[0].fixable


def test_a_chunk_with_other_pixels_is_found_by_sampling(served):
    data = ramp(SHAPE)
    _, url = fresh(served, "otherpixels.zarr", data=data)
    remote, problems = check_data(url, "0.5")
    assert problems == []
    wrong = data.copy()
    wrong[...] = 0
    problems = pixels.check_pixels(record(), remote, ArraySource(wrong), 2)
    assert codes(problems) == ["pixels-differ", "pixels-differ"]
    assert all(p.is_error for p in problems)


def test_shape_type_and_physical_size_disagreements(served):
    _, url = fresh(served, "agree.zarr")
    remote, _ = check_data(url, "0.5")
    problems = agreement.check_agreement(
        record(size_x=100, size_c=3, pixel_type="uint8",
               physical_x=PhysicalSize(0.25, "MICROMETER")), remote)
    assert codes(problems) == ["physical-size-mismatch", "pixel-type-mismatch",
                               "shape-mismatch"]
    assert "X 96 (OMERO 100)" in problems[0].message + problems[1].message + \
        problems[2].message


def test_forbidden_and_server_errors_are_not_fixable(served):
    from test_infra.fault_proxy import FaultProxy
    _, url = fresh(served, "proxied.zarr")
    _, server = served
    with FaultProxy(server.url) as proxy:
        proxied = url.replace(server.url, proxy.url)
        proxy.fail(403, path=r"zarr\.json")
        [problem] = check_data(proxied, "0.5")[1]
        assert problem.code == "forbidden" and not problem.fixable
        proxy.clear()
        proxy.fail(500, path=r"zarr\.json")
        [problem] = check_data(proxied, "0.5")[1]
        assert problem.code == "server-error" and not problem.fixable
        proxy.clear()
        proxy.fail(404, path=r"zarr\.json")
        [problem] = check_data(proxied, "0.5")[1]
        assert problem.code == "data-not-found" and problem.fixable


def test_an_unreachable_host_is_not_fixable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    [problem] = check_data(f"http://127.0.0.1:{port}/x.zarr/", "0.5")[1]
    assert problem.code == "unreachable" and not problem.fixable


class ArraySource:
    """A TileSource over a numpy array (t, c, z, y, x), counting reads."""

    def __init__(self, data, tile=(32, 32)):
        self.data = data
        self.levels = [data.shape[-2:]]
        self.tile_size = tile
        self.reads = 0

    def read(self, level, t, c, z, y, x, h, w):
        self.reads += 1
        return self.data[t, c, z, y:y + h, x:x + w]


def test_a_url_at_a_bioformats2raw_root_is_not_an_image_and_not_fixable(served):
    root, server = served
    path = os.path.join(root, "b2r.ome.zarr")
    shutil.rmtree(path, ignore_errors=True)
    write_copy(path, "0", ramp(SHAPE), "0.5")
    with open(os.path.join(path, "zarr.json"), "w") as f:
        json.dump({"zarr_format": 3, "node_type": "group", "attributes": {
            "ome": {"version": "0.5", "bioformats2raw.layout": 3}}}, f)
    [problem] = check_data(f"{server.url}/b2r.ome.zarr/", "0.5")[1]
    assert problem.code == "not-an-image" and not problem.fixable
    assert problem.message.endswith("b2r.ome.zarr/0/)")
    assert check_data(f"{server.url}/b2r.ome.zarr/0/", "0.5")[1] == []


def test_lower_levels_are_compared_where_omero_serves_the_same_size(served):
    _, url = fresh(served, "levels.zarr")
    remote, problems = check_data(url, "0.5")
    assert problems == []
    data = ramp(SHAPE)
    source = ArraySource(data)
    source.levels = [(64, 96), (32, 48)]
    source.read = lambda level, t, c, z, y, x, h, w: data[..., ::2 ** level, ::2 ** level][
        t, c, z, y:y + h, x:x + w]
    assert pixels.check_pixels(record(), remote, source, 2) == []
    # a lower level computed differently is a warning, full resolution stays sound
    source.read = lambda level, t, c, z, y, x, h, w: (
        data[t, c, z, y:y + h, x:x + w] if level == 0 else
        np.zeros((h, w), data.dtype) + 1)
    [problem] = pixels.check_pixels(record(), remote, source, 2)
    assert problem.code == "pixels-differ" and problem.severity == "warning"
    assert "level s1" in problem.message


def test_a_slow_server_is_a_timeout_not_fixable(served):
    from test_infra.fault_proxy import FaultProxy
    _, url = fresh(served, "slow.zarr")
    _, server = served
    with FaultProxy(server.url) as proxy:
        proxy.delay(2.0, path=r"zarr\.json")
        _, [problem] = published_copy.check_data(
            url.replace(server.url, proxy.url), "0.5",
            policy=HttpPolicy(attempts=1, connect_timeout=2, read_timeout=0.5))
    assert problem.code == "timeout" and not problem.fixable
