"""Which bioformats2raw a job ran, from the record its entrypoint leaves in the output,
and whether that version can write what the job asked for.

The record is ``bioformats2raw --version`` as printed (Converter.call(), 0.12):

    Version = 0.12.1
    Bio-Formats version = 8.3.0
    NGFF specification version = 0.4

(the last line is the default of a run without --ngff-version, not a capability).
"""

from __future__ import annotations

import re

__all__ = ["VERSION_RECORD", "MIN_VERSION", "parse_record", "version_tuple",
           "refusal_reason"]

# written by containers/bioformats2raw/entrypoint.sh at the root of the job's output
VERSION_RECORD = "bioformats2raw.version"

# The job's command always passes --ngff-version and, for 0.5, --shard-*: options (and
# Zarr v3 output) that bioformats2raw has from 0.12.0. NGFF 0.4 output as such exists
# since 0.5.0, but the option that asks for it does not.
MIN_VERSION = {"0.4": (0, 12, 0), "0.5": (0, 12, 0)}

_VERSION_LINE = re.compile(r"^\s*Version\s*=\s*(\S+)\s*$", re.MULTILINE)
_NUMBERS = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_record(text: str) -> str | None:
    """The version bioformats2raw reported ("0.12.1", "development"...), or None when
    the text has no ``Version = ...`` line."""
    m = _VERSION_LINE.search(text or "")
    return m.group(1) if m else None


def version_tuple(version: str) -> tuple[int, int, int] | None:
    m = _NUMBERS.match(version or "")
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def _dotted(numbers: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in numbers)


def refusal_reason(record: str | None, ngff_version: str) -> str | None:
    """Why output converted by the recorded bioformats2raw cannot be published as
    ``ngff_version`` (None when it can). ``record`` None: no record was left."""
    needed = MIN_VERSION.get(ngff_version)
    if needed is None:
        return f"NGFF {ngff_version} is not written by bioformats2raw"
    if record is None:
        return ("left no bioformats2raw version record: it does not run the wrapper of "
                "containers/bioformats2raw")
    version = parse_record(record)
    if version is None:
        return "left a version record without a 'Version = ...' line"
    numbers = version_tuple(version)
    if numbers is None:
        return (f"runs bioformats2raw {version!r}, which does not say whether it writes "
                f"NGFF {ngff_version} ({_dotted(needed)} or later needed)")
    if numbers < needed:
        return (f"runs bioformats2raw {version}, which cannot write NGFF {ngff_version} "
                f"with this job's options ({_dotted(needed)} or later needed)")
    return None
