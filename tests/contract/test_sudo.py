"""--sudo: an admin acting as a member writes as that member; a group owner's sudo
session (restricted by OMERO to the groups the owner leads, no omero.group=-1) runs
every query in those groups."""

import pytest

from tests.contract.conftest import FLAT, admin_name, need_user
from tests.contract.test_annotate_delete import publish
from tests.helpers.cli import invoke, json_rows

pytestmark = pytest.mark.devserver   # the dev server, unless a real one is given


def sudo_args(server, user, sudoer):
    return ["-s", server.connect_host, "-p", str(server.port), "-u", user,
            "--sudo", sudoer, "-w", need_user(server, sudoer)]


def test_admin_sudo_writes_as_the_member(contract_server, content, connect, www,
                                         capsys, namespace):
    image_id = content.images[FLAT]
    rv, rows, err = publish(contract_server, capsys, www, image_id, namespace,
                            sudo_args(contract_server, "alice", admin_name(contract_server)))
    assert rv == 0, err
    assert [r["status"] for r in rows] == ["published"]
    image = connect("alice").getObject("Image", image_id)
    (ann,) = list(image.listAnnotations(ns=namespace))
    assert ann.getDetails().getOwner().getOmeName() == "alice"


def test_group_owner_sudo_resolves_and_reads(contract_server, content, cli_env, capsys):
    rv, out, err = invoke(["ngff", "locate", f"Project:{content.project}",
                           f"Screen:{content.screen}", "--missing", "--style", "json",
                           *sudo_args(contract_server, "alice", "olga")], capsys)
    assert rv == 0, err
    assert sorted(r["image_id"] for r in json_rows(out)) == sorted(
        content.dataset_images + content.plate_images)
    rv, out, err = invoke(["ngff", "export", f"Image:{content.images[FLAT]}", "--output",
                           str(cli_env / "out"), "--style", "json",
                           *sudo_args(contract_server, "alice", "olga")], capsys)
    assert rv == 0, err
    assert [r["status"] for r in json_rows(out)] == ["written"]
