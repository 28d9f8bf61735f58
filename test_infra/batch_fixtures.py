"""Pytest fixtures for the Google Batch REST stub.

- ``batch_stub`` (function): a running `BatchStub` whose jobs write bioformats2raw-layout
  output into the session's object-store emulator. Attributes: ``endpoint``,
  ``client()``, ``jobs``, ``created``, ``requests``, ``images``, ``auto_advance``,
  ``outcome``, ``series``/``series_for``, ``plate``/``plates_for``, ``set_state()``,
  ``run()``, ``complete()``/``succeed()``, ``fail()``, ``advance()``.
  The image is configured once, as a deployment would: ``OMERO_NGFF_BATCH_IMAGE`` names
  the stub's existing image (`TEST_IMAGE`), built from the recipe.
"""

from __future__ import annotations

import pytest

from omero_cli_ngff.remote import IMAGE_ENV
from test_infra.batch_runner import TEST_IMAGE
from test_infra.batch_stub import BatchStub


@pytest.fixture
def batch_stub(gcs_emulator, monkeypatch):
    monkeypatch.setenv(IMAGE_ENV, TEST_IMAGE)
    stub = BatchStub(gcs_endpoint=gcs_emulator.url).start()
    try:
        yield stub
    finally:
        stub.stop()
