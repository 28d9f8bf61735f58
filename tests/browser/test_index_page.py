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


def test_locate_style_html_prints_the_page_with_its_entries(world, browser, tmp_path):
    from tests.helpers.cli import invoke
    argv = ["ngff", "locate", "Image:1,3", "--style", "html", "--dest", world.dest,
            "--public-url", world.public().rstrip("/"), "--index-namespace", KV_NS]
    rv, out, err = invoke(argv + world.server.cli_login_args("alice"), world.capsys)
    assert rv == 0, err
    page = tmp_path / "page.html"
    page.write_text(out)
    state = browser.load(page.as_uri())
    assert (state["state"], state["entries"]) == ("ready", "2"), state
    rows = {r["id"]: r for r in browser.evaluate(ROW_LINKS)}
    assert sorted(rows) == [1, 3]
    copy = world.copies([1])[1][0]
    assert rows[1]["links"]["vizarr"] == viewers.link("vizarr", copy.zarr_path)
    browser.wait(THUMBS_LOADED)                # the index's thumbnails, by URL


def test_hostile_values_stay_text(browser, tmp_path):
    from omero_cli_ngff.model.index_entry import IndexEntry
    from omero_cli_ngff.workflows.index_page import render_page
    evil = "</script><script>document.body.dataset.pwned='1'</script><b>x</b>"
    entry = IndexEntry(7, evil, "javascript:alert(1)//", "0.5", pairs={evil: evil},
                       thumbnail="javascript:alert(2)")
    page = tmp_path / "evil.html"
    page.write_text(render_page(entries=[entry]))
    state = browser.load(page.as_uri())
    assert state["state"] == "ready" and "pwned" not in state
    assert browser.evaluate("document.querySelector('td.name').textContent") == evil
    assert browser.evaluate("document.querySelectorAll('td.links a, #rows img').length") == 0
