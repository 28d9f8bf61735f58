"""Tests that start or use a server say so with a marker, so that
`pytest -m "not devserver and not object_store"` is the quick run without servers:

- ``devserver``: the OMERO dev server (fixtures ``omero_server``, ``start_omero_devserver``
  and those built on them, or ``start_devserver`` called directly);
- ``object_store``: fake-gcs-server (``gcs_emulator`` and those built on it, or
  ``FakeGcs.start``).

A test without the marker fails at setup when it requests such a fixture, and fails
when it starts such a server itself, in a fixture of any scope (the starters call
`forbidden`, which knows the markers of the test being set up or run).
"""

from __future__ import annotations

import os

import pytest

GUARDS = {
    "devserver": {"omero_server", "start_omero_devserver", "omero_rois_server"},
    "object_store": {"gcs_emulator", "restartable_gcs"},
}
ENV = "OMERO_NGFF_TEST_MARKERS"       # the running test's markers, for its subprocesses


def forbidden(marker: str) -> None:
    """Called by a server's starter: fail when the running test lacks `marker`."""
    marks = os.environ.get(ENV)
    if marks is not None and marker not in marks.split(","):
        raise RuntimeError(f"this test starts a server without pytest.mark.{marker}")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    marks = {m.name for m in item.iter_markers()}
    os.environ[ENV] = ",".join(sorted(marks & set(GUARDS)))
    used = set(item.fixturenames)
    for marker, fixtures in GUARDS.items():
        if marker not in marks and used & fixtures:
            pytest.fail(f"{item.nodeid} uses {', '.join(sorted(used & fixtures))} "
                        f"without pytest.mark.{marker}", pytrace=False)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    os.environ.pop(ENV, None)
