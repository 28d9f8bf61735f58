"""Storage layer without any server: parsing, paths, public URLs, listing of
bioformats2raw layouts, local preflight, CORS evaluation and error translation (what
every backend does alike is in the conformance suite, test_backends.py)."""

import errno
import os
import uuid

import pytest
import zarr

from omero_cli_ngff import exit_codes
from omero_cli_ngff.storage import (
    CredentialsError,
    DestinationError,
    DestinationNotFound,
    DestinationUnreachable,
    HttpPolicy,
    InvalidDestination,
    PublicUrlError,
    ReadOnlyDestination,
    StorageWriteError,
    evaluate_cors,
    metadata_file,
    parse_destination,
    storage_error,
)

from .conformance import image_v2, image_v3


@pytest.fixture
def no_emulator(monkeypatch):
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)


# -- parsing ---------------------------------------------------------------------------

def test_parse_gs(no_emulator):
    d = parse_destination("gs://my-bucket/data/0.5/")
    assert (d.scheme, d.bucket, d.prefix) == ("gs", "my-bucket", "data/0.5")
    assert d.url == "gs://my-bucket/data/0.5"
    assert d.join("img.ome.zarr/0") == "gs://my-bucket/data/0.5/img.ome.zarr/0"
    assert d.fs_path("a/b") == "my-bucket/data/0.5/a/b"
    assert parse_destination("gs://my-bucket").prefix == ""
    assert parse_destination("gs://my-bucket").join("x") == "gs://my-bucket/x"


def test_parse_local_and_file_url(tmp_path):
    d = parse_destination(str(tmp_path / "out"))
    assert d.scheme == "file" and d.prefix == str(tmp_path / "out")
    assert d.join("a.zarr") == f"file://{tmp_path}/out/a.zarr"
    same = parse_destination(f"file://{tmp_path}/out")
    assert same.prefix == d.prefix
    rel = parse_destination("relative/dir")
    assert rel.prefix == os.path.abspath("relative/dir")


def test_parse_memory():
    d = parse_destination("memory://tests/x")
    assert d.scheme == "memory" and d.prefix == "/tests/x"
    assert d.join("a") == "memory://tests/x/a"


@pytest.mark.parametrize("bad", ["", "   ", "s3://bucket/x", "gs://", "gs://UPPER/x",
                                 "gs://ab/x", "gs://bad_bucket_/x", "gs://b-ok/x?y=1",
                                 "file://host/path", "http://example.org/x",
                                 "gs://bucket/pre\nfix", "gs://bucket/\x1b[2J",
                                 "memory://x\x00y"])
def test_invalid_destinations_are_usage_errors(bad):
    with pytest.raises(InvalidDestination) as err:
        parse_destination(bad)
    assert err.value.exit_code == exit_codes.USAGE
    assert "\n" not in str(err.value)


def test_relative_paths_cannot_escape(no_emulator):
    d = parse_destination("gs://bucket/prefix")
    assert d.fs_path("./a//b/") == "bucket/prefix/a/b"
    with pytest.raises(InvalidDestination):
        d.fs_path("../other")
    with pytest.raises(InvalidDestination):
        d.join("a/../../b")


def test_relpath_of_is_inverse_of_join(no_emulator):
    d = parse_destination("gs://bucket/prefix")
    assert d.relpath_of("gs://bucket/prefix/a/b") == "a/b"
    assert d.relpath_of("bucket/prefix/a") == "a"
    assert d.relpath_of("gs://bucket/prefix") == ""
    assert d.relpath_of("gs://bucket/prefixed/a") is None
    assert d.relpath_of("gs://other/prefix/a") is None


# -- public URLs -------------------------------------------------------------------------

def test_public_url_default_for_gs(no_emulator):
    d = parse_destination("gs://bucket/data/0.5")
    assert d.public_base == "https://storage.googleapis.com/bucket/data/0.5"
    assert d.public_url("123.ome.zarr/0") == \
        "https://storage.googleapis.com/bucket/data/0.5/123.ome.zarr/0/"
    assert d.public_url("a/zarr.json", group=False).endswith("/a/zarr.json")
    assert parse_destination("gs://bucket").public_url("x") == \
        "https://storage.googleapis.com/bucket/x/"


def test_public_url_of_emulator_is_its_public_host(monkeypatch):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443")
    d = parse_destination("gs://bucket/p")
    assert d.public_url("img") == "http://127.0.0.1:4443/bucket/p/img/"
    d = parse_destination("gs://bucket/p", endpoint_url="http://127.0.0.1:9999/")
    assert d.public_url("img") == "http://127.0.0.1:9999/bucket/p/img/"


