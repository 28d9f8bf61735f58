"""Each refusal of OMERO reported for what it is (issue #12, points 1, 4 and 6), against
the dev server's behaviours that follow OMERO 5.6 (tests/devserver cite the sources)."""

import time

import pytest
from omero.gateway import MapAnnotationWrapper

from omero_cli_ngff import exit_codes
from omero_cli_ngff.errors import PermissionRefused
from omero_cli_ngff.model.annotation import DEFAULT_NAMESPACE, annotation_values
from omero_cli_ngff.omero_io import annotations
from omero_cli_ngff.omero_io.refusals import DeleteFailed, ServerReadOnly, server_is_read_only
from tests.devserver.test_graph_critical import CATALOGUE as CRITICAL
from tests.devserver.test_group_sudo import CATALOGUE as GROUP_SUDO
from tests.devserver.test_group_sudo import sudo
from tests.helpers.servers import devserver_of

pytestmark = pytest.mark.devserver
NS = DEFAULT_NAMESPACE
VALUES = annotation_values("https://example.org/x.ome.zarr/0/", "0.5")


@pytest.fixture(scope="module")
def read_only(tmp_path_factory):
    srv = devserver_of(tmp_path_factory, "read-only", read_only=True)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def critical(tmp_path_factory):
    srv = devserver_of(tmp_path_factory, "critical", CRITICAL)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    srv = devserver_of(tmp_path_factory, "slow", extra_args=["--delete-ms", "1500"])
    yield srv
    srv.stop()


@pytest.fixture
def connect():
    """connect(server, user) -> a BlitzGateway, closed at the end of the test."""
    opened = []

    def open_conn(server, user):
        opened.append(server.connect(user))
        return opened[-1]

    yield open_conn
    for conn in opened:
        conn.close()


def annotate(conn, image_id, values=None):
    """A map annotation of the namespace, with stock omero-py."""
    ann = MapAnnotationWrapper(conn)
    ann.setNs(NS)
    ann.setValue([[k, v] for k, v in (values or VALUES).items()])
    return conn.getObject("Image", image_id).linkAnnotation(ann).getId()


def copies_of(conn, image_id):
    return annotations.read(conn, [image_id], NS).get(image_id, [])


def test_the_runtime_flag_tells_a_read_only_server(read_only, omero_devserver):
    for server, expected in ((read_only, True), (omero_devserver, False)):
        conn = server.connect("carol")
        try:
            assert server_is_read_only(conn) is expected
        finally:
            conn.close()


def test_a_write_on_a_read_only_server(read_only, connect):
    """ApiUsageException("This instance is read-only") -> ServerReadOnly, exit 8."""
    with pytest.raises(ServerReadOnly) as err:
        annotations.write(connect(read_only, "alice"), 1, 3, NS, VALUES, [])
    assert err.value.exit_code == exit_codes.PERMISSION
    assert "Image:1: the OMERO server is read-only" in str(err.value)


def test_a_delete_on_a_read_only_server(read_only):
    """Delete2 answers ERR run-fail with the read-only message -> ServerReadOnly."""
    conn = read_only.connect("alice")
    try:
        (existing,) = annotations.read(conn, [1], "openmicroscopy.org/omero/client/"
                                       "mapAnnotation")[1]
        with pytest.raises(ServerReadOnly, match="read-only"):
            annotations.remove(conn, [existing])
    finally:
        conn.close()


@pytest.mark.parametrize("user", ["root", "lena"])
def test_graph_critical_is_not_a_read_only_server(critical, connect, user):
    """ReadOnlyGroupSecurityViolation: an admin or the group's owner linking to
    another user's data in a private group; the server is writable."""
    with pytest.raises(PermissionRefused) as err:
        annotations.write(connect(critical, user), 1, 3, NS, VALUES, [])
    assert not isinstance(err.value, ServerReadOnly)
    message = str(err.value)
    assert "ReadOnlyGroupSecurityViolation" in message and "private group" in message
    assert "server is read-only" not in message


def test_a_member_not_granted_is_told_so(critical, connect):
    with pytest.raises(PermissionRefused) as err:
        annotations.write(connect(critical, "lena"), 4, 5, NS, VALUES, [])
    assert not isinstance(err.value, ServerReadOnly)
    assert "not allowed (SecurityViolation: Group is rwr---" in str(err.value)


def test_a_slow_delete_is_waited_for(slow):
    """Delete2 takes 1.5 s: waited for, its answer checked, the annotation gone."""
    conn = slow.connect("alice")
    try:
        annotate(conn, 1)
        (copy,) = copies_of(conn, 1)
        started_at = time.monotonic()
        annotations.remove(conn, [copy])
        assert 1.0 < time.monotonic() - started_at < 5.0
        assert copies_of(conn, 1) == []
    finally:
        conn.close()


def test_a_delete_slower_than_the_timeout_is_reported(slow):
    """Not finished in time: cancelled (HandleI.close), reported, nothing deleted."""
    conn = slow.connect("alice")
    try:
        annotate(conn, 2)
        (copy,) = copies_of(conn, 2)
        with pytest.raises(DeleteFailed, match="did not finish within 1 s"):
            annotations.remove(conn, [copy], timeout=0.6)
        time.sleep(1.5)
        assert [c.annotation_id for c in copies_of(conn, 2)] == [copy.annotation_id]
    finally:
        conn.close()


def test_a_refused_delete_is_a_permission_error(slow):
    """Carol may read alice's annotation in the read-annotate group, not delete it:
    GraphException -> PermissionRefused."""
    alice, carol = slow.connect("alice"), slow.connect("carol")
    try:
        annotate(alice, 3)
        (copy,) = copies_of(carol, 3)
        with pytest.raises(PermissionRefused, match="OMERO refused the delete"):
            annotations.remove(carol, [copy])
        assert len(copies_of(alice, 3)) == 1
    finally:
        alice.close()
        carol.close()


def test_duplicates_left_after_the_write(tmp_path_factory):
    """A group owner's --sudo session writes the annotation but cannot delete the
    duplicates (Delete2 runs in all groups): DuplicatesLeft says both."""
    server = devserver_of(tmp_path_factory, "group-sudo", GROUP_SUDO)
    try:
        conn = sudo(server, "olga", "alice")
        try:
            annotate(conn, 1)
            annotate(conn, 1)
            found = copies_of(conn, 1)
            assert len(found) == 2
            with pytest.raises(annotations.DuplicatesLeft) as err:
                annotations.write(conn, 1, 3, NS, VALUES, found)
            assert "cannot delete" in str(err.value) and "annotated" in str(err.value)
            assert err.value.exit_code == exit_codes.PERMISSION
        finally:
            conn.close()
    finally:
        server.stop()
