"""Links that open a published OME-Zarr copy in a web viewer."""

from __future__ import annotations

import json
from urllib.parse import quote

from .ngff_versions import find

VIZARR = "https://hms-dbmi.github.io/vizarr/"
VALIDATOR = "https://ome.github.io/ome-ngff-validator/"
NEUROGLANCER = "https://neuroglancer-demo.appspot.com/"
VIEWERS = ("vizarr", "validator", "neuroglancer")

# Characters left as they are in a query value: the URL stays readable, while '&', '#',
# '?', spaces and the like are escaped so that the viewer gets the whole source URL.
_SAFE = ":/@!$'()*+,;=~"


def _query_link(base: str, url: str) -> str:
    return f"{base}?source={quote(url, safe=_SAFE)}"


def neuroglancer_source(url: str, ngff_version: str | None) -> str:
    """Neuroglancer's data source: zarr3:// for NGFF 0.5 (Zarr v3), zarr2:// for 0.4."""
    version = find(ngff_version)
    scheme = version.neuroglancer_scheme if version else "zarr"
    return f"{scheme}://{url.rstrip('/')}"


def neuroglancer_link(url: str, ngff_version: str | None, name: str = "") -> str:
    state = {
        "layers": [{"type": "image", "source": neuroglancer_source(url, ngff_version),
                    "name": name or url.rstrip("/").rsplit("/", 1)[-1]}],
        "layout": "4panel",
    }
    text = json.dumps(state, separators=(",", ":"))
    return f"{NEUROGLANCER}#!{quote(text, safe='')}"


def link(viewer: str, url: str, ngff_version: str | None = None, name: str = "") -> str:
    """A ready link opening `url` (a multiscales group) in `viewer`."""
    if viewer == "vizarr":
        return _query_link(VIZARR, url)
    if viewer == "validator":
        return _query_link(VALIDATOR, url)
    if viewer == "neuroglancer":
        return neuroglancer_link(url, ngff_version, name)
    raise ValueError(f"unknown viewer {viewer!r}: use one of {', '.join(VIEWERS)}")
