"""The storage layer against the object-store emulator (and the fault proxy in front of
it): sharded Zarr v3 through Destination, preflight failures, retries, credentials."""

import json
import time

import numpy as np
import pytest
import requests
import zarr

from omero_cli_ngff import exit_codes
from omero_cli_ngff.storage import (
    CredentialsError,
    DestinationNotFound,
    DestinationUnreachable,
    HttpPolicy,
    ReadOnlyDestination,
    StorageWriteError,
    fetch_metadata,
    parse_destination,
    resolve_gcs_credentials,
)
from test_infra.fake_gcs import free_port, put_object

FAST = HttpPolicy(attempts=2, backoff=0.05, connect_timeout=1.0, read_timeout=3.0)


def write_image(store, shape=(2, 64, 64), chunks=(1, 16, 16), shards=(1, 32, 32)):
    g = zarr.open_group(store, mode="w", zarr_format=3)
    g.attrs["ome"] = {"version": "0.5", "multiscales": [{
        "axes": [{"name": "c", "type": "channel"}, {"name": "y", "type": "space"},
                 {"name": "x", "type": "space"}],
        "datasets": [{"path": "0", "coordinateTransformations": [
            {"type": "scale", "scale": [1.0, 1.0, 1.0]}]}]}]}
    a = g.create_array("0", shape=shape, chunks=chunks, shards=shards, dtype="uint16")
    data = np.arange(np.prod(shape), dtype="uint16").reshape(shape)
    a[:] = data
    return data


@pytest.mark.object_store
def test_sharded_zarr_v3_roundtrip_through_destination(gcs_emulator, bucket, gcs_objects):
    dest = parse_destination(f"gs://{bucket}/data/0.5")
    data = write_image(dest.zarr_store("123.ome.zarr"))
    names = gcs_objects(bucket, "data/0.5/123.ome.zarr/")
    # 2 x 2 x 2 shards, not 2 x 4 x 4 chunks, plus two zarr.json
    shard_objects = [n for n in names if "/c/" in n]
    assert len(shard_objects) == 8 and len(names) == 10
    # back through gcsfs
    back = zarr.open_group(dest.zarr_store("123.ome.zarr", read_only=True), mode="r")
    assert back["0"].shards == (1, 32, 32)
    np.testing.assert_array_equal(back["0"][:], data)
    # and over plain HTTP, as a viewer would (sharded reads use Range requests)
    url = dest.public_url("123.ome.zarr")
    assert url == f"{gcs_emulator.url}/{bucket}/data/0.5/123.ome.zarr/"
    doc = fetch_metadata(url, "0.5")
    assert doc["attributes"]["ome"]["multiscales"][0]["datasets"][0]["path"] == "0"
    over_http = zarr.open_group(url, mode="r")["0"]
    np.testing.assert_array_equal(over_http[1, 30:40, 30:40], data[1, 30:40, 30:40])
    groups = dest.list_groups(sizes=True)
    assert [(g.relpath, g.ngff_version, g.objects) for g in groups] == [
        ("123.ome.zarr", "0.5", 10)]
    assert dest.remove("123.ome.zarr") and gcs_objects(bucket) == []


@pytest.mark.object_store
def test_preflight_ok_leaves_nothing_behind(gcs_emulator, bucket, gcs_objects):
    dest = parse_destination(f"gs://{bucket}/some/prefix")
    report = dest.preflight()
    assert report.public_readable is True
    assert "anonymous" in report.credentials
    assert gcs_objects(bucket) == []
    assert all("CORS not checked" in w for w in report.warnings)   # emulator: no cors


@pytest.mark.object_store
def test_preflight_missing_bucket(gcs_emulator):
    dest = parse_destination("gs://no-such-bucket-here/p")
    with pytest.raises(DestinationNotFound) as err:
        dest.preflight()
    assert "no-such-bucket-here" in str(err.value)
    assert err.value.exit_code == exit_codes.DESTINATION


