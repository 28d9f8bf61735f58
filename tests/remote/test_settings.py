"""The container image is given once in configuration; there is no default."""

import pytest

from omero_cli_ngff import exit_codes
from omero_cli_ngff.remote import (
    IMAGE_CONFIG_KEY,
    IMAGE_ENV,
    BatchSettings,
    Bf2rawOptions,
    GoogleBatchEngine,
    RemoteConfigError,
    image_is_valid,
    resolve_image,
)
from omero_cli_ngff.storage import parse_destination

OPTION = "us-central1-docker.pkg.dev/proj/ngff/bioformats2raw:0.12.1-1"
ENV = "registry.example/omero-ngff/bioformats2raw:0.12.1-2"
SERVER = "ghcr.io/site/bioformats2raw@sha256:" + "a" * 64


def test_the_option_wins_then_the_environment_then_the_server():
    env = {IMAGE_ENV: ENV}
    assert resolve_image(OPTION, SERVER, env) == OPTION
    assert resolve_image(None, SERVER, env) == ENV
    assert resolve_image("", SERVER, {}) == SERVER


def test_no_image_is_a_usage_error_naming_the_recipe_and_every_way_to_give_one():
    with pytest.raises(RemoteConfigError) as err:
        resolve_image(None, None, {})
    msg = str(err.value)
    assert err.value.exit_code == exit_codes.USAGE and "\n" not in msg
    for part in ("containers/bioformats2raw", "--batch-image", IMAGE_ENV, IMAGE_CONFIG_KEY):
        assert part in msg


def test_a_malformed_image_names_where_it_came_from():
    with pytest.raises(RemoteConfigError) as err:
        resolve_image(None, None, {IMAGE_ENV: "gs://bucket/image.tar"})
    assert IMAGE_ENV in str(err.value)
    assert err.value.exit_code == exit_codes.USAGE


@pytest.mark.parametrize("image, valid", [
    (OPTION, True), (SERVER, True), ("bioformats2raw:0.12.1", True),
    ("localhost:5000/bf2raw", True),
    ("", False), ("Registry/UPPER/path:1", False), ("a b:1", False),
    ("repo/x:" + "t" * 129, False), ("https://registry/x:1", False),
])
def test_image_references(image, valid):
    assert image_is_valid(image) is valid


@pytest.mark.object_store


def test_the_engine_refuses_to_start_without_an_image(gcs_emulator, bucket, monkeypatch):
    monkeypatch.delenv(IMAGE_ENV, raising=False)
    dest = parse_destination(f"gs://{bucket}/data")
    settings = BatchSettings("p", "us-central1", "gs://repo-bucket")
    with pytest.raises(RemoteConfigError) as err:
        GoogleBatchEngine(settings, dest, Bf2rawOptions())
    assert err.value.exit_code == exit_codes.USAGE
    monkeypatch.setenv(IMAGE_ENV, ENV)
    assert GoogleBatchEngine(settings, dest, Bf2rawOptions()).image == ENV


def test_the_client_floor_has_every_job_state_the_code_uses():
    """setup.cfg's google-cloud-batch floor: 0.17.34 is the first release whose
    batch_v1 JobStatus.State has CANCELLATION_IN_PROGRESS and CANCELLED (0.17.33 has
    neither; checked on the published wheels)."""
    import re
    from pathlib import Path

    from google.cloud import batch_v1

    from omero_cli_ngff.remote.status import ACTIVE_STATES, RETRY_STATES, TERMINAL_STATES
    setup = (Path(__file__).resolve().parents[2] / "setup.cfg").read_text()
    floor = re.search(r"google-cloud-batch>=([\d.]+)", setup).group(1)
    assert tuple(int(n) for n in floor.split(".")) >= (0, 17, 34)
    names = set(batch_v1.JobStatus.State.__members__)
    assert names >= ACTIVE_STATES | RETRY_STATES | TERMINAL_STATES
