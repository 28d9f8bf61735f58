"""Every fetch of a URL that came from outside is bounded (storage/http.py and the zarr
store over HTTP in storage/published.py): http(s) only, redirects only to the same
host, a cap on the body, a deadline for the whole answer. Against a hostile HTTP
server on this machine (test_infra/hostile_http.py), no object store needed."""

from __future__ import annotations

import time

import pytest
import zarr

from omero_cli_ngff.storage import (
    FetchRefused,
    FetchTimeout,
    FetchTooLarge,
    HttpPolicy,
    fetch_metadata,
    probe_metadata,
    request_with_retries,
)
from omero_cli_ngff.storage.http import MAX_REDIRECTS, METADATA_MAX_BYTES
from omero_cli_ngff.storage.published import http_zarr_store, max_bytes_for
from test_infra.hostile_http import OK_GROUP, HostileHttp

FAST = HttpPolicy(attempts=2, backoff=0.01, connect_timeout=1.0, read_timeout=2.0,
                  total_timeout=1.5)


@pytest.fixture(scope="module")
def hostile():
    with HostileHttp(size=64 * 1024 * 1024, trickle_seconds=0.1) as server:
        yield server


def test_a_same_host_redirect_is_followed(hostile):
    assert fetch_metadata(f"{hostile.url}/redirect-same/", "0.5", policy=FAST) == OK_GROUP


@pytest.mark.parametrize("route", ["redirect-away", "redirect-scheme"])
def test_a_redirect_elsewhere_is_refused_and_never_visited(hostile, route):
    before = len(hostile.visited("/visited"))
    with pytest.raises(FetchRefused) as err:
        fetch_metadata(f"{hostile.url}/{route}/img/", "0.5", policy=FAST)
    assert "redirected to another place" in str(err.value)
    assert "not followed" in str(err.value)
    assert len(hostile.visited("/visited")) == before
    assert err.value.kind == "refused" and not err.value.definite
    probe = probe_metadata(f"{hostile.url}/{route}/img/", "0.5", policy=FAST)
    assert (probe.ok, probe.kind) == (False, "refused")


def test_endless_redirects_stop(hostile):
    before = len(hostile.visited("/redirect-loop"))
    with pytest.raises(FetchRefused) as err:
        request_with_retries("GET", f"{hostile.url}/redirect-loop/x", policy=FAST)
    assert f"more than {MAX_REDIRECTS} redirects" in str(err.value)
    assert len(hostile.visited("/redirect-loop")) - before == MAX_REDIRECTS + 1


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)",
                                 "ftp://example.org/x", "https://user:pw@example.org/x",
                                 "http://example.org/a b", "http://exa\x1bmple.org/",
                                 "gs://bucket/x"])
def test_other_schemes_and_credentials_are_never_fetched(url):
    with pytest.raises(FetchRefused) as err:
        request_with_retries("GET", url, policy=FAST)
    assert "not fetched" in str(err.value)


@pytest.mark.parametrize("route", ["huge", "huge-chunked"])
def test_a_huge_metadata_answer_is_not_read(hostile, route):
    started = time.monotonic()
    with pytest.raises(FetchTooLarge) as err:
        fetch_metadata(f"{hostile.url}/{route}/", "0.5", policy=FAST)
    assert str(METADATA_MAX_BYTES) in str(err.value)
    assert time.monotonic() - started < 10


def test_a_trickling_answer_meets_the_deadline(hostile):
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as err:
        request_with_retries("GET", f"{hostile.url}/trickle/", policy=FAST, max_bytes=10**6)
    assert "took more than" in str(err.value)
    assert time.monotonic() - started < FAST.total_timeout + 3


def test_zarr_over_http_refuses_redirects_elsewhere(hostile):
    before = len(hostile.visited("/visited"))
    with pytest.raises(Exception) as err:
        zarr.open_group(http_zarr_store(f"{hostile.url}/redirect-away/img/"), mode="r",
                        zarr_format=3)
    assert "not followed" in repr(err.value) or "RedirectRefused" in repr(err.value)
    assert len(hostile.visited("/visited")) == before


def test_zarr_over_http_reads_a_huge_answer_no_further_than_its_cap(hostile):
    with pytest.raises(Exception) as err:
        zarr.open_group(http_zarr_store(f"{hostile.url}/huge-chunked/img/"), mode="r",
                        zarr_format=3)
    assert "read for it" in repr(err.value) or "ResponseTooLarge" in repr(err.value)


@pytest.mark.parametrize("url", ["file:///etc/", "memory://x/", "javascript:alert(1)/",
                                 "https://u:p@example.org/x/"])
def test_zarr_over_http_is_http_only(url):
    with pytest.raises(FetchRefused):
        http_zarr_store(url)


def test_caps_by_what_a_url_names():
    assert max_bytes_for("https://h/a/zarr.json") == METADATA_MAX_BYTES
    assert max_bytes_for("https://h/a/.zattrs") == METADATA_MAX_BYTES
    assert max_bytes_for("https://h/a/OME/METADATA.ome.xml") > METADATA_MAX_BYTES
    assert max_bytes_for("https://h/a/0/c/0/0/0") > METADATA_MAX_BYTES


def test_zarr_over_http_keeps_one_filesystem_however_many_copies_are_read(hostile):
    """Memory stays bounded over a screen's fields: each store used to be a filesystem
    of its own, kept forever in fsspec's instance cache with an open session."""
    from fsspec.implementations.http import HTTPFileSystem

    first = http_zarr_store(f"{hostile.url}/ok/a/")
    cached = len(HTTPFileSystem._cache)
    stores = [http_zarr_store(f"{hostile.url}/ok/{i}/", "0") for i in range(50)]
    assert {id(s.fs) for s in stores} == {id(first.fs)}
    assert len(HTTPFileSystem._cache) == cached
    group = zarr.open_group(http_zarr_store(f"{hostile.url}/ok/b/"), mode="r", zarr_format=3)
    assert dict(group.attrs) == OK_GROUP["attributes"]