@pytest.mark.object_store
def test_preflight_read_only_bucket(read_only_bucket, gcs_objects):
    proxy, name = read_only_bucket
    dest = parse_destination(f"gs://{name}/p", endpoint_url=proxy.url, policy=FAST)
    with pytest.raises(ReadOnlyDestination) as err:
        dest.preflight()
    assert "read-only" in str(err.value) and "403" in str(err.value)
    assert gcs_objects(name) == []
    assert proxy.count("POST", "^/upload/") == 1          # a 403 is not retried


def test_preflight_unreachable_is_fast():
    dest = parse_destination("gs://some-bucket/p",
                             endpoint_url=f"http://127.0.0.1:{free_port()}", policy=FAST)
    t0 = time.monotonic()
    with pytest.raises(DestinationUnreachable) as err:
        dest.preflight()
    assert time.monotonic() - t0 < 3
    assert "unreachable" in str(err.value)


def test_preflight_unknown_host():
    dest = parse_destination("gs://some-bucket/p",
                             endpoint_url="http://no-such-host.invalid", policy=FAST)
    with pytest.raises(DestinationUnreachable):
        dest.preflight()


@pytest.mark.object_store
def test_preflight_storage_server_errors_are_not_read_only(fault_proxy, bucket):
    fault_proxy.fail(503, method="POST", path="^/upload/")
    dest = parse_destination(f"gs://{bucket}/p", endpoint_url=fault_proxy.url, policy=FAST)
    with pytest.raises(Exception) as err:
        dest.preflight()
    assert type(err.value).__name__ == "DestinationError" and "503" in str(err.value)
    assert fault_proxy.count("POST", "^/upload/") == FAST.attempts


@pytest.mark.object_store
def test_preflight_warns_when_public_url_is_not_public(fault_proxy, bucket, gcs_objects):
    # writes through the API pass; the public GET of what we wrote answers 403
    fault_proxy.fail(403, method="GET", path=rf"^/{bucket}/")
    dest = parse_destination(f"gs://{bucket}/p", endpoint_url=fault_proxy.url, policy=FAST)
    report = dest.preflight()
    assert report.public_readable is False
    assert any("not publicly readable" in w for w in report.warnings)
    assert gcs_objects(bucket) == []


@pytest.mark.object_store
def test_preflight_warns_when_public_url_maps_elsewhere(gcs_emulator, bucket):
    dest = parse_destination(f"gs://{bucket}/p",
                             public_url=f"{gcs_emulator.url}/{bucket}/other", policy=FAST)
    report = dest.preflight()
    assert report.public_readable is False
    assert any("does not serve" in w for w in report.warnings)


@pytest.mark.object_store
def test_preflight_warns_when_probe_cannot_be_deleted(fault_proxy, bucket, gcs_objects):
    fault_proxy.fail(403, method="DELETE")
    dest = parse_destination(f"gs://{bucket}/p", endpoint_url=fault_proxy.url, policy=FAST)
    report = dest.preflight()
    assert any("create but not delete" in w for w in report.warnings)
    assert len(gcs_objects(bucket)) == 1          # the probe stayed, as the warning says


@pytest.mark.object_store
def test_cors_from_bucket_metadata(fault_proxy, bucket):
    good = [{"origin": ["*"], "method": ["GET"], "responseHeader": ["Range", "Content-Type"]}]
    rule = fault_proxy.respond(200, json_body={"name": bucket, "cors": good}, method="GET",
                               path=rf"^/storage/v1/b/{bucket}(\?|$)")
    dest = parse_destination(f"gs://{bucket}/p", endpoint_url=fault_proxy.url, policy=FAST)
    report = dest.preflight()
    assert report.cors == good and report.warnings == []
    rule.times = 0                                                # retire it
    fault_proxy.respond(200, json_body={"name": bucket, "cors": [
        {"origin": ["https://hms-dbmi.github.io"], "method": ["GET"],
         "responseHeader": ["Content-Type"]}]}, method="GET",
        path=rf"^/storage/v1/b/{bucket}(\?|$)")
    warnings = dest.cors_warnings()
    assert len(warnings) == 2
    assert "neuroglancer" in warnings[0] and "Range" in warnings[1]


