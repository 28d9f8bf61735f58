"""The fault-injecting proxy: faithful pass-through (plain HTTP and gcsfs) and faults."""

import os
import time

import pytest
import requests

from test_infra.fake_gcs import free_port, get_object, put_object
from test_infra.fault_proxy import FaultProxy


@pytest.fixture
def obj(gcs_emulator, bucket):
    data = os.urandom(100_000)
    put_object(gcs_emulator.url, bucket, "dir/data.bin", data)
    return bucket, "dir/data.bin", data


@pytest.mark.object_store


def test_get_head_and_ranges_pass_through(fault_proxy, obj):
    bucket, name, data = obj
    url = f"{fault_proxy.url}/{bucket}/{name}"
    r = requests.get(url)
    assert r.status_code == 200 and r.content == data
    head = requests.head(url)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(data)
    part = requests.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    suffix = requests.get(url, headers={"Range": "bytes=-16"})
    assert suffix.status_code == 206 and suffix.content == data[-16:]
    missing = requests.get(f"{fault_proxy.url}/{bucket}/nope")
    assert missing.status_code == 404
    assert fault_proxy.count("GET") == 4 and fault_proxy.count("HEAD") == 1
    assert fault_proxy.count(path="nope") == 1


@pytest.mark.object_store


def test_chunked_request_body_and_query_strings(fault_proxy, gcs_emulator, bucket):
    def body():                       # a generator makes requests send it chunked
        yield b"hello "
        yield b"world"
    r = requests.post(f"{fault_proxy.url}/upload/storage/v1/b/{bucket}/o",
                      params={"uploadType": "media", "name": "a b/c.txt"}, data=body())
    assert r.status_code == 200, r.text
    assert get_object(gcs_emulator.url, bucket, "a b/c.txt") == b"hello world"
    assert fault_proxy.log[-1].path.startswith("/upload/storage/v1/b/")
    assert "uploadType=media" in fault_proxy.log[-1].path


@pytest.mark.object_store


def test_gcsfs_through_the_proxy_including_resumable_uploads(fault_proxy, gcs_emulator,
                                                             bucket):
    from gcsfs.core import GCSFileSystem
    fs = GCSFileSystem(token="anon", endpoint_url=fault_proxy.url, skip_instance_cache=True)
    fs.pipe(f"{bucket}/small", b"x" * 10)
    big = os.urandom(700_000)
    with fs.open(f"{bucket}/big", "wb", block_size=2 ** 18) as f:   # 256 KiB blocks
        for i in range(0, len(big), 50_000):
            f.write(big[i:i + 50_000])
    assert get_object(gcs_emulator.url, bucket, "big") == big
    assert fs.cat(f"{bucket}/big") == big
    assert fs.cat_file(f"{bucket}/big", start=5, end=9) == big[5:9]
    assert sorted(fs.ls(bucket)) == [f"{bucket}/big", f"{bucket}/small"]
    # the resumable session's follow-up requests came through the proxy as well
    assert fault_proxy.count("POST", r"uploadType=resumable.*upload_id=") >= 2


@pytest.mark.object_store


def test_fail_next_n_then_pass(fault_proxy, obj):
    bucket, name, data = obj
    url = f"{fault_proxy.url}/{bucket}/{name}"
    rule = fault_proxy.fail(503, method="GET", path=r"data\.bin", times=2)
    assert [requests.get(url).status_code for _ in range(3)] == [503, 503, 200]
    assert rule.applied == 2
    body = fault_proxy.log[0]
    assert (body.status, body.action) == (503, "respond")
    assert fault_proxy.count(action="respond") == 2 and fault_proxy.count(action="pass") == 1


@pytest.mark.object_store


def test_fault_body_is_gcs_style_json(fault_proxy, obj):
    bucket, name, _ = obj
    fault_proxy.fail(403, path=name)
    r = requests.get(f"{fault_proxy.url}/{bucket}/{name}")
    assert r.status_code == 403 and r.json()["error"]["code"] == 403


@pytest.mark.object_store


def test_method_filter_skip_and_always(fault_proxy, obj):
    bucket, name, _ = obj
    url = f"{fault_proxy.url}/{bucket}/{name}"
    fault_proxy.fail(500, method="POST|DELETE")
    assert requests.get(url).status_code == 200
    assert requests.delete(f"{fault_proxy.url}/storage/v1/b/{bucket}/o/x").status_code == 500
    fault_proxy.clear()
    fault_proxy.fail(404, method="GET", skip=1, times=1)
    assert [requests.get(url).status_code for _ in range(3)] == [200, 404, 200]


@pytest.mark.object_store


def test_respond_canned(fault_proxy, bucket):
    fault_proxy.respond(200, json_body={"name": bucket, "cors": []}, method="GET",
                        path=rf"^/storage/v1/b/{bucket}$")
    assert requests.get(f"{fault_proxy.url}/storage/v1/b/{bucket}").json()["cors"] == []
    assert "cors" not in requests.get(f"{fault_proxy.url}/storage/v1/b/{bucket}/o").json()


@pytest.mark.object_store


def test_delay(fault_proxy, obj):
    bucket, name, data = obj
    fault_proxy.delay(0.6, path=name, times=1)
    t0 = time.monotonic()
    r = requests.get(f"{fault_proxy.url}/{bucket}/{name}")
    assert time.monotonic() - t0 >= 0.6 and r.content == data
    assert fault_proxy.count(action="delay") == 1 and fault_proxy.count() == 1
    with pytest.raises(requests.exceptions.ReadTimeout):
        fault_proxy.delay(2.0, path=name, times=1)
        requests.get(f"{fault_proxy.url}/{bucket}/{name}", timeout=0.5)


@pytest.mark.object_store


def test_drop_before_answer(fault_proxy, obj):
    bucket, name, data = obj
    fault_proxy.drop(path=name, times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{fault_proxy.url}/{bucket}/{name}")
    assert requests.get(f"{fault_proxy.url}/{bucket}/{name}").content == data
    assert fault_proxy.count(action="drop") == 1


@pytest.mark.object_store


def test_drop_mid_body(fault_proxy, obj):
    bucket, name, _ = obj
    fault_proxy.drop(path=name, times=1, when="mid")
    with pytest.raises((requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ConnectionError)):
        requests.get(f"{fault_proxy.url}/{bucket}/{name}")


def test_unreachable_upstream_is_502():
    with FaultProxy(f"http://127.0.0.1:{free_port()}") as proxy:
        r = requests.get(f"{proxy.url}/anything")
        assert r.status_code == 502 and proxy.count(action="error") == 1


@pytest.mark.object_store


def test_stopped_proxy_refuses_connections(gcs_emulator):
    proxy = FaultProxy(gcs_emulator.url).start()
    url = proxy.url
    proxy.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/storage/v1/b", timeout=2)
