"""The URL checks of annotations ask model.urls: only public http(s) URLs are used."""

import pytest

from omero_cli_ngff.checks.annotation import parse_copy
from omero_cli_ngff.model.annotation import PublishedCopy


def copy_with(url: str) -> PublishedCopy:
    return PublishedCopy(1, 2, 3, 4, 5, True, [("zarr_path", url), ("ngff_version", "0.5"),
                                               ("zarr_conversion_date", "2024-05-01")])


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd",
                                 "https://user:pw@h.example/x/", "https://h.example/\x1b[2J/",
                                 "[link=https://h.example/]x[/link]", "gs://bucket/x/",
                                 "https://h.example/a\tb/", "https://h.example/a\nb/"])
def test_unusable_urls_are_never_used(url):
    parsed = parse_copy(copy_with(url))
    assert parsed.url is None and not parsed.usable
    assert [p.code for p in parsed.problems] == ["bad-url"]


def test_a_raw_space_is_encoded_not_a_separator():
    parsed = parse_copy(copy_with("https://h.example/my data/1.ome.zarr/0/ https://evil/"))
    assert parsed.url == "https://h.example/my%20data/1.ome.zarr/0/%20https://evil/"
    assert " " not in parsed.url


def test_a_long_url_is_quoted_short_in_messages():
    parsed = parse_copy(copy_with("javascript:" + "a" * 10_000))
    assert all(len(p.message) < 400 for p in parsed.problems)
