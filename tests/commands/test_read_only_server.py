"""A read-only OMERO (issue #12, point 1): publish says so in one line with exit 8
before anything is converted or uploaded; the read-only commands work."""

import pytest

from omero_cli_ngff import exit_codes
from tests.helpers.cli import invoke
from tests.helpers.publish import CATALOGUE, World, env_isolated

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    server = start_omero_devserver(CATALOGUE, read_only=True)
    return World(server, gcs_emulator, bucket, capsys)


@pytest.mark.parametrize("extra", [[], ["--dry-run"]])
def test_publish_stops_before_anything_is_done(world, extra):
    rv, out, err = world.publish("Project:1", *extra, style="plain")
    assert rv == exit_codes.PERMISSION
    lines = [line for line in err.splitlines() if not line.startswith("Created session")]
    assert lines == ["Error: the OMERO server is read-only "
                     "(omero.cluster.read_only.runtime.db is true): nothing can be "
                     "annotated, so nothing was published"]
    assert world.objects() == [] and world.objects(prefix="") == []   # not even a probe


def test_read_only_commands_work(world, tmp_path, capsys):
    server = world.server
    rv, out, err = invoke(["ngff", "locate", "Project:1", "--missing", "--style", "json",
                           *server.cli_login_args("alice")], capsys)
    assert rv == 0, err
    rv, out, err = invoke(["ngff", "export", "Image:2", "--output", str(tmp_path / "out"),
                           "--style", "json", *server.cli_login_args("alice")], capsys)
    assert rv == 0, err
    assert (tmp_path / "out" / "2.ome.zarr" / "0" / "zarr.json").exists()
