"""Which published copies are ours: a copy whose URL lies outside the public URL of the
destination given (`--dest`, `--public-url`) and of the configured default destination
(`omero.client.ngff.dest`) is *foreign*: written by another user or tool, or pointing
anywhere its author chose. locate and verify label it in every output, and never offer
it as a viewer link without that label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..checks.annotation import URL_SHOWN
from ..checks.problems import WARNING, Problem
from ..errors import UsageError, shorten
from ..model.annotation import DEFAULT_NAMESPACE
from ..model.urls import is_under
from ..storage import Destination, DestinationError, parse_destination
from .publish_settings import resolve_settings

FOREIGN = "foreign-url"


@dataclass(frozen=True)
class Home:
    """The public URLs under which copies are ours (none known: nothing is judged)."""

    bases: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return bool(self.bases)

    def is_foreign(self, url: str) -> bool:
        return self.known and not any(is_under(url, base) for base in self.bases)

    def problem(self, url: str, annotation_id: int | None = None) -> Problem | None:
        """A warning when `url` is foreign, else None."""
        if not self.is_foreign(url):
            return None
        return Problem(FOREIGN, f"foreign copy: {shorten(url, URL_SHOWN)} is outside "
                       f"{' and '.join(self.bases)}", WARNING, annotation_id=annotation_id,
                       url=url)


def given_destination(dest: str | None, public_url: str | None) -> Destination | None:
    """The destination named on the command line (a usage error when malformed: parsed
    before any login)."""
    return parse_destination(dest, public_url) if dest else None


def find_home(conn: Callable[[], Any], given: Destination | None) -> Home:
    """The public URLs of `given` and of the configured default destination (read from
    OMERO's client configuration, then the local one; one that cannot be parsed or has
    no public URL counts for nothing)."""
    bases = [given.public_base] if given is not None and given.public_base else []
    try:
        settings = resolve_settings(conn, None, None, DEFAULT_NAMESPACE)
        configured = parse_destination(settings.dest, settings.public_url).public_base
    except (UsageError, DestinationError):    # nothing configured, or not usable
        configured = None
    if configured and configured not in bases:
        bases.append(configured)
    return Home(tuple(bases))
