"""Read-only detection: any user reads the server's runtime flag, the plugin agrees
with stock omero-py, and on a read-only server publish changes nothing (exit 8)."""

import pytest

from omero_cli_ngff.omero_io.refusals import READ_ONLY_KEY, server_is_read_only
from tests.contract.conftest import FLAT
from tests.helpers.cli import invoke
from tests.helpers.verify import FolderServer


def servers(contract_server, read_only_server):
    return [s for s in (contract_server, read_only_server) if s is not None]


def test_any_user_reads_the_flag(contract_server, read_only_server, connect):
    for server in servers(contract_server, read_only_server):
        conn = connect("alice", server)
        value = conn.getConfigService().getConfigValue(READ_ONLY_KEY)
        assert value in ("true", "false")
        assert server_is_read_only(conn) is (value == "true") is server.read_only
        assert conn.canCreate() is not server.read_only           # stock omero-py


def test_publish_on_a_read_only_server_changes_nothing(read_only_server, content,
                                                       cli_env, capsys):
    if read_only_server is None:
        pytest.fail("no read-only server: give OMERO_NGFF_TEST_READ_ONLY_SERVER "
                    "(see tests/contract/conftest.py)")
    dest = cli_env / "dest"
    dest.mkdir()
    with FolderServer(dest) as www:
        rv, _, err = invoke(["ngff", "publish", f"Image:{content.images[FLAT]}",
                             "--dest", str(dest), "--public-url", www.url,
                             *read_only_server.cli_login_args("alice")], capsys)
    assert rv == 8, err
    assert "read-only" in err and "Traceback" not in err
    assert list(dest.iterdir()) == []
