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


VERIFY_CATALOGUE = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users: [{id: 2, name: alice, password: alice-pw, groups: [lab]}]
images:
  - {id: 1, name: gone.tif, owner: alice, sizeX: 16, sizeY: 16,
     fileset: {files: [a/gone.tif]},
     annotations: [{ns: jax.org/public/zarr,
                    values: [[zarr_path, "%(www)s/gone.ome.zarr/0/"],
                             [ngff_version, "0.5"],
                             [zarr_conversion_date, "2024-05-01T10:00:00+00:00"]]}]}
"""


def test_verify_fix_on_a_read_only_server_says_why_nothing_changed(
        start_omero_devserver, capsys, monkeypatch, tmp_path):
    """The copy is gone, so --fix would delete its annotation: the server refuses the
    delete as read-only (Delete2 answers ERR), which the fix reports as that, not as
    a group's rule (ReadOnlyGroupSecurityViolation)."""
    import json
    import textwrap

    from tests.helpers.verify import FolderServer

    env_isolated(monkeypatch, tmp_path)
    (tmp_path / "www").mkdir()
    with FolderServer(tmp_path / "www") as www:          # answers 404: the data is gone
        spec = tmp_path / "verify.yaml"
        spec.write_text(textwrap.dedent(VERIFY_CATALOGUE % {"www": www.url}))
        server = start_omero_devserver(spec, read_only=True)
        rv, out, err = invoke(["ngff", "verify", "Image:1", "--fix", "--style", "json",
                               *server.cli_login_args("alice")], capsys)
    assert rv != 0 and "Traceback" not in err
    (fix,) = json.loads(out.splitlines()[-1])["fixes"]
    assert fix["done"] is False
    assert "ServerReadOnly" in fix["error"] and "the OMERO server is read-only" in fix["error"]
    conn = server.connect("alice")
    try:
        assert len(list(conn.getObject("Image", 1).listAnnotations(
            ns="jax.org/public/zarr"))) == 1
    finally:
        conn.close()
