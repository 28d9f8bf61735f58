"""Pytest fixtures for the object-store emulator (fake-gcs-server) and the fault proxy.

- ``gcs_emulator`` (session): a running `FakeGcs` (memory backend) with ``url``,
  ``port``, ``restart()``, ``stop()``, ``create_bucket()``, ``list_objects()``,
  ``public_url()``; STORAGE_EMULATOR_HOST points at it for the whole session.
- ``bucket`` (function): the name of a fresh, empty bucket on that emulator.
- ``gcs_objects`` (function): ``gcs_objects(bucket, prefix="")`` -> sorted object names.
- ``fault_proxy`` (function): a `FaultProxy` in front of the emulator; use its ``url``
  as gcsfs ``endpoint_url`` / public base. Rules are cleared at the end.
- ``read_only_bucket`` (function): (proxy, bucket) where every write through the proxy
  answers 403 - the emulator itself has no ACLs, so "read-only" is modelled here.
- ``restartable_gcs`` (function): a separate emulator with the filesystem backend in a
  temporary folder, for tests that restart it (data survives); STORAGE_EMULATOR_HOST
  points at it during the test.
- ``fast_gcsfs_retries`` (function): makes gcsfs' retry back-off (1, 2, 4, 8, 16 s)
  instant, for tests of persistent failures.
- ``no_google_credentials`` (function): an environment without any Google credentials
  or emulator (no ADC file, no metadata server check).
"""

from __future__ import annotations

import os
import uuid

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")   # before gcsfs

import pytest

from test_infra.fake_gcs import FakeGcs, create_bucket, list_objects
from test_infra.fault_proxy import FaultProxy


@pytest.fixture(scope="session")
def gcs_emulator():
    emu = FakeGcs()
    emu.start()
    emu.set_env()
    try:
        yield emu
    finally:
        emu.unset_env()
        emu.stop()


def new_bucket_name(prefix: str = "b") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def bucket(gcs_emulator) -> str:
    if not gcs_emulator.running:            # a test stopped the shared emulator
        gcs_emulator.start()
    return create_bucket(gcs_emulator.url, new_bucket_name())


@pytest.fixture
def gcs_objects(gcs_emulator):
    def _list(bucket_name: str, prefix: str = "") -> list:
        return list_objects(gcs_emulator.url, bucket_name, prefix)
    return _list


@pytest.fixture
def fault_proxy(gcs_emulator):
    proxy = FaultProxy(gcs_emulator.url).start()
    try:
        yield proxy
    finally:
        proxy.clear()
        proxy.stop()


@pytest.fixture
def read_only_bucket(fault_proxy, bucket):
    fault_proxy.read_only()
    return fault_proxy, bucket


@pytest.fixture
def restartable_gcs(tmp_path, monkeypatch):
    emu = FakeGcs(data_dir=str(tmp_path / "gcs-data"))
    emu.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emu.url)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def fast_gcsfs_retries(monkeypatch):
    import asyncio
    import gcsfs.retry

    real_sleep = asyncio.sleep

    class _FastAsyncio:
        def __getattr__(self, name):
            return getattr(asyncio, name)

        @staticmethod
        async def sleep(seconds, *args, **kwargs):
            await real_sleep(min(seconds, 0.01))

    monkeypatch.setattr(gcsfs.retry, "asyncio", _FastAsyncio())
    yield


@pytest.fixture
def no_google_credentials(tmp_path, monkeypatch):
    for var in ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS",
                "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    config = tmp_path / "gcloud-config"
    config.mkdir()
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(config))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    import google.auth.compute_engine._metadata as gce_metadata    # read at import time
    monkeypatch.setattr(gce_metadata, "_NO_GCE_CHECK", True)
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")      # never a real server
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")
    yield