def test_explicit_public_url_maps_prefix_to_prefix(no_emulator):
    d = parse_destination("gs://bucket/data/0.5",
                          public_url="https://cdn.example.org/zarr/")
    assert d.public_url("1.ome.zarr/0") == "https://cdn.example.org/zarr/1.ome.zarr/0/"
    assert d.relpath_of_public_url("https://cdn.example.org/zarr/1.ome.zarr/0/") == "1.ome.zarr/0"
    assert d.relpath_of_public_url("https://elsewhere.org/zarr/1.ome.zarr/") is None


def test_public_url_quotes_and_unquotes(no_emulator):
    d = parse_destination("gs://bucket/my data")
    url = d.public_url("image one.ome.zarr")
    assert url == "https://storage.googleapis.com/bucket/my%20data/image%20one.ome.zarr/"
    assert d.relpath_of_public_url(url) == "image one.ome.zarr"


def test_local_folder_needs_explicit_public_url(tmp_path):
    d = parse_destination(str(tmp_path))
    assert d.public_base is None
    with pytest.raises(PublicUrlError) as err:
        d.public_url("a.zarr")
    assert "--public-url" in str(err.value)
    assert err.value.exit_code == exit_codes.USAGE
    served = parse_destination(str(tmp_path), public_url="http://127.0.0.1:8000/data")
    assert served.public_url("a.zarr") == "http://127.0.0.1:8000/data/a.zarr/"


@pytest.mark.parametrize("bad", ["ftp://x/y", "storage.googleapis.com/b",
                                 "https://x/y?sig=1", "https:///nohost",
                                 "https://user:pw@cdn.example.org/x", "javascript:alert(1)",
                                 "https://x\x1b[2J/y", "https://x y/z"])
def test_malformed_public_url(bad, no_emulator):
    with pytest.raises(PublicUrlError) as err:
        parse_destination("gs://bucket/p", public_url=bad)
    assert err.value.exit_code == exit_codes.USAGE


def test_a_public_url_typed_with_spaces_is_percent_encoded(no_emulator):
    """What a user types in a path is encoded, not refused (#11)."""
    dest = parse_destination("gs://bucket/p", public_url="https://cdn.example.org/a b/ü")
    assert dest.public_base == "https://cdn.example.org/a%20b/%C3%BC"


# -- memory / local operations ----------------------------------------------------------------

@pytest.fixture
def mem_dest():
    from fsspec.implementations.memory import MemoryFileSystem
    dest = parse_destination(f"memory://test-{uuid.uuid4().hex[:8]}/prefix")
    yield dest
    fs = MemoryFileSystem()
    if fs.exists(dest.prefix):
        fs.rm(dest.prefix, recursive=True)


def test_list_groups_finds_images_of_both_versions_and_bf2raw_series(mem_dest):
    image_v3(mem_dest.zarr_store("a/1.ome.zarr"))
    image_v2(mem_dest.zarr_store("b/2.ome.zarr"))
    root = zarr.open_group(mem_dest.zarr_store("c/fs9.ome.zarr"), mode="w", zarr_format=3)
    root.attrs["bioformats2raw.layout"] = 3
    for series in ("0", "1"):
        image_v3(mem_dest.zarr_store(f"c/fs9.ome.zarr/{series}"))
    zarr.open_group(mem_dest.zarr_store("c/fs9.ome.zarr/OME"), mode="w", zarr_format=3)
    # a labels image inside an image group is part of that image, not another image
    image_v3(mem_dest.zarr_store("a/1.ome.zarr/labels/cells"))
    mem_dest.write_bytes("notes/readme.txt", b"not zarr")

    groups = mem_dest.list_groups(sizes=True)
    assert [(g.relpath, g.ngff_version, g.zarr_format) for g in groups] == [
        ("a/1.ome.zarr", "0.5", 3), ("b/2.ome.zarr", "0.4", 2),
        ("c/fs9.ome.zarr/0", "0.5", 3), ("c/fs9.ome.zarr/1", "0.5", 3)]
    assert groups[0].url == mem_dest.join("a/1.ome.zarr")
    assert all(g.size > 0 and g.objects >= 3 for g in groups)
    # the labels image is counted in its parent's size
    assert groups[0].size > groups[2].size
    assert [g.relpath for g in mem_dest.list_groups("c")] == ["c/fs9.ome.zarr/0",
                                                               "c/fs9.ome.zarr/1"]
    assert mem_dest.list_groups("nothing/here") == []
    assert mem_dest.list_groups(max_depth=1) == []


def test_local_destination_roundtrip_and_preflight(tmp_path):
    d = parse_destination(str(tmp_path / "new-folder"))
    report = d.preflight()
    assert os.path.isdir(tmp_path / "new-folder")
    assert os.listdir(tmp_path / "new-folder") == []          # probe removed
    assert report.warnings == []
    image_v3(d.zarr_store("i.ome.zarr"))
    assert os.path.isfile(tmp_path / "new-folder/i.ome.zarr/zarr.json")
    assert [g.relpath for g in d.list_groups()] == ["i.ome.zarr"]
    assert d.read_bytes("i.ome.zarr/zarr.json").startswith(b"{")
    assert d.read_bytes("missing") is None


