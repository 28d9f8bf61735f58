"""Shards spooled before upload: in the folder the run gives (its own, removed by the
next run if it dies), and a full disk there is named as that local folder, not as the
destination."""

from __future__ import annotations

import os
import tempfile

import pytest
from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper
from fsspec.implementations.memory import MemoryFileSystem
from zarr.storage import FsspecStore

from omero_cli_ngff.ngff import shards
from omero_cli_ngff.ngff.errors import NoSpaceError


@pytest.fixture
def spool(tmp_path):
    folder = tmp_path / "spool"
    folder.mkdir()
    shards.set_spool_dir(str(folder))
    yield folder
    shards.set_spool_dir(None)


def memory_store():
    fs = AsyncFileSystemWrapper(MemoryFileSystem(), asynchronous=True)
    return FsspecStore(fs, path=f"/spool-test-{os.getpid()}")


def test_shards_are_spooled_in_the_runs_folder_and_removed_after_upload(spool):
    sink = shards.open_sink(memory_store(), "0/c/0/0", (2,))
    assert isinstance(sink, shards.SpoolSink)
    sink.add((0,), b"chunk")
    assert [p.suffix for p in spool.iterdir()] == [".spool"]
    assert sink.close() > 0
    assert list(spool.iterdir()) == []


def test_a_full_local_disk_names_the_local_folder(spool, monkeypatch):
    # /dev/full answers every write with ENOSPC: a real full disk, as the OS reports it
    full = spool / "full.spool"
    full.symlink_to("/dev/full")
    monkeypatch.setattr(shards.tempfile, "mkstemp",
                        lambda **kw: (os.open(full, os.O_WRONLY), str(full)))
    sink = shards.open_sink(memory_store(), "0/c/0/0", (2,))
    with pytest.raises(NoSpaceError) as err:
        sink.add((0,), b"x" * 65536)
        sink.close()
    assert str(spool) in str(err.value) and "local folder" in str(err.value)
    assert "destination" not in str(err.value)
    sink.abort()
    assert tempfile.gettempdir()            # untouched


def test_without_a_folder_the_spool_is_tmpdir(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sink = shards.open_sink(memory_store(), "0/c/0/1", (2,))
    assert sink.folder == str(tmp_path)
    sink.abort()
