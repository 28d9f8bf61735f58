"""The one judge of URLs that come from outside (annotations, the command line, the
configuration, redirects): which are public http(s) URLs the tool may fetch or link,
and whether one lies under another (a copy under its destination's public URL).

Pure functions over strings: no I/O. Storage, the checks of annotations, the renderer
and the commands all ask here, so that "a URL we accept" means one thing everywhere.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
# C0 and C1 control characters, DEL, and the Unicode formatting characters that reorder
# or hide text (bidirectional overrides and isolates, zero-width characters)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# a host name or IPv4 address, or an IPv6 address (urlsplit's hostname drops its [])
_HOST = re.compile(r"^([0-9A-Fa-f:.]+|[A-Za-z0-9._~%!$&'()*+,;=-]+)$")


class UrlRejected(ValueError):
    """Not a URL the tool may fetch or link; the message says why, as a predicate of
    "the URL" ("is not http(s) (scheme 'file')", "has credentials in it")."""


@dataclass(frozen=True)
class Origin:
    """Scheme, host (lower case) and port (the scheme's default when none is written)."""

    scheme: str
    host: str
    port: int


def has_control(text: str) -> bool:
    """Does `text` hold control or text-reordering characters?"""
    return CONTROL.search(text) is not None


def _split(text: str) -> SplitResult:
    if has_control(text) or any(c.isspace() for c in text):
        raise UrlRejected("holds spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port        # raises ValueError for a port that is not a number
    except ValueError:
        raise UrlRejected("is malformed") from None
    if parts.scheme.lower() not in SCHEMES:
        raise UrlRejected(f"is not http(s) (scheme {parts.scheme or 'none'!r})")
    if not parts.hostname or not _HOST.match(parts.hostname):
        raise UrlRejected("has no valid host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UrlRejected("has credentials in it")
    if port == 0:
        raise UrlRejected("has port 0")
    return parts


def check_public_url(text: str) -> str:
    """`text` itself when it is a public http(s) URL: a host, no credentials, no spaces
    or control characters; raises UrlRejected otherwise."""
    _split(text)
    return text


def url_problem(text: str) -> str | None:
    """Why `text` is not a public http(s) URL, or None when it is one."""
    try:
        _split(text)
    except UrlRejected as err:
        return str(err)
    return None


def is_public_url(text: str) -> bool:
    return url_problem(text) is None


def origin(text: str) -> Origin:
    """The origin of a public http(s) URL (raises UrlRejected for any other)."""
    parts = _split(text)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    return Origin(scheme, host, parts.port or DEFAULT_PORTS[scheme])


def same_host(a: str, b: str) -> bool:
    """Do two public URLs name the same host and port? (http -> https on the same host
    counts as the same; https -> http does not: it would drop the encryption.)"""
    try:
        first, second = origin(a), origin(b)
    except UrlRejected:
        return False
    if first.host != second.host:
        return False
    if first.scheme == second.scheme:
        return first.port == second.port
    return first.scheme == "http" and second.scheme == "https" and \
        second.port == DEFAULT_PORTS["https"] and first.port == DEFAULT_PORTS["http"]


def _clean_path(path: str) -> str:
    """A URL path decoded, with '.' and '..' segments resolved, ending without '/'."""
    decoded = unquote(path or "/")
    resolved = posixpath.normpath("/" + decoded.lstrip("/"))
    return resolved.rstrip("/")


def is_under(url: str, base: str) -> bool:
    """Does the public URL `url` lie at or under `base` (same scheme, host and port, and
    a path below base's path, segment by segment, after '..' is resolved)?"""
    try:
        u, b = _split(url), _split(base)
        if origin(url) != origin(base):
            return False
    except UrlRejected:
        return False
    path, root = _clean_path(u.path), _clean_path(b.path)
    return path == root or path.startswith(root + "/") or root == ""