@pytest.mark.object_store
def test_cors_unreadable_bucket_metadata(fault_proxy, bucket):
    fault_proxy.fail(403, method="GET", path=rf"^/storage/v1/b/{bucket}(\?|$)")
    dest = parse_destination(f"gs://{bucket}/p", endpoint_url=fault_proxy.url, policy=FAST)
    report = dest.preflight()                     # 403 on bucket metadata is no error
    assert any("could not read the CORS" in w for w in report.warnings)


# -- retries of the data path (gcsfs) ------------------------------------------------------

@pytest.mark.object_store
def test_upload_503_is_retried(fault_proxy, bucket, gcs_objects, fast_gcsfs_retries):
    fault_proxy.fail(503, method="POST", path="^/upload/", times=1)
    dest = parse_destination(f"gs://{bucket}/p", endpoint_url=fault_proxy.url)
    dest.write_bytes("a/zarr.json", b"{}")
    assert gcs_objects(bucket) == ["p/a/zarr.json"]
    assert fault_proxy.count("POST", "^/upload/") == 2
    assert fault_proxy.count(action="respond") == 1


@pytest.mark.object_store
def test_dropped_upload_connection_is_retried(fault_proxy, bucket, gcs_objects,
                                              fast_gcsfs_retries):
    fault_proxy.drop(method="POST", path="^/upload/", times=1)
    dest = parse_destination(f"gs://{bucket}/p", endpoint_url=fault_proxy.url)
    dest.write_bytes("x", b"1")
    assert gcs_objects(bucket) == ["p/x"]
    assert fault_proxy.count(action="drop") == 1


@pytest.mark.object_store
def test_persistent_upload_failure_is_a_clear_error(fault_proxy, bucket,
                                                   fast_gcsfs_retries):
    fault_proxy.fail(503, method="POST", path="^/upload/")
    dest = parse_destination(f"gs://{bucket}/p", endpoint_url=fault_proxy.url)
    with pytest.raises(StorageWriteError) as err:
        dest.write_bytes("x", b"1")
    msg = str(err.value)
    assert "503" in msg and "gave up after retries" in msg and "\n" not in msg
    assert err.value.exit_code == exit_codes.DESTINATION
    assert fault_proxy.count("POST", "^/upload/") == 6               # gcsfs' retries


@pytest.mark.object_store
def test_persistent_failure_while_writing_zarr(fault_proxy, bucket, fast_gcsfs_retries):
    dest = parse_destination(f"gs://{bucket}/p", endpoint_url=fault_proxy.url)
    # the two zarr.json pass, then every upload (the shards) loses its connection
    fault_proxy.drop(method="POST", path=r"^/upload/", skip=2)
    with pytest.raises(StorageWriteError) as err, dest.translate_errors("writing image 1"):
        write_image(dest.zarr_store("1.ome.zarr"))
    assert str(err.value).startswith("writing image 1")


@pytest.mark.object_store
def test_read_only_while_writing_zarr(read_only_bucket):
    proxy, name = read_only_bucket
    dest = parse_destination(f"gs://{name}/p", endpoint_url=proxy.url)
    with pytest.raises(ReadOnlyDestination), dest.translate_errors("writing image 1"):
        write_image(dest.zarr_store("1.ome.zarr"))


