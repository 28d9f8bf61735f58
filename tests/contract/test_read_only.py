"""Read-only detection: any user reads the server's runtime flag, the plugin agrees
with stock omero-py, and on a read-only server publish changes nothing (exit 8)."""

import pytest

from omero_cli_ngff.omero_io.refusals import READ_ONLY_KEY, server_is_read_only
from tests.contract.conftest import FLAT
from tests.contract.test_annotate_delete import publish

pytestmark = pytest.mark.devserver   # the dev server, unless a real one is given


def servers(contract_server, read_only_server):
    return [s for s in (contract_server, read_only_server) if s is not None]


def test_any_user_reads_the_flag(contract_server, read_only_server, connect):
    for server in servers(contract_server, read_only_server):
        conn = connect("alice", server)
        value = conn.getConfigService().getConfigValue(READ_ONLY_KEY)
        assert value in ("true", "false")
        assert server_is_read_only(conn) is (value == "true") is server.read_only
        assert conn.canCreate() is not server.read_only           # stock omero-py


def test_publish_on_a_read_only_server_changes_nothing(read_only_server, content, www,
                                                       capsys):
    if read_only_server is None:
        pytest.fail("no read-only server: give OMERO_NGFF_TEST_READ_ONLY_SERVER "
                    "(see tests/contract/conftest.py)")
    rv, _, err = publish(read_only_server, capsys, www, content.images[FLAT],
                         "test.omero-cli-ngff/contract/read-only",
                         read_only_server.cli_login_args("alice"))
    assert rv == 8, err
    assert "read-only" in err and "Traceback" not in err
    assert list(www[0].iterdir()) == []
