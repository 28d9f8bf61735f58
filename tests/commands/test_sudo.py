"""`--sudo`: an admin acts as another user; what is written belongs to that user."""

import pytest

import json

from tests.helpers.cli import invoke
from omero_cli_ngff.omero_io import annotations
from omero_cli_ngff.model.annotation import DEFAULT_NAMESPACE, annotation_values
from omero_cli_ngff import exit_codes
from tests.helpers.publish import CATALOGUE, env_isolated

pytestmark = [pytest.mark.devserver]


def sudo_args(server, user):
    return ["-s", server.connect_host, "-p", str(server.port), "-u", user,
            "--sudo", "root", "-w", server.password("root")]


@pytest.mark.object_store


def test_publish_with_sudo_writes_as_the_user(start_omero_devserver, gcs_emulator, bucket,
                                              capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    server = start_omero_devserver(CATALOGUE)
    rv, out, err = invoke(["ngff", "publish", "Image:1", "--dest", f"gs://{bucket}/data",
                           "--style", "json", *sudo_args(server, "alice")], capsys)
    assert rv == 0, err
    conn = server.connect("root")
    try:
        (copy,) = annotations.read(conn, [1], DEFAULT_NAMESPACE)[1]
        alice = conn.getObject("Experimenter", attributes={"omeName": "alice"})
    finally:
        conn.close()
    assert copy.owner_id == alice.getId()


def test_sudo_sees_what_the_user_sees_not_what_root_sees(start_omero_devserver, capsys,
                                                          monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    server = start_omero_devserver(CATALOGUE)
    rv, out, err = invoke(["ngff", "locate", "Project:1", "--missing", "--style", "json",
                           *sudo_args(server, "bob")], capsys)
    assert rv == exit_codes.NOT_FOUND        # alice's project: not bob's to read
    rv, out, err = invoke(["ngff", "locate", "Project:1", "--missing", "--style", "json",
                           "-s", server.connect_host, "-p", str(server.port), "-u", "root",
                           "-w", server.password("root")], capsys)
    assert rv == 0 and json.loads(out.splitlines()[-1])
