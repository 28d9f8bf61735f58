"""Sizes as people write them: '1GiB', '512M', '1000000'."""

from __future__ import annotations

import re

from ..errors import UsageError

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


def parse_bytes(text: str) -> int:
    """'1GiB', '512M', '1000000' -> bytes; a UsageError otherwise."""
    match = _SIZE.match(str(text))
    if not match:
        raise UsageError(f"'{text}' is not a size: write e.g. 512MiB or 2GiB")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
