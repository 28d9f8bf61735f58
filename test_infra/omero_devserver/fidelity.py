"""Named switches between the real server's strict behaviour and an older, lenient one.

The dev server behaves as OMERO 5.6 does. Where that strictness breaks a plugin test
because the plugin does not cope yet, the behaviour is listed here as *lenient by
default*; ``--strict NAME`` (or ``--lenient NAME``) on the command line overrides the
default. When the plugin copes, move the name to ``STRICT_BY_DEFAULT``.

resolution-levels
    strict (the default since the plugin copes, 2026-11-30): ``RawPixelsStore.
    setResolutionLevel`` raises ``omero.InternalException`` for pixels served by ROMIO
    (no original file, no pyramid), even for level 0, as the real
    ``RomioPixelBuffer.setResolutionLevel`` does. lenient: level 0 is accepted (for
    clients that call it on single-level images). The plugin calls it only when
    ``getResolutionLevels() > 1`` and does not retry it.
"""

from __future__ import annotations

from typing import FrozenSet, Iterable, Optional

STRICT_BY_DEFAULT: FrozenSet[str] = frozenset({"resolution-levels"})
LENIENT_BY_DEFAULT: FrozenSet[str] = frozenset()
NAMES = tuple(sorted(STRICT_BY_DEFAULT | LENIENT_BY_DEFAULT))


def lenient_set(strict: Optional[Iterable[str]] = None,
                lenient: Optional[Iterable[str]] = None) -> FrozenSet[str]:
    """The behaviours to run leniently: the defaults, then the overrides."""
    chosen = set(LENIENT_BY_DEFAULT)
    for name in list(strict or ()) + list(lenient or ()):
        if name not in NAMES:
            raise ValueError("unknown behaviour %r (known: %s)" % (name, ", ".join(NAMES)))
    chosen -= set(strict or ())
    chosen |= set(lenient or ())
    return frozenset(chosen)
