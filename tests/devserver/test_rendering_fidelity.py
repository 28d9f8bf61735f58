"""The rendering engine as a real server runs it: a pending pyramid, missing settings."""

import textwrap

import omero
import pytest

from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

CATALOGUE = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users: [{id: 2, name: alice, password: alice-pw, groups: [lab]}]
images:
  - {id: 1, name: fresh.tif, owner: alice, sizeX: 64, sizeY: 48, sizeC: 2,
     renderingDef: false, fileset: {files: [alice_3/fresh.tif]},
     channels: [{name: DAPI, color: 0000FF}, {name: GFP, color: 00FF00}]}
"""


@pytest.fixture(scope="module", params=["read-write", "read-only"])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rendering-" + request.param)
    spec = folder / "rendering.yaml"
    spec.write_text(textwrap.dedent(CATALOGUE))
    srv = start_devserver(folder / "state", catalogue=spec,
                          read_only=request.param == "read-only")
    yield srv
    srv.stop()


def test_pending_pyramid_channels_have_no_rendering_engine(omero_devserver):
    """omero-server ``ome/services/RenderingBean.load`` opens the pixel buffer
    (``getPixelBuffer``), which raises ``MissingPyramidException`` while the pyramid is
    built (omero-romio ``PixelsService.handleMissingPyramid``), a
    ``ConcurrencyException``; omero-py ``ImageWrapper.getChannels`` swallows it and
    returns channels loaded by query, without a rendering engine: ``getColor()`` is
    None, labels still come from the logical channels. ``lookupPixels`` itself reads
    only the pixels description and succeeds."""
    conn = omero_devserver.connect("alice")
    try:
        image = conn.getObject("Image", 13)               # demo: pyramid: pending
        channels = image.getChannels()
        assert len(channels) == 3
        assert all(ch.getColor() is None for ch in channels)
        assert [ch.getLabel() for ch in channels] == ["0", "1", "2"]
        re = conn.c.sf.createRenderingEngine()
        try:
            pid = image.getPixelsId()
            re.lookupPixels(pid, conn.SERVICE_OPTS)
            assert re.lookupRenderingDef(pid, conn.SERVICE_OPTS)
            with pytest.raises(omero.MissingPyramidException) as err:
                re.load(conn.SERVICE_OPTS)
            assert isinstance(err.value, omero.ConcurrencyException)
            assert err.value.pixelsID == pid
        finally:
            re.close()
    finally:
        conn.close()


def test_creating_default_settings_is_a_write(server):
    """Without rendering settings (neither the caller's nor the owner's:
    omero-server ``PixelsImpl.retrieveRndSettings``), ``RenderingBean.lookupRenderingDef``
    answers false and omero-py ``ImageWrapper._prepareRE`` calls
    ``resetDefaultSettings(True)``, which saves new settings
    (``RenderingBean.internalReset`` -> ``_resetDefaults``, a read-write transaction):
    a read-only server refuses it (``EventHandler.invoke``: ``ApiUsageException``),
    and ``getChannels()`` does not swallow that (only ``ConcurrencyException``);
    ``getChannels(noRE=True)`` is a read and works everywhere."""
    conn = server.connect("alice")
    try:
        image = conn.getObject("Image", 1)
        assert [ch.getLabel() for ch in image.getChannels(noRE=True)] == ["DAPI", "GFP"]
        if server.read_only:
            with pytest.raises(omero.ApiUsageException) as err:
                image.getChannels()
            assert err.value.message == "This instance is read-only"
        else:
            assert [ch.getColor().getHtml() for ch in image.getChannels()] == \
                ["0000FF", "00FF00"]
            again = conn.c.sf.createRenderingEngine()     # the settings now exist
            try:
                again.lookupPixels(image.getPixelsId(), conn.SERVICE_OPTS)
                assert again.lookupRenderingDef(image.getPixelsId(), conn.SERVICE_OPTS)
            finally:
                again.close()
    finally:
        conn.close()
