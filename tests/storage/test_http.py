"""fetch_metadata / probe_metadata over plain HTTP: every failure kind, and only 404 /
corrupt metadata counted as definite."""

import json
import time

import pytest

from omero_cli_ngff.storage import (
    FetchCorrupt,
    FetchDropped,
    FetchForbidden,
    FetchNotFound,
    FetchServerError,
    FetchTimeout,
    FetchUnparseable,
    FetchUnreachable,
    HttpPolicy,
    fetch_metadata,
    probe_metadata,
)
from test_infra.fake_gcs import free_port, put_object

FAST = HttpPolicy(attempts=3, backoff=0.02, connect_timeout=1.0, read_timeout=0.5)

V05 = {"zarr_format": 3, "node_type": "group", "attributes": {"ome": {
    "version": "0.5", "multiscales": [{"datasets": [{"path": "0"}],
                                       "axes": [{"name": "y"}, {"name": "x"}]}]}}}
V04 = {"multiscales": [{"version": "0.4", "datasets": [{"path": "0"}]}]}


@pytest.fixture
def published(gcs_emulator, bucket):
    put_object(gcs_emulator.url, bucket, "p/a.ome.zarr/zarr.json", json.dumps(V05).encode())
    put_object(gcs_emulator.url, bucket, "p/b.ome.zarr/.zattrs", json.dumps(V04).encode())
    return bucket


@pytest.mark.object_store
def test_ok_for_both_versions(gcs_emulator, published):
    base = f"{gcs_emulator.url}/{published}/p"
    assert fetch_metadata(f"{base}/a.ome.zarr/", "0.5", policy=FAST) == V05
    assert fetch_metadata(f"{base}/a.ome.zarr", "0.5", policy=FAST) == V05   # no slash
    assert fetch_metadata(f"{base}/b.ome.zarr/", "0.4", policy=FAST) == V04
    probe = probe_metadata(f"{base}/a.ome.zarr/", "0.5", policy=FAST)
    assert probe.ok and probe.kind == "ok" and probe.metadata == V05


@pytest.mark.object_store
def test_not_found_is_definite(gcs_emulator, published):
    url = f"{gcs_emulator.url}/{published}/p/gone.ome.zarr/"
    with pytest.raises(FetchNotFound) as err:
        fetch_metadata(url, "0.5", policy=FAST)
    assert err.value.definite and err.value.status == 404
    # the wrong version's document is missing too: a 0.4 copy checked as 0.5
    with pytest.raises(FetchNotFound):
        fetch_metadata(f"{gcs_emulator.url}/{published}/p/b.ome.zarr/", "0.5", policy=FAST)
    probe = probe_metadata(url, "0.5", policy=FAST)
    assert (probe.ok, probe.kind, probe.definite) == (False, "not_found", True)


@pytest.mark.object_store
def test_forbidden_is_not_definite(fault_proxy, published):
    fault_proxy.fail(403, method="GET")
    with pytest.raises(FetchForbidden) as err:
        fetch_metadata(f"{fault_proxy.url}/{published}/p/a.ome.zarr/", "0.5", policy=FAST)
    assert not err.value.definite and err.value.status == 403
    assert fault_proxy.count() == 1                       # 403 is not retried


@pytest.mark.object_store
def test_server_error_retried_then_reported(fault_proxy, published):
    url = f"{fault_proxy.url}/{published}/p/a.ome.zarr/"
    fault_proxy.fail(503, method="GET", times=2)
    assert fetch_metadata(url, "0.5", policy=FAST) == V05     # third attempt passes
    fault_proxy.clear()
    fault_proxy.reset_log()
    fault_proxy.fail(500, method="GET")
    with pytest.raises(FetchServerError) as err:
        fetch_metadata(url, "0.5", policy=FAST)
    assert not err.value.definite and fault_proxy.count() == FAST.attempts


@pytest.mark.object_store
def test_dropped_connection_retried_then_reported(fault_proxy, published):
    url = f"{fault_proxy.url}/{published}/p/a.ome.zarr/"
    fault_proxy.drop(method="GET", times=1, when="mid")
    assert fetch_metadata(url, "0.5", policy=FAST) == V05
    fault_proxy.clear()
    fault_proxy.drop(method="GET")
    with pytest.raises(FetchDropped) as err:
        fetch_metadata(url, "0.5", policy=FAST)
    assert not err.value.definite and "after 3 attempts" in str(err.value)


@pytest.mark.object_store
def test_timeout_is_not_definite_and_not_retried(fault_proxy, published):
    fault_proxy.delay(1.5, method="GET")
    t0 = time.monotonic()
    with pytest.raises(FetchTimeout) as err:
        fetch_metadata(f"{fault_proxy.url}/{published}/p/a.ome.zarr/", "0.5", policy=FAST)
    assert time.monotonic() - t0 < 1.4 and not err.value.definite


def test_unreachable_host_is_fast_and_not_definite():
    t0 = time.monotonic()
    with pytest.raises(FetchUnreachable) as err:
        fetch_metadata(f"http://127.0.0.1:{free_port()}/b/a.ome.zarr/", "0.5", policy=FAST)
    assert time.monotonic() - t0 < 2 and not err.value.definite
    probe = probe_metadata("http://no-such-host.invalid/b/a.ome.zarr/", "0.5", policy=FAST)
    assert (probe.kind, probe.definite) == ("unreachable", False)


@pytest.mark.parametrize("body", [json.dumps({"zarr_format": 3, "node_type": "array"}).encode(),
                                  json.dumps({"zarr_format": 3, "node_type": "group",
                                              "attributes": {}}).encode()])
@pytest.mark.object_store
def test_zarr_metadata_of_no_image_is_definite(fault_proxy, published, body):
    fault_proxy.respond(200, body=body, headers={"Content-Type": "application/json"},
                        method="GET", path="zarr.json")
    with pytest.raises(FetchCorrupt) as err:
        fetch_metadata(f"{fault_proxy.url}/{published}/p/a.ome.zarr/", "0.5", policy=FAST)
    assert err.value.definite


@pytest.mark.parametrize("body,content_type", [
    (b"{not json", "application/json"), (b"[1, 2]", "application/json"),
    (b'{"error": "quota"}', "application/json"),
    (b"<html><body>Service temporarily unavailable</body></html>", "text/html"),
    (json.dumps({"zarr_format": 3, "node_type": "group"}).encode(),
     "text/html; charset=utf-8")])
@pytest.mark.object_store
def test_answers_that_are_no_zarr_metadata_prove_nothing(fault_proxy, published, body,
                                                         content_type):
    # a proxy's or CDN's error page answered with 200 is no evidence about the data
    fault_proxy.respond(200, body=body, headers={"Content-Type": content_type},
                        method="GET", path="zarr.json")
    with pytest.raises(FetchUnparseable) as err:
        fetch_metadata(f"{fault_proxy.url}/{published}/p/a.ome.zarr/", "0.5", policy=FAST)
    assert not err.value.definite and err.value.kind == "unparseable"


@pytest.mark.object_store
def test_validation_can_be_turned_off(fault_proxy, published):
    fault_proxy.respond(200, json_body={"anything": 1}, method="GET", path="zarr.json")
    doc = fetch_metadata(f"{fault_proxy.url}/{published}/p/a.ome.zarr/", "0.5",
                         policy=FAST, validate=False)
    assert doc == {"anything": 1}
