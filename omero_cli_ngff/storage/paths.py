"""Relative paths under a destination: '/'-separated, never leaving it."""

from __future__ import annotations

import urllib.parse

from .errors import InvalidDestination

__all__ = ["clean_rel", "join_parts", "quote_path"]


def clean_rel(relpath: object) -> str:
    """A relative path under the destination: '/'-separated, no '.', no '..'."""
    rel = str(relpath or "").replace("\\", "/")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidDestination(f"path {relpath!r} leaves the destination")
    return "/".join(parts)


def join_parts(*parts: str | None) -> str:
    """The non-empty parts joined by single '/'."""
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def quote_path(path: str) -> str:
    """A path quoted for a URL ('/' kept)."""
    return urllib.parse.quote(path, safe="/-._~")
