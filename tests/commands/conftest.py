"""Fixtures of the command tests: the ownership tests share one dev server."""

import pytest

from test_infra.omero_fixtures import start_devserver
from tests.helpers.ownership import CATALOGUE


@pytest.fixture(scope="session")
def ownership_server(tmp_path_factory):
    """A dev server of tests/catalogues/ownership.yaml, shared by the ownership tests
    (each uses a bucket and a namespace of its own)."""
    server = start_devserver(tmp_path_factory.mktemp("ownership-devserver"), CATALOGUE)
    try:
        yield server
    finally:
        server.stop()
