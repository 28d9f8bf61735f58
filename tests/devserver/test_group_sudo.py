"""A group owner's sudo session is restricted to the groups they lead (OMERO 5.6)."""

import textwrap

import omero
import pytest
from omero.gateway import BlitzGateway, MapAnnotationWrapper
import omero.cmd  # noqa: E402,I100  (after omero.gateway: loads omero.model)

from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

CATALOGUE = """
groups:
  - {id: 3, name: lab, permissions: rwra--}
  - {id: 4, name: other, permissions: rwra--}
users:
  - {id: 2, name: alice, password: alice-pw, groups: [lab]}
  - {id: 3, name: bob, password: bob-pw, groups: [other, lab]}
  - {id: 4, name: olga, password: olga-pw, groups: [lab, other], leads: [lab]}
  - {id: 5, name: carol, password: carol-pw, groups: [lab]}
projects:
  - {id: 1, name: p, owner: alice, datasets: [{id: 1, name: d, images: [
      {id: 1, name: a.tif, sizeX: 32, sizeY: 32, fileset: {files: [alice_3/a.tif]}}]}]}
"""
CANNOT_CHANGE = "Group-sudo session cannot change context!"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("group-sudo")
    spec = folder / "sudo.yaml"
    spec.write_text(textwrap.dedent(CATALOGUE))
    srv = start_devserver(folder / "state", catalogue=spec)
    yield srv
    srv.stop()


def principal(name, group=None):
    p = omero.sys.Principal()
    p.name, p.group, p.eventType = name, group, "User"
    return p


def sudo(server, sudoer, name, group=None):
    """What ``omero login --sudo`` does (omero-py ``util/sessions.SessionsStore.create``):
    log in as the sudoer, create a session for the user, join it."""
    client = server.client(sudoer)
    try:
        made = client.sf.getSessionService().createSessionWithTimeouts(
            principal(name, group), 0, 600000)
    finally:
        client.closeSession()
    joined = omero.client(server.connect_host, server.port)
    joined.joinSession(made.getUuid().getValue())
    return BlitzGateway(client_obj=joined)


def test_group_owner_session_is_restricted_to_led_groups(server):
    """omero-server ``ome/services/sessions/SessionBean.createSessionWithTimeouts``
    (``@RolesAllowed("user")``): a non-admin's sudo session gets ``groupsLed``, stored
    on the session by ``SessionManagerImpl.define`` (``GROUP_SUDO_NS``); every call
    is then checked by ``ome/security/basic/BasicSecuritySystem.loadEventContext``:
    a group context outside them, ``-1`` included, raises
    ``SecurityViolation("Group-sudo session cannot change context!")``."""
    conn = sudo(server, "olga", "alice")
    try:
        ec = conn.getEventContext()
        assert (ec.userName, ec.groupName) == ("alice", "lab")
        assert ec.sudoerName.getValue() == "olga"
        assert conn.getObject("Image", 1).getName() == "a.tif"   # session group: lab
        conn.SERVICE_OPTS.setOmeroGroup(3)
        assert conn.getObject("Image", 1) is not None
        for group in (-1, 4):
            conn.SERVICE_OPTS.setOmeroGroup(group)
            with pytest.raises(omero.SecurityViolation) as err:
                conn.getObject("Image", 1)
            assert err.value.message == CANNOT_CHANGE
    finally:
        conn.close()


def test_group_sudo_session_cannot_change_its_group(server):
    """``SessionManagerImpl.setSecurityContext`` refuses a group-sudo session."""
    conn = sudo(server, "olga", "alice")
    try:
        with pytest.raises(omero.SecurityViolation) as err:
            conn.c.sf.setSecurityContext(omero.model.ExperimenterGroupI(4, False))
        assert err.value.message == CANNOT_CHANGE
    finally:
        conn.close()


def test_only_into_led_groups(server):
    """``SessionManagerImpl.validateSessionInputs``: the session's group (asked for, or
    the user's default) must be a led group: ``SecurityViolation("Group sudo is not
    permitted for group NAME (gid=ID)")``; a user who leads nothing may not sudo."""
    with pytest.raises(omero.SecurityViolation) as err:
        sudo(server, "olga", "bob")               # bob's default group: other
    assert err.value.message == "Group sudo is not permitted for group other (gid=4)"
    conn = sudo(server, "olga", "bob", group="lab")
    try:
        assert conn.getEventContext().groupName == "lab"
    finally:
        conn.close()
    with pytest.raises(omero.SecurityViolation):
        sudo(server, "carol", "alice")


def test_admin_sudo_is_not_restricted(server):
    """An admin with the Sudo privilege gets ``groupsLed = null`` (SessionBean): no
    group restriction, ``-1`` allowed."""
    conn = sudo(server, "root", "alice")
    try:
        conn.SERVICE_OPTS.setOmeroGroup(-1)
        assert conn.getObject("Image", 1) is not None
        assert conn.getEventContext().sudoerName.getValue() == "root"
    finally:
        conn.close()


def test_group_sudo_delete_runs_in_all_groups_and_fails(server):
    """omero-blitz ``omero/cmd/graphs/Delete2I.getCallContext`` answers
    ``omero.group=-1``, merged over the caller's context (``HandleI.mergeContexts``),
    so for a group-sudo session ``BasicSecuritySystem.loadEventContext`` refuses the
    request and ``HandleI.run`` answers an ERR "run-fail" (read from the sources, not
    run against a real server). The annotation stays."""
    conn = sudo(server, "olga", "alice")
    try:
        ann = MapAnnotationWrapper(conn)
        ann.setNs("test/group-sudo")
        ann_id = conn.getObject("Image", 1).linkAnnotation(ann).getId()
        conn.SERVICE_OPTS.setOmeroGroup(3)
        with pytest.raises(omero.CmdError) as err:
            conn.deleteObjects("Annotation", [ann_id], wait=True)
        assert err.value.err.name == "run-fail"
        assert err.value.err.parameters["message"] == CANNOT_CHANGE
        assert conn.getQueryService().find("MapAnnotation", ann_id, conn.SERVICE_OPTS)
    finally:
        conn.close()


def test_cli_login_sudo_as_group_owner(server, omero_cli, capsys):
    """The real ``omero login --sudo`` works for a group owner on the dev server."""
    cli = omero_cli(["login", "-s", server.connect_host, "-p", str(server.port),
                     "-u", "alice", "-w", "olga-pw", "--sudo", "olga"])
    assert cli.rv == 0
    assert "alice" in capsys.readouterr().err
