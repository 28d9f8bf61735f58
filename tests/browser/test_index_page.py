"""The index page in a real browser (headless Chromium through the DevTools protocol),
loaded from fake-gcs-server's public URL after `omero ngff publish`: the table lists
the published images, search and filters answer, thumbnails load, and the viewer links
carry the URLs model/viewers.py makes. A screenshot is kept in out/browser/."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest

from omero_cli_ngff.model import viewers
from test_infra.browser import Browser, browser_or_fail
from tests.helpers.publish import CATALOGUE, SMALL, World, env_isolated

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

OUTPUT = Path(os.environ.get("OMERO_NGFF_TEST_OUTPUT",
                             Path(__file__).resolve().parents[2] / "out")) / "browser"
KV_NS = "openmicroscopy.org/omero/client/mapAnnotation"

ROW_LINKS = """[...document.querySelectorAll('#rows tr')].map(tr => ({
  id: Number(tr.dataset.image),
  name: tr.querySelector('td.name').textContent,
  links: Object.fromEntries([...tr.querySelectorAll('td.links a')]
                            .map(a => [a.className, a.href]))}))"""
THUMBS_LOADED = ("document.images.length > 0 && [...document.images].every("
                 "i => i.complete && i.naturalWidth > 0)")


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    server = start_omero_devserver(CATALOGUE)
    w = World(server, gcs_emulator, bucket, capsys)
    rv, _, err = w.publish("Project:1", "--index-namespace", KV_NS)
    assert rv == 0, err
    return w


@pytest.fixture
def browser():
    with Browser(browser_or_fail()) as b:
        yield b


def test_the_page_lists_filters_and_links_the_published_images(world, browser):
    state = browser.load(world.public("index.html"))
    assert state["state"] == "ready", state
    assert (state["entries"], state["rows"]) == (str(len(SMALL)), str(len(SMALL)))
    rows = browser.evaluate(ROW_LINKS)
    assert sorted(r["id"] for r in rows) == SMALL
    copies = {i: c[0] for i, c in world.copies(SMALL).items()}
    for row in rows:
        copy = copies[row["id"]]
        for viewer in viewers.VIEWERS:
            assert row["links"][viewer] == viewers.link(viewer, copy.zarr_path,
                                                        copy.ngff_version, row["name"])
        assert row["links"]["zarr"] == copy.zarr_path
    browser.wait(THUMBS_LOADED)
    assert browser.evaluate("document.images.length") == len(SMALL)
    browser.screenshot(OUTPUT / "index-page.png")


def test_search_and_key_value_filters_answer(world, browser):
    browser.load(world.public("index.html"))
    browser.evaluate("location.hash = 'q=float'")
    browser.wait("document.body.dataset.matches === '1'")
    assert browser.evaluate(ROW_LINKS)[0]["name"] == "float.tif"
    browser.evaluate("location.hash = 'q=multi.lif'")
    browser.wait("document.body.dataset.matches === '2'")
    browser.evaluate("location.hash = 'q=&field=kv:stain&value=" + quote("h&e") + "'")
    browser.wait("document.body.dataset.matches === '1'")
    assert [r["id"] for r in browser.evaluate(ROW_LINKS)] == [1]
    browser.evaluate("location.hash = 'q=&field=pixel_type&value=uint16'")
    browser.wait("document.body.dataset.matches === '3'")
    # typing in the search box filters too
    browser.evaluate("""(() => { location.hash = ''; const s = document.getElementById('search');
        document.getElementById('value').value = ''; s.value = 'small-types';
        s.dispatchEvent(new Event('input')); })()""")
    browser.wait("document.body.dataset.matches === '3'")
