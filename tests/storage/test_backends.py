"""The conformance suites (conformance.py, claims_conformance.py,
ownership_conformance.py) run against every
backend: memory://, a local folder, and GCS on fake-gcs-server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from omero_cli_ngff.storage import (
    FolderDestination,
    GcsDestination,
    MemoryDestination,
    parse_destination,
)

from .claims_conformance import ClaimsTests
from .conformance import DestinationTests, Make
from .ownership_conformance import OwnershipTests


class TestMemoryDestination(DestinationTests, ClaimsTests, OwnershipTests):
    backend = MemoryDestination

    @pytest.fixture
    def make(self) -> Iterator[Make]:
        url = f"memory://conformance-{uuid.uuid4().hex[:8]}/dest"

        def make(public_url: str | None = None) -> MemoryDestination:
            dest = parse_destination(url, public_url)
            assert isinstance(dest, MemoryDestination)
            return dest

        yield make
        fs = make().fs
        if fs.exists(make().prefix):
            fs.rm(make().prefix, recursive=True)

    def test_capabilities(self, dest: MemoryDestination) -> None:
        assert not dest.shared and not dest.is_local and not dest.supports_generations
        assert dest.bucket is None and dest.cors_warnings() == []


class TestFolderDestination(DestinationTests, ClaimsTests, OwnershipTests):
    backend = FolderDestination

    @pytest.fixture
    def make(self, tmp_path: Path) -> Make:
        def make(public_url: str | None = None) -> FolderDestination:
            dest = parse_destination(str(tmp_path / "dest"), public_url)
            assert isinstance(dest, FolderDestination)
            return dest
        return make

    def test_capabilities(self, dest: FolderDestination, tmp_path: Path) -> None:
        assert dest.shared and dest.is_local and not dest.supports_generations
        assert dest.bucket is None and dest.root_name == "dest"
        dest.write_bytes("a/b", b"1")
        assert (tmp_path / "dest" / "a" / "b").read_bytes() == b"1"    # plain files
        assert "web server" in dest.cors_warnings()[0]


@pytest.mark.object_store
class TestGcsDestination(DestinationTests, ClaimsTests, OwnershipTests):
    backend = GcsDestination

    @pytest.fixture
    def make(self, gcs_emulator: object, bucket: str) -> Make:
        def make(public_url: str | None = None) -> GcsDestination:
            dest = parse_destination(f"gs://{bucket}/dest", public_url)
            assert isinstance(dest, GcsDestination)
            return dest
        return make

    def test_capabilities(self, dest: GcsDestination, bucket: str) -> None:
        assert dest.shared and not dest.is_local and dest.supports_generations
        assert dest.bucket == bucket and dest.root_name == "dest"
        assert parse_destination(f"gs://{bucket}").root_name == bucket

    def test_versions_are_generations(self, dest: GcsDestination, gcs_objects) -> None:
        version = dest.create_exclusive("g", b"x")
        assert version is not None and version.isdigit()
        meta = dest.api.metadata(dest.object_name("g"), "test")
        assert meta is not None and str(meta["generation"]) == version
