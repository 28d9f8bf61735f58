"""The dev server as a login target: the real omero CLI, omero.client, BlitzGateway."""

import Glacier2
import omero
import pytest

pytestmark = [pytest.mark.devserver]


def test_cli_login_tcp_then_hql(omero_server, omero_cli, capsys):
    cli = omero_cli(["login", *omero_server.cli_login_args("alice")])
    assert cli.rv == 0
    omero_cli(["hql", "-q", "--style", "plain", "--all",
               "select o.id from Project o where o.id in (:ids) order by o.id"],
              strict=False)
    # the CLI cannot pass :ids, so the server must say which parameter is missing
    assert "ids" in capsys.readouterr().err


def test_cli_login_ssl_plain_host(omero_devserver, omero_cli, capsys):
    """A plain host name makes omero-py use SSL, as against a real server."""
    s = omero_devserver
    omero_cli(["login", "-s", "127.0.0.1", "-p", str(s.ssl_port), "-u", "alice",
               "-w", s.password("alice")])
    out = capsys.readouterr()
    assert "Created session for alice@127.0.0.1:%d" % s.ssl_port in out.out + out.err
    assert "Current group: public-lab" in out.out + out.err


def test_cli_login_wrong_password_fails(omero_server, omero_cli):
    args = omero_server.cli_login_args("alice")
    args[args.index("-w") + 1] = "not-the-password"
    with pytest.raises(BaseException):        # the CLI exits non-zero (NonZeroReturnCode)
        omero_cli(["login", *args])


def test_wrong_password_is_permission_denied(omero_server):
    c = omero.client(omero_server.connect_host, omero_server.port)
    try:
        with pytest.raises(Glacier2.PermissionDeniedException):
            c.createSession("alice", "wrong")
    finally:
        c.__del__()


def test_join_session_by_key(omero_server, omero_cli, capsys):
    first = omero_server.client("alice")
    try:
        key = first.getSessionId()
        # omero.client.joinSession is what `omero login -k` uses
        second = omero.client(omero_server.connect_host, omero_server.port)
        try:
            sf = second.joinSession(key)
            ec = sf.getAdminService().getEventContext()
            assert ec.userName == "alice" and ec.sessionUuid == key
        finally:
            second.closeSession()
        cli = omero_cli(["login", "-s", omero_server.connect_host, "-p",
                         str(omero_server.port), "-k", key])
        assert cli.rv == 0
        assert "alice" in capsys.readouterr().err
    finally:
        first.closeSession()


def test_event_context_and_roles(omero_devserver):
    conn = omero_devserver.connect("alice")
    try:
        ec = conn.getEventContext()
        assert (ec.userName, ec.groupName, ec.isAdmin) == ("alice", "public-lab", False)
        assert set(ec.memberOfGroups) >= {3, 1}
        assert str(ec.groupPermissions) == "rwra--"
        roles = conn.getAdminService().getSecurityRoles()
        assert (roles.rootName, roles.systemGroupId) == ("root", 0)
        assert conn.getUser().getName() == "alice"
    finally:
        conn.close()
    root = omero_devserver.connect("root")
    try:
        assert root.getEventContext().isAdmin
        assert root.isAdmin()
    finally:
        root.close()


def test_group_switch_and_non_member_refused(omero_devserver):
    conn = omero_devserver.connect("root", group=None)
    try:
        assert conn.setGroupForSession(4)
        assert conn.getEventContext().groupName == "private-lab"
    finally:
        conn.close()
    alice = omero_devserver.connect("alice", group=None)
    try:
        with pytest.raises(omero.SecurityViolation):
            alice.c.sf.setSecurityContext(omero.model.ExperimenterGroupI(4, False))
        alice.SERVICE_OPTS.setOmeroGroup(4)       # a group she is not a member of
        with pytest.raises(omero.SecurityViolation):
            alice.getQueryService().projection(
                "select i.id from Image i where i.id in (:ids) order by i.id",
                omero.sys.ParametersI().addIds([1]), alice.SERVICE_OPTS)
    finally:
        alice.close()


def test_client_config_and_insecure_router(omero_devserver):
    conn = omero_devserver.connect("alice")
    try:
        cfg = conn.getConfigService()
        assert cfg.getConfigValue("omero.router.insecure").startswith(
            "OMERO.Glacier2/router:tcp -p %d" % omero_devserver.port)
        assert cfg.getClientConfigValues()["omero.client.ui.tree.type_order"] == \
            "tagset,tag,project,dataset,screen,plate,acquisition,image"
        assert cfg.getClientConfigDefaults()["omero.client.viewer.roi_limit"] == "2000"
        assert cfg.getConfigValue("omero.cluster.read_only.runtime.db") == "false"
        with pytest.raises(omero.SecurityViolation):
            cfg.getConfigValue("omero.db.pass")
    finally:
        conn.close()


def test_closed_session_cannot_be_joined(omero_server):
    c = omero_server.client("alice")
    key = c.getSessionId()
    c.killSession()
    other = omero.client(omero_server.connect_host, omero_server.port)
    try:
        with pytest.raises(Glacier2.PermissionDeniedException):
            other.joinSession(key)
    finally:
        other.__del__()


def test_secrets_stay_out_of_the_log(omero_devserver):
    c = omero_devserver.client("alice")
    key = c.getSessionId()
    c.getSession().getQueryService().projection(
        "select o.id from Image o where o.id in (:ids) order by o.id",
        omero.sys.ParametersI().addIds([1]))
    c.closeSession()
    log = (omero_devserver.state_dir / "server.log").read_text()
    assert "Router.createSession(***)" in log
    assert key not in log
    assert omero_devserver.password("alice") not in log


def test_cli_obj_get_respects_permissions(omero_devserver, omero_cli, capsys):
    omero_cli(["login", *omero_devserver.cli_login_args("alice")])
    capsys.readouterr()
    omero_cli(["obj", "get", "Image:1", "name"])
    assert capsys.readouterr().out.strip() == "rgb-slide.ndpi"
    omero_cli(["login", *omero_devserver.cli_login_args("bob")])
    with pytest.raises(BaseException):
        omero_cli(["obj", "get", "Image:1", "name"])     # alice's group: not bob's


def test_sudo_sessions_need_an_admin(omero_devserver):
    """`omero login --sudo`: ISession.createSessionWithTimeouts for another user."""
    import omero.sys
    principal = omero.sys.Principal()
    principal.name, principal.eventType = "alice", "User"
    root = omero_devserver.client("root")
    try:
        made = root.sf.getSessionService().createSessionWithTimeouts(principal, 0, 600000)
        key = made.getUuid().getValue()
    finally:
        root.closeSession()
    joined = omero.client(omero_devserver.connect_host, omero_devserver.port)
    try:
        sf = joined.joinSession(key)
        assert sf.getAdminService().getEventContext().userName == "alice"
    finally:
        joined.closeSession()
    carol = omero_devserver.client("carol")
    try:
        with pytest.raises(omero.SecurityViolation):
            carol.sf.getSessionService().createSessionWithTimeouts(principal, 0, 600000)
    finally:
        carol.closeSession()
