"""Pytest fixtures for the Google Batch REST stub.

- ``batch_stub`` (function): a running `BatchStub` whose success hook writes
  bioformats2raw-layout output into the session's object-store emulator. Attributes:
  ``endpoint``, ``client()``, ``jobs``, ``created``, ``requests``, ``auto_advance``,
  ``outcome``, ``series``/``series_for``, ``set_state()``, ``run()``, ``succeed()``,
  ``fail()``, ``advance()``.
"""

from __future__ import annotations

import pytest

from test_infra.batch_stub import BatchStub


@pytest.fixture
def batch_stub(gcs_emulator):
    stub = BatchStub(gcs_endpoint=gcs_emulator.url).start()
    try:
        yield stub
    finally:
        stub.stop()
