"""Login and session reuse: `omero login` once, then the plugin's commands run on the
stored session without credentials, and leave it for the next command."""

import pytest

from tests.contract.conftest import need_user
from tests.helpers.cli import invoke, json_rows

pytestmark = pytest.mark.devserver   # the dev server, unless a real one is given


def test_commands_reuse_the_stored_session(contract_server, content, cli_env, capsys):
    password = need_user(contract_server, "alice")
    rv, _, err = invoke(["login", "-s", contract_server.connect_host, "-p",
                         str(contract_server.port), "-u", "alice", "-w", password], capsys)
    assert rv == 0, err
    for _ in range(2):          # the first command leaves the session for the second
        rv, out, err = invoke(["ngff", "locate", f"Project:{content.project}", "--missing",
                               "--style", "json"], capsys)
        assert rv == 0, err
        assert "Created session" not in err
        assert sorted(r["image_id"] for r in json_rows(out)) == content.dataset_images
    rv, out, err = invoke(["sessions", "list"], capsys)
    assert rv == 0 and out.count("alice") == 1          # one session, still there
    assert password not in out + err


def test_a_wrong_password_is_one_line(contract_server, content, cli_env, capsys):
    rv, out, err = invoke(["ngff", "locate", f"Project:{content.project}", "-s",
                           contract_server.connect_host, "-p", str(contract_server.port),
                           "-u", "alice", "-w", "not-the-password"], capsys)
    assert rv != 0
    assert "Traceback" not in err and "not-the-password" not in out + err
