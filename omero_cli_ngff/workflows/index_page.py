"""The index page: one static HTML file (its script inline) that works straight from a
bucket. It loads ``index.json`` beside it, or, when rendered with entries (`locate
--style html`), shows those and fetches nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from ..model.index_entry import IndexEntry

__all__ = ["render_page"]


@lru_cache(maxsize=2)
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _inline_json(entries: Iterable[IndexEntry]) -> str:
    """Entries as JSON that cannot end the <script> element holding it."""
    text = json.dumps([e.to_json() for e in entries], sort_keys=True,
                      separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(entries: Iterable[IndexEntry] | None = None) -> str:
    """The page: loading index.json beside it, or showing ``entries`` (inline)."""
    page = _asset("index_page.html")
    script = _asset("index_page.js")
    data = "null" if entries is None else _inline_json(entries)
    return page.replace("__SCRIPT__", script).replace("__ENTRIES__", data)
