"""The index page as text: one file with its script inline, loading index.json beside
it, or holding entries that cannot end their <script> element."""

import json
import re

from omero_cli_ngff.model.index_entry import IndexEntry
from omero_cli_ngff.workflows.index_page import render_page


def test_the_bucket_page_loads_the_manifest_beside_it():
    page = render_page()
    assert page.startswith("<!DOCTYPE html>")
    assert "__SCRIPT__" not in page and "__ENTRIES__" not in page
    assert 'new URL("index.json", location.href)' in page
    assert re.search(r'<script id="inline-entries" type="application/json">null</script>',
                     page)


def test_inline_entries_cannot_end_their_script_element():
    evil = "</script><script>alert(1)</script>&<!--"
    page = render_page(entries=[IndexEntry(5, evil, "https://x.org/5/", "0.5",
                                           pairs={"k": evil})])
    data = page.split('<script id="inline-entries" type="application/json">', 1)[1]
    data = data.split("</script>", 1)[0]
    assert "<" not in data and ">" not in data and "&" not in data
    entries = json.loads(data)
    assert entries[0]["name"] == evil and entries[0]["pairs"] == {"k": evil}
    assert page.count("</script>") == 2            # the data's and the script's own
