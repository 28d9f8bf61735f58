"""A group owner's `--sudo` session (issue #12, point 5): OMERO restricts it to the
groups the owner leads and refuses `omero.group=-1`; every command still works, each
query running in the groups the session may use."""

import textwrap

import numpy as np
import pytest

from omero_cli_ngff import exit_codes
from omero_cli_ngff.model.annotation import DEFAULT_NAMESPACE
from omero_cli_ngff.omero_io import annotations
from tests.helpers.cli import invoke, json_rows
from tests.helpers.export import expected_level
from tests.helpers.publish import World, env_isolated

pytestmark = pytest.mark.devserver

CATALOGUE = """
groups:
  - {id: 3, name: lab, permissions: rwra--}
  - {id: 4, name: other, permissions: rwra--}
users:
  - {id: 2, name: alice, password: alice-pw, groups: [lab]}
  - {id: 3, name: dora, password: dora-pw, groups: [lab, other]}
  - {id: 4, name: olga, password: olga-pw, groups: [lab, other], leads: [lab]}
projects:
  - id: 1
    name: p
    owner: alice
    datasets:
      - id: 1
        name: d
        images:
          - {id: 1, name: a.tif, sizeX: 64, sizeY: 48, sizeC: 2, type: uint16,
             fileset: {files: [alice_3/a.tif]}}
          - {id: 2, name: b.tif, sizeX: 40, sizeY: 32, fileset: {files: [alice_3/b.tif]}}
images:
  - {id: 5, name: dora-other.tif, owner: dora, group: other, sizeX: 16, sizeY: 16}
  - {id: 6, name: dora-lab.tif, owner: dora, group: lab, sizeX: 16, sizeY: 16}
"""


@pytest.fixture
def server(start_omero_devserver, tmp_path, monkeypatch):
    env_isolated(monkeypatch, tmp_path)
    spec = tmp_path / "group-sudo.yaml"
    spec.write_text(textwrap.dedent(CATALOGUE))
    return start_omero_devserver(spec)


def as_olga(server, user):
    return ["-s", server.connect_host, "-p", str(server.port), "-u", user,
            "--sudo", "olga", "-w", "olga-pw"]


def test_locate_and_export_as_a_member(server, capsys, tmp_path):
    rv, out, err = invoke(["ngff", "locate", "Project:1", "--missing", "--style", "json",
                           *as_olga(server, "alice")], capsys)
    assert rv == 0, err
    assert sorted(r["image_id"] for r in json_rows(out)) == [1, 2]
    rv, out, err = invoke(["ngff", "export", "Image:1", "--output", str(tmp_path / "o"),
                           "--style", "json", *as_olga(server, "alice")], capsys)
    assert rv == 0, err
    import zarr
    got = zarr.open_group(str(tmp_path / "o" / "1.ome.zarr" / "0"), mode="r")["0"][:]
    np.testing.assert_array_equal(got, expected_level(server, 1))


def test_data_of_a_group_the_owner_does_not_lead_is_not_found(server, capsys):
    """dora's image 5 is in `other`, which olga does not lead: not found (exit 4), one
    line, no internal error; her image in `lab` is found."""
    rv, out, err = invoke(["ngff", "locate", "Image:5,6", "--missing", "--style", "json",
                           *as_olga(server, "dora")], capsys)
    assert rv == exit_codes.NOT_FOUND
    assert [r["image_id"] for r in json_rows(out)] == [6]
    assert "Image:5" in err and "Traceback" not in err and "Internal" not in err


@pytest.mark.object_store
def test_publish_as_a_member(server, gcs_emulator, bucket, capsys):
    world = World(server, gcs_emulator, bucket, capsys)
    argv = ["ngff", "publish", "Project:1", "--dest", world.dest, "--style", "json",
            *as_olga(server, "alice")]
    rv, out, err = invoke(argv, capsys)
    assert rv == 0, err
    assert {r["status"] for r in json_rows(out)} == {"published"}
    conn = server.connect("root")
    try:
        copies = annotations.read(conn, [1, 2], DEFAULT_NAMESPACE)
    finally:
        conn.close()
    assert {c.owner_id for found in copies.values() for c in found} == {2}   # alice
