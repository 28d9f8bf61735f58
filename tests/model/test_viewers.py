"""Viewer links printed by `locate --viewer`."""

import json
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from omero_cli_ngff.model import viewers

URL = "https://storage.googleapis.com/bucket/data/0.5/123.ome.zarr/"


@pytest.mark.parametrize("viewer, base", [
    ("vizarr", "https://hms-dbmi.github.io/vizarr/"),
    ("validator", "https://ome.github.io/ome-ngff-validator/"),
])
def test_query_viewers_get_the_whole_url_as_source(viewer, base):
    link = viewers.link(viewer, URL, "0.5")
    assert link == f"{base}?source={URL}"         # readable: nothing needed escaping
    odd = "https://host/a b/x&y=1#z.zarr/"
    assert parse_qs(urlsplit(viewers.link(viewer, odd)).query)["source"] == [odd]


@pytest.mark.parametrize("version, scheme", [("0.5", "zarr3://"), ("0.4", "zarr2://"),
                                             (None, "zarr://")])
def test_neuroglancer_link_holds_a_layer_with_a_zarr_source(version, scheme):
    link = viewers.link("neuroglancer", URL, version, name="slide.ndpi")
    base, _, fragment = link.partition("#!")
    assert base == "https://neuroglancer-demo.appspot.com/"
    assert " " not in link and '"' not in link
    state = json.loads(unquote(fragment))
    [layer] = state["layers"]
    assert layer == {"type": "image", "source": scheme + URL.rstrip("/"),
                     "name": "slide.ndpi"}


def test_unknown_viewer_is_refused():
    with pytest.raises(ValueError):
        viewers.link("napari", URL)


def test_reverse_lookup_variants_of_a_url(monkeypatch):
    from omero_cli_ngff.workflows.locate import url_variants
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    assert url_variants("https://h/x.zarr/0") == ["https://h/x.zarr/0/", "https://h/x.zarr/0"]
    assert url_variants(" https://h/x.zarr/0/ ") == ["https://h/x.zarr/0/", "https://h/x.zarr/0"]
    assert url_variants("gs://bucket/data/1.ome.zarr/0/")[2:] == [
        "https://storage.googleapis.com/bucket/data/1.ome.zarr/0/",
        "https://storage.googleapis.com/bucket/data/1.ome.zarr/0"]
