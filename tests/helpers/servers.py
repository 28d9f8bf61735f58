"""Dev servers of small catalogues written in a test (YAML text)."""

from __future__ import annotations

import textwrap

from test_infra.omero_fixtures import start_devserver


def devserver_of(tmp_path_factory, name: str, catalogue: str | None = None, **kwargs):
    """A dev server (stop it with ``.stop()``) of the catalogue text (None: the demo
    catalogue), with ``start_devserver``'s keyword arguments."""
    folder = tmp_path_factory.mktemp(name)
    spec = None
    if catalogue is not None:
        spec = folder / f"{name}.yaml"
        spec.write_text(textwrap.dedent(catalogue))
    return start_devserver(folder / "state", catalogue=spec, **kwargs)
