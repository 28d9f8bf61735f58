"""Fixtures of the remote tests: a gs:// destination in the emulator and an engine
against the Batch stub."""

import pytest

from omero_cli_ngff.storage import parse_destination
from tests.remote.engine_helpers import make_engine


@pytest.fixture
def dest(gcs_emulator, bucket):
    return parse_destination(f"gs://{bucket}/data/0.5")


@pytest.fixture
def engine(batch_stub, dest):
    return make_engine(batch_stub, dest)
