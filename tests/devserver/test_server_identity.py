"""The server's identity, as ownership records name it: `IConfig.getDatabaseUuid()` is
open to every user on a real OMERO 5.6 (omero-server ome/logic/ConfigImpl.java,
`@PermitAll public String getDatabaseUuid()`, returning `DatabaseIdentity.getUuid()`),
and the same value as the declared, world-readable key `omero.db.uuid` (omero-common
ome/config.xml). The dev server answers the same way."""

import uuid

import pytest

from omero_cli_ngff.omero_io.identity import database_uuid, user_id

pytestmark = [pytest.mark.devserver]


@pytest.mark.parametrize("user", ["alice", "bob", "root"])
def test_every_user_reads_the_database_uuid(omero_devserver, user):
    conn = omero_devserver.connect(user)
    try:
        got = database_uuid(conn)
        assert str(uuid.UUID(got)) == got
        assert conn.getConfigService().getConfigValue("omero.db.uuid") == got
        assert user_id(conn) == conn.getEventContext().userId
    finally:
        conn.close()


def test_the_uuid_survives_a_restart_and_tells_servers_apart(start_omero_devserver):
    first = start_omero_devserver("demo.yaml")
    other = start_omero_devserver("rois.yaml")
    conns = [s.connect("root") for s in (first, other)]
    try:
        before, elsewhere = (database_uuid(c) for c in conns)
    finally:
        for c in conns:
            c.close()
    assert before != elsewhere
    first.restart()
    conn = first.connect("root")
    try:
        assert database_uuid(conn) == before
    finally:
        conn.close()