def test_local_preflight_missing_parent(tmp_path):
    d = parse_destination(str(tmp_path / "no" / "such" / "dir"))
    with pytest.raises(DestinationNotFound) as err:
        d.preflight()
    assert str(tmp_path / "no" / "such") in str(err.value)


def test_local_preflight_read_only(unprivileged_python):
    run, workdir = unprivileged_python
    result = run(
        "import os\n"
        "from omero_cli_ngff.storage import ReadOnlyDestination, parse_destination\n"
        "os.mkdir('ro'); os.chmod('ro', 0o555)\n"
        "try:\n"
        "    parse_destination(os.path.abspath('ro')).preflight()\n"
        "except ReadOnlyDestination as err:\n"
        "    print('refused:', err)\n")
    assert result.returncode == 0, result.stderr
    assert "refused:" in result.stdout


def test_local_preflight_checks_the_public_url_when_given(tmp_path):
    d = parse_destination(str(tmp_path), public_url="http://127.0.0.1:9/data",
                          policy=HttpPolicy(attempts=1, connect_timeout=1))
    report = d.preflight()
    assert report.public_readable is False
    assert any("could not be read" in w for w in report.warnings)
    assert any("web server" in w for w in report.warnings)    # CORS is the server's


# -- CORS -----------------------------------------------------------------------------

GOOD = [{"origin": ["*"], "method": ["GET", "HEAD"],
         "responseHeader": ["Content-Type", "Range"], "maxAgeSeconds": 3600}]


def test_cors_good_config_has_no_warning():
    assert evaluate_cors(GOOD) == []
    explicit = [{"origin": ["https://hms-dbmi.github.io", "https://ome.github.io/",
                            "https://neuroglancer-demo.appspot.com"],
                 "method": ["GET"], "responseHeader": ["range", "content-type"]}]
    assert evaluate_cors(explicit) == []


def test_cors_missing_config():
    warnings = evaluate_cors(None, bucket="gs://b")
    assert len(warnings) == 1 and "no CORS configuration" in warnings[0]
    assert evaluate_cors([], bucket="gs://b") == warnings


def test_cors_origin_not_allowed_names_the_viewers():
    only_vizarr = [{"origin": ["https://hms-dbmi.github.io"], "method": ["GET"],
                    "responseHeader": ["Range", "Content-Type"]}]
    warnings = evaluate_cors(only_vizarr)
    assert len(warnings) == 1
    assert "neuroglancer" in warnings[0] and "validator" in warnings[0]
    assert "vizarr" not in warnings[0]


def test_cors_method_and_headers():
    post_only = [{"origin": ["*"], "method": ["POST"], "responseHeader": ["Range"]}]
    assert "allows no GET" in evaluate_cors(post_only)[0]
    no_range = [{"origin": ["*"], "method": ["GET"], "responseHeader": ["Content-Type"]}]
    warnings = evaluate_cors(no_range)
    assert len(warnings) == 1 and "Range" in warnings[0] and "Content-Type" not in \
        warnings[0].split("header(s)")[1].split("for")[0]


# -- error translation ------------------------------------------------------------------

def test_storage_error_mapping():
    import aiohttp
    from aiohttp.client_reqrep import ConnectionKey
    from gcsfs.retry import HttpError

    key = ConnectionKey("h", 1, False, True, None, None, None)
    refused = aiohttp.ClientConnectorError(key, OSError(111, "refused"))
    cases = [
        (refused, DestinationUnreachable),
        (aiohttp.ServerDisconnectedError(), StorageWriteError),
        (HttpError({"code": 503, "message": "Service Unavailable"}), StorageWriteError),
        (HttpError({"code": 401, "message": "nope"}), CredentialsError),
        (OSError("Forbidden: http://x/upload\nForbidden"), ReadOnlyDestination),
        (PermissionError(13, "denied"), ReadOnlyDestination),
        (FileNotFoundError("b/x"), DestinationNotFound),
        (OSError(errno.ENOSPC, "No space left on device"), StorageWriteError),
    ]
    for exc, cls in cases:
        err = storage_error(exc, "writing gs://b/x")
        assert type(err) is cls, (exc, err)
        assert isinstance(err, DestinationError) and "\n" not in str(err)
        assert str(err).startswith("writing gs://b/x")
    assert storage_error(ValueError("a bug"), "x") is None
    assert storage_error(FileNotFoundError("x"), "reading", write=False) is None


def test_metadata_file_names():
    assert metadata_file("0.5") == "zarr.json"
    assert metadata_file("0.6") == "zarr.json"
    assert metadata_file("0.4") == ".zattrs"
    with pytest.raises(ValueError):
        metadata_file("banana")
