"""The guard of the markers: a test that uses or starts a server without its marker
fails, so that `pytest -m "not devserver and not object_store"` never starts one."""

from __future__ import annotations

import pytest

from test_infra import server_markers

pytest_plugins = ["pytester"]

INNER = '''
import pytest
from test_infra.omero_fixtures import start_devserver

def test_uses_the_fixture_unmarked(start_omero_devserver):
    pass

def test_starts_a_server_itself_unmarked(tmp_path):
    start_devserver(tmp_path / "s")

def test_needs_no_server():
    pass
'''


def test_unmarked_tests_using_or_starting_a_server_fail(pytester):
    pytester.makeconftest('pytest_plugins = ["test_infra.server_markers", '
                          '"test_infra.omero_fixtures"]\n')
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    text = result.stdout.str()
    assert "uses start_omero_devserver without pytest.mark.devserver" in text
    assert "starts a server without pytest.mark.devserver" in text


def test_forbidden_reads_the_running_tests_markers(monkeypatch):
    monkeypatch.setenv(server_markers.ENV, "object_store")
    with pytest.raises(RuntimeError, match="without pytest.mark.devserver"):
        server_markers.forbidden("devserver")
    server_markers.forbidden("object_store")          # marked: allowed
    monkeypatch.delenv(server_markers.ENV)
    server_markers.forbidden("devserver")             # outside tests (the demo): allowed