def test_unreachable_while_writing(fast_gcsfs_retries):
    dest = parse_destination("gs://some-bucket/p",
                             endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(DestinationUnreachable):
        dest.write_bytes("x", b"1")


@pytest.mark.object_store
def test_restart_keeps_data_with_filesystem_backend(restartable_gcs):
    restartable_gcs.create_bucket("persist")
    dest = parse_destination("gs://persist/p")
    write_image(dest.zarr_store("i.ome.zarr"), shape=(1, 32, 32), shards=(1, 32, 32))
    port = restartable_gcs.port
    restartable_gcs.restart()
    assert restartable_gcs.port == port
    assert dest.exists("i.ome.zarr/zarr.json")
    doc = fetch_metadata(dest.public_url("i.ome.zarr"), "0.5")
    assert doc["node_type"] == "group"
    restartable_gcs.stop()
    with pytest.raises(DestinationUnreachable):
        parse_destination("gs://persist/p", policy=FAST).preflight()


# -- credentials ---------------------------------------------------------------------------

def test_missing_credentials_is_one_clear_line(no_google_credentials):
    dest = parse_destination("gs://bucket/p")          # parsing needs no credentials
    assert dest.public_url("x") == "https://storage.googleapis.com/bucket/p/x/"
    with pytest.raises(CredentialsError) as err:
        dest.preflight()
    msg = str(err.value)
    assert "no Google credentials found" in msg and "\n" not in msg
    assert err.value.exit_code == exit_codes.DESTINATION


def test_credentials_file_missing_or_invalid(no_google_credentials, tmp_path, monkeypatch):
    with pytest.raises(CredentialsError) as err:
        resolve_gcs_credentials(credentials_file=str(tmp_path / "nope.json"))
    assert "nope.json" in str(err.value) and "does not exist" in str(err.value)
    secret = "-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----\n"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "service_account", "private_key": secret,
                               "client_email": "x@y.iam.gserviceaccount.com"}))
    with pytest.raises(CredentialsError) as err:
        resolve_gcs_credentials(credentials_file=str(bad))
    assert "TOPSECRET" not in str(err.value) and "not a valid" in str(err.value)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(bad))
    with pytest.raises(CredentialsError) as err:
        parse_destination("gs://bucket/p").preflight()
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(err.value)


def _service_account_file(path, token_uri):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": "k1",
        "private_key": pem, "client_email": "ngff@p.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": token_uri}))
    return pem


def test_service_account_file_is_used_and_never_shown(no_google_credentials, tmp_path):
    sa = tmp_path / "sa.json"
    pem = _service_account_file(sa, f"http://127.0.0.1:{free_port()}/token")
    creds = resolve_gcs_credentials(credentials_file=str(sa))
    assert creds.description == f"service account ngff@p.iam.gserviceaccount.com from {sa}"
    assert "PRIVATE" not in repr(creds)
    dest = parse_destination("gs://bucket/p", credentials_file=str(sa),
                             endpoint_url=f"http://127.0.0.1:{free_port()}", policy=FAST)
    with pytest.raises((DestinationUnreachable, CredentialsError)) as err:
        dest.preflight()                 # the token service is not there
    assert pem.splitlines()[1] not in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.object_store
def test_emulator_means_anonymous(gcs_emulator):
    creds = resolve_gcs_credentials()
    assert creds.anonymous and gcs_emulator.url in creds.description
    assert resolve_gcs_credentials(anonymous=True).description == "anonymous"


@pytest.mark.object_store
def test_objects_written_by_others_are_listed(gcs_emulator, bucket):
    # a bioformats2raw-like layout written object by object, as another tool would
    meta = {"zarr_format": 3, "node_type": "group", "attributes": {"ome": {
        "version": "0.5", "multiscales": [{"datasets": [{"path": "0"}]}]}}}
    put_object(gcs_emulator.url, bucket, "p/fs1.ome.zarr/zarr.json", json.dumps(
        {"zarr_format": 3, "node_type": "group",
         "attributes": {"ome": {"version": "0.5", "bioformats2raw.layout": 3}}}).encode())
    for series in ("0", "1"):
        put_object(gcs_emulator.url, bucket, f"p/fs1.ome.zarr/{series}/zarr.json",
                   json.dumps(meta).encode())
        put_object(gcs_emulator.url, bucket, f"p/fs1.ome.zarr/{series}/0/zarr.json",
                   json.dumps({"zarr_format": 3, "node_type": "array"}).encode())
    dest = parse_destination(f"gs://{bucket}/p")
    assert [g.relpath for g in dest.list_groups()] == ["fs1.ome.zarr/0", "fs1.ome.zarr/1"]
    r = requests.get(dest.public_url("fs1.ome.zarr/1") + "zarr.json")
    assert r.status_code == 200 and r.json()["attributes"]["ome"]["multiscales"]
