"""Text that reaches a terminal, a script or a log: control characters made visible and
secrets removed. Every value from OMERO, an annotation or a bucket is data, never a
command to the terminal.

- `visible`: control characters (ESC, NUL, newlines, tabs, bidirectional overrides...)
  become escapes one can read (``\\x1b``, ``\\n``, ``\\u202e``), so that a name can
  neither move the cursor, clear the screen, open a hyperlink (OSC 8) nor break a row.
- `scrub`: the secrets of this run (session key, password, key given with -k), tokens
  that look like OAuth bearer tokens, and, in the text of exceptions, UUIDs (OMERO and
  Ice name sessions and clients by them) are replaced by ``***``.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import UUID
from ..model.urls import CONTROL

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# A secret shorter than this is not scrubbed: it would garble ordinary words (the dev
# server's root password is "omero"), and is no secret worth the name.
MIN_SECRET = 6
MASK = "***"
TOKENS = re.compile(r"\bya29\.[0-9A-Za-z_.\-]+|(?<=Bearer )[0-9A-Za-z_.\-~+/]+=*")

_secrets: set[str] = set()


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: object, keep: str = "") -> str:
    """`value` as text whose control characters are shown as escapes (those in `keep`
    stay as they are)."""
    text = "" if value is None else str(value)
    if not keep:
        return CONTROL.sub(_escape, text)
    return CONTROL.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def register_secret(*values: object) -> None:
    """Values never to print (the session key once logged in, the password given)."""
    for value in values:
        if isinstance(value, str) and len(value.strip()) >= MIN_SECRET:
            _secrets.add(value.strip())


def forget_secrets() -> None:
    _secrets.clear()


def scrub(text: str, uuids: bool = False) -> str:
    """`text` without this run's secrets and bearer tokens; with `uuids`, without any
    UUID either (for the text of exceptions)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = TOKENS.sub(MASK, text)
    return UUID.sub(MASK, text) if uuids else text


def clean(value: object, keep: str = "") -> str:
    """Scrubbed and visible: what every line for people and logs goes through."""
    return visible(scrub("" if value is None else str(value)), keep)


def scrub_data(value: Any) -> Any:
    """A JSON-able value (dicts, lists, strings, numbers) with every string scrubbed
    (the JSON encoder then escapes control characters itself)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub(str(k)): scrub_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub(str(value))
