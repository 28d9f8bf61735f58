"""A read-only dev server (``--read-only``) behaves as a read-only OMERO 5.6."""

import omero
import pytest
from omero.gateway import MapAnnotationWrapper     # before omero.cmd: loads omero.model
import omero.cmd  # noqa: E402,I100

from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

NS = "test.devserver/read-only"


@pytest.fixture(scope="module")
def read_only(tmp_path_factory):
    server = start_devserver(tmp_path_factory.mktemp("read-only"), read_only=True)
    yield server
    server.stop()


def new_link(image_id):
    ann = omero.model.MapAnnotationI()
    ann.setNs(omero.rtypes.rstring(NS))
    link = omero.model.ImageAnnotationLinkI()
    link.setParent(omero.model.ImageI(image_id, False))
    link.setChild(ann)
    return link


def test_every_write_is_an_api_usage_exception(read_only):
    """ome/omero-server ``ome/security/basic/EventHandler.invoke``: a method whose
    transaction is not read-only raises ``ApiUsageException("This instance is
    read-only")`` before it runs (mapped by omero-blitz ``IceMapper.handleException``
    to ``omero.ApiUsageException``), not a SecurityViolation."""
    conn = read_only.connect("alice")
    try:
        assert conn.getObject("Image", 1).getName() == "rgb-slide.ndpi"    # reads work
        update = conn.getUpdateService()
        ctx = {"omero.group": "3"}
        writes = [
            lambda: update.saveObject(new_link(1), ctx),
            lambda: update.saveAndReturnObject(omero.model.MapAnnotationI(), ctx),
            lambda: update.deleteObject(omero.model.MapAnnotationI(1, False), ctx),
        ]
        for write in writes:
            with pytest.raises(omero.ApiUsageException) as err:
                write()
            assert not isinstance(err.value, omero.SecurityViolation)
            assert err.value.message == "This instance is read-only"
        ann = MapAnnotationWrapper(conn)
        ann.setNs(NS)
        with pytest.raises(omero.ApiUsageException):
            conn.getObject("Image", 1).linkAnnotation(ann)    # BlitzGateway's way
        assert len(list(conn.getObject("Image", 1).listAnnotations())) == 1
    finally:
        conn.close()


def test_delete2_answers_err_run_fail(read_only):
    """omero-blitz ``omero/cmd/graphs/Delete2I.isReadOnly`` is ``dryRun``: a real
    delete runs in a read-write transaction, which ``EventHandler.invoke`` refuses;
    ``omero/cmd/HandleI.run`` turns the failure into an ERR (``Helper.fail``,
    name "run-fail", the message in its parameters), and BlitzGateway's
    ``deleteObjects(..., wait=True)`` (omero-py ``clients.waitOnCmd``) raises
    ``omero.CmdError``. A dry run is read-only and answers."""
    conn = read_only.connect("alice")
    try:
        conn.SERVICE_OPTS.setOmeroGroup(3)
        with pytest.raises(omero.CmdError) as err:
            conn.deleteObjects("Annotation", [1], wait=True)
        rsp = err.value.err
        assert type(rsp) is omero.cmd.ERR and rsp.name == "run-fail"
        assert rsp.category == "::omero::cmd::Delete2"
        assert rsp.parameters["message"] == "This instance is read-only"
        dry = conn.c.submit(omero.cmd.Delete2(targetObjects={"Annotation": [1]},
                                              dryRun=True), 10, 100)
        assert isinstance(dry.getResponse(), omero.cmd.Delete2Response)
        dry.close(True)
        assert len(list(conn.getObject("Image", 1).listAnnotations())) == 1
    finally:
        conn.close()


def test_any_user_reads_the_runtime_flags(read_only):
    """omero-common ``ome/config.xml`` declares ``omero.cluster.read_only.runtime.db``
    and ``.repo`` with visibility ``all`` (the configured ``omero.cluster.read_only*``
    keys are undeclared: admins only, ``PreferenceContext.canRead``); omero-py
    ``BlitzGateway.canCreate`` reads them with ``getConfigValues``."""
    conn = read_only.connect("carol")
    try:
        cfg = conn.getConfigService()
        assert cfg.getConfigValue("omero.cluster.read_only.runtime.db") == "true"
        assert cfg.getConfigValue("omero.cluster.read_only.runtime.repo") == "true"
        assert cfg.getConfigValues(r"^omero\.cluster\.read_only\.runtime\.") == {
            "omero.cluster.read_only.runtime.db": "true",
            "omero.cluster.read_only.runtime.repo": "true"}
        assert conn.canCreate() is False
        with pytest.raises(omero.SecurityViolation):
            cfg.getConfigValue("omero.cluster.read_only")
    finally:
        conn.close()
    root = read_only.connect("root")
    try:
        assert root.getConfigService().getConfigValue("omero.cluster.read_only") == "true"
    finally:
        root.close()


def test_a_writable_server_says_so(omero_devserver):
    """The same keys on a read-write server (``omero.cluster.read_only.runtime.*`` are
    "false"), so that a client can tell the two apart before writing anything."""
    conn = omero_devserver.connect("carol")
    try:
        assert conn.getConfigService().getConfigValue(
            "omero.cluster.read_only.runtime.db") == "false"
        assert conn.canCreate() is True
    finally:
        conn.close()
