"""The browser tests' set-up: a missing browser fails the run under CI=true."""

import pytest

from test_infra.browser import browser_or_fail, find_browser


def test_missing_browser_fails_under_ci(monkeypatch):
    monkeypatch.setenv("OMERO_NGFF_BROWSER", "no-such-browser-anywhere")
    monkeypatch.setenv("CI", "true")
    assert find_browser() is None
    with pytest.raises(pytest.fail.Exception, match="no headless Chromium"):
        browser_or_fail()


def test_missing_browser_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("OMERO_NGFF_BROWSER", "no-such-browser-anywhere")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        browser_or_fail()
