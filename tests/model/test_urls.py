"""model.urls: the one judge of URLs that come from outside."""

import pytest

from omero_cli_ngff.model.urls import (
    UrlRejected,
    check_public_url,
    is_public_url,
    is_under,
    same_host,
    url_problem,
)


@pytest.mark.parametrize("url", [
    "https://storage.googleapis.com/bucket/data/1.ome.zarr/0/",
    "http://127.0.0.1:8000/a", "HTTPS://Example.ORG/x", "https://[::1]:8443/x",
    "https://cdn.example.org/zarr/a%20b/"])
def test_public_urls(url):
    assert check_public_url(url) == url and is_public_url(url) and url_problem(url) is None


@pytest.mark.parametrize("url, why", [
    ("javascript:alert(1)", "not http(s)"), ("file:///etc/passwd", "not http(s)"),
    ("gs://bucket/x", "not http(s)"), ("ftp://h/x", "not http(s)"),
    ("https://user:secret@host/x", "credentials"), ("https://@host/x", "credentials"),
    ("https:///nohost", "no valid host"), ("https://h:99999/x", "malformed"),
    ("https://h/a b", "spaces"), ("https://h/\x1b[2J", "control"),
    ("https://h/\u202egnp", "control"), ("https://h/x\n", "control"),
    ("[link=https://h/]x[/link]", "not http(s)"), ("", "not http(s)"),
    ("https://h:0/x", "port 0")])
def test_rejected_urls_say_why(url, why):
    assert why in (url_problem(url) or "")
    with pytest.raises(UrlRejected):
        check_public_url(url)


def test_same_host():
    assert same_host("http://h:80/a", "http://H/b")
    assert same_host("http://h/a", "https://h/b")             # upgraded: fine
    assert not same_host("https://h/a", "http://h/b")         # downgraded: not
    assert not same_host("http://127.0.0.1:8000/a", "http://localhost:8000/a")
    assert not same_host("http://h:8000/a", "http://h:8001/a")
    assert not same_host("http://h/a", "file:///etc/passwd")
    assert not same_host("http://h/a", "http://evil.example/a")


BASE = "https://storage.googleapis.com/bucket/data"


@pytest.mark.parametrize("url, under", [
    (f"{BASE}/0.5/1.ome.zarr/0/", True), (f"{BASE}", True), (f"{BASE}/", True),
    ("https://STORAGE.googleapis.com:443/bucket/data/x/", True),
    ("https://storage.googleapis.com/bucket/database/x/", False),   # a sibling
    (f"{BASE}/../other/x/", False), (f"{BASE}/%2e%2e/other/x/", False),
    ("http://storage.googleapis.com/bucket/data/x/", False),        # another scheme
    ("https://evil.example/bucket/data/x/", False),
    ("https://storage.googleapis.com.evil.example/bucket/data/x/", False),
    ("javascript:alert(1)", False)])
def test_is_under(url, under):
    assert is_under(url, BASE) is under
