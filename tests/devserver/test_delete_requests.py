"""Delete2 is asynchronous, takes time (``--delete-ms``), and answers failures as ERR."""

import time

import omero
import pytest
from omero.gateway import MapAnnotationWrapper     # before omero.cmd: loads omero.model
import omero.cmd  # noqa: E402,I100

from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

NS = "test.devserver/delete"


def annotate(conn, image_id):
    ann = MapAnnotationWrapper(conn)
    ann.setNs(NS)
    ann.setValue([["k", "v"]])
    return conn.getObject("Image", image_id).linkAnnotation(ann).getId()


def exists(conn, ann_id):
    return conn.getQueryService().find("MapAnnotation", ann_id, {"omero.group": "-1"}) \
        is not None


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    server = start_devserver(tmp_path_factory.mktemp("slow-delete"),
                             extra_args=["--delete-ms", "1500"])
    yield server
    server.stop()


def test_response_comes_later_and_the_callback_is_told(slow):
    """omero-blitz ``omero/cmd/HandleI``: the request runs in the background,
    ``getResponse()`` is null until it is done, then ``notifyCallbacks`` calls
    ``finished`` on every callback added by the client; omero-py
    ``clients.waitOnCmd`` (``callbacks.CmdCallbackI.loop``) wakes up on it rather
    than waiting out its 10 x 500 ms."""
    conn = slow.connect("alice")
    try:
        ann_id = annotate(conn, 1)
        handle = conn.c.sf.submit(omero.cmd.Delete2(targetObjects={"Annotation": [ann_id]}),
                                  {"omero.group": "3"})
        assert handle.getResponse() is None and exists(conn, ann_id)
        start = time.monotonic()
        cb = conn.c.waitOnCmd(handle, loops=10, ms=500, closehandle=True)
        waited = time.monotonic() - start
        rsp = cb.getResponse()
        assert isinstance(rsp, omero.cmd.Delete2Response)
        assert rsp.deletedObjects["ome.model.annotations.MapAnnotation"] == [ann_id]
        assert 1.0 < waited < 3.0          # told when done, not after 5 s of polling
        assert not exists(conn, ann_id)
    finally:
        conn.close()


def test_closing_a_running_handle_cancels_it(slow):
    """``HandleI.close`` on a request not yet finished cancels it
    (``closeWithoutNotification`` -> ``cancel``): the response is an ERR named
    "cancel-called" (``Helper.cancel``) with the flags FAILURE and CANCELLED, and
    nothing is deleted."""
    conn = slow.connect("alice")
    try:
        ann_id = annotate(conn, 2)
        handle = conn.c.sf.submit(omero.cmd.Delete2(targetObjects={"Annotation": [ann_id]}),
                                  {"omero.group": "3"})
        assert handle.cancel() is True
        rsp, status = handle.getResponse(), handle.getStatus()
        assert type(rsp) is omero.cmd.ERR and rsp.name == "cancel-called"
        assert omero.cmd.State.CANCELLED in status.flags
        handle.close()
        time.sleep(1.8)
        assert exists(conn, ann_id)
    finally:
        conn.close()


def test_refused_delete_is_a_graph_exception(slow):
    """omero-blitz ``omero/cmd/graphs/Delete2I.step`` turns what the graph traversal
    refuses into ``omero.cmd.GraphException`` (an ERR, name "graph-fail");
    BlitzGateway's ``deleteObjects(..., wait=True)`` raises ``omero.CmdError``
    carrying it (omero-py ``clients.waitOnCmd``), not a ServerError. Carol may read
    alice's annotation in the read-annotate group, not delete it."""
    alice, carol = slow.connect("alice"), slow.connect("carol")
    try:
        ann_id = annotate(alice, 3)
        carol.SERVICE_OPTS.setOmeroGroup(3)
        with pytest.raises(omero.CmdError) as err:
            carol.deleteObjects("Annotation", [ann_id], wait=True)
        rsp = err.value.err
        assert isinstance(rsp, omero.cmd.GraphException) and rsp.name == "graph-fail"
        assert rsp.category == "::omero::cmd::Delete2" and rsp.message
        assert exists(alice, ann_id)
    finally:
        alice.close()
        carol.close()


def test_gateway_wait_gives_up_after_five_seconds_and_cancels(start_omero_devserver):
    """omero-py ``BlitzGateway.deleteObjects(..., wait=True)`` waits with
    ``_waitOnCmd`` (10 x 500 ms, ``failontimeout=False``) and then closes the handle
    in ``finally``: a delete slower than that is cancelled silently
    (``HandleI.close``), the call returns without error and nothing is deleted."""
    server = start_omero_devserver(extra_args=["--delete-ms", "6500"])
    conn = server.connect("alice")
    try:
        ann_id = annotate(conn, 1)
        conn.SERVICE_OPTS.setOmeroGroup(3)
        start = time.monotonic()
        conn.deleteObjects("Annotation", [ann_id], wait=True)       # no error
        assert 4.5 < time.monotonic() - start < 6.5
        time.sleep(1.5)
        assert exists(conn, ann_id)
    finally:
        conn.close()
