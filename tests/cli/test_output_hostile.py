"""The renderer with hostile values: every Output method x every style, on a terminal
(Rich's colours and hyperlinks on) and off. Nothing a value holds is interpreted:
no markup, no escape sequence of its own, no hyperlink but validated URLs with their
own text, and one record per row in every style."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rich.console import Console

from omero_cli_ngff.cli.output import CELL_LIMIT, Output
from omero_cli_ngff.cli.sanitise import forget_secrets, register_secret

HOSTILE = {
    "markup-link": "[link=javascript:alert(1)]innocent[/link]",
    "closing-tag": "a[/]b[/bold]",
    "style": "[bold red on white]loud",
    "emoji": ":skull: :warning:",
    "clear-screen": "\x1b[2J\x1b[Hcleared",
    "osc8-link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "osc-title": "\x1b]0;pwned\x07",
    "csi-c1": "\x9b31mred",
    "tabs-newlines": "tab\there\nnew\rline",
    "nul": "nul\x00byte",
    "bidi": "\u202egnp.exe",
    "long": "x" * 5000,
    "javascript-url": "javascript:alert(1)",
    "credentials-url": "https://user:secret@evil.example/x/",
}
GOOD_URL = "https://storage.googleapis.com/bucket/data/1.ome.zarr/0/"
STYLES = ("table", "sql", "json", "csv", "plain")
COLUMNS = ["image_id", "name", "url", "status"]
KEY = "0a1b2c3d-1111-4e86-a5c2-0123456789ab"
# Escape sequences Rich itself writes on a terminal: colours (SGR) and OSC 8 hyperlinks.
SGR = re.compile(r"\x1b\[[0-9;]*m")
# ... and, drawing progress: hide/show the cursor, erase the line, move up.
LIVE = re.compile(r"\x1b\[\?25[lh]|\x1b\[2K|\x1b\[[0-9]*A")
OSC8 = re.compile(r"\x1b\]8;([^;\x1b]*);([^\x1b]*)\x1b\\")


def rows():
    return [[i, value, value if i % 2 else GOOD_URL, f"s{KEY}"]
            for i, value in enumerate(HOSTILE.values())]


def output(style, terminal, capsys):
    out = Output(style)
    if terminal:                                       # as on a pseudo-terminal
        out.out = Console(file=io.StringIO(), force_terminal=True, width=400,
                          soft_wrap=True, highlight=False, markup=False, emoji=False,
                          color_system="truecolor")
        out.err = Console(file=io.StringIO(), force_terminal=True, width=400,
                          soft_wrap=True, highlight=False, markup=False, emoji=False,
                          color_system="truecolor")
    return out


def written(out, capsys):
    captured = capsys.readouterr()
    text = captured.out + captured.err
    for console in (out.out, out.err):
        if isinstance(console.file, io.StringIO):
            text += console.file.getvalue()
    return text


def assert_inert(text):
    """Only Rich's own SGR colours and OSC 8 links to validated URLs; no other escape,
    no control character but newlines (and tabs and CR where a style quotes them)."""
    for target in [m.group(2) for m in OSC8.finditer(text) if m.group(2)]:
        assert target.startswith("https://storage.googleapis.com/"), target
    bare = OSC8.sub("", LIVE.sub("", SGR.sub("", text)))
    assert "\x1b" not in bare and "\x9b" not in bare and "\x00" not in bare
    assert "\u202e" not in bare and "\x07" not in bare
    assert KEY not in text
    assert "javascript:" not in "".join(m.group(2) for m in OSC8.finditer(text))


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")          # wide: values are not folded
    forget_secrets()
    register_secret(KEY)
    yield
    forget_secrets()


@pytest.mark.parametrize("terminal", [False, True])
@pytest.mark.parametrize("style", STYLES)
def test_tables_keep_values_as_text(style, terminal, capsys):
    out = output(style, terminal, capsys)
    out.table("Published [/] \x1b[2J", COLUMNS, rows(), footer="[bold]f[/]\x1b]0;t\x07")
    text = written(out, capsys)
    assert_inert(text)
    count = len(HOSTILE)
    if style == "json":
        doc = json.loads(text)
        assert [r["name"] for r in doc] == list(HOSTILE.values())     # exact values
        assert all(r["status"] == "s***" for r in doc)
    elif style == "csv":
        parsed = list(csv.reader(io.StringIO(text)))
        assert parsed[0] == COLUMNS and len(parsed) == count + 1
        assert all(len(r) == len(COLUMNS) for r in parsed)
        assert parsed[1 + list(HOSTILE).index("tabs-newlines")][1] == "tab\there\nnew\rline"
    elif style == "sql":                                # omero-py's sql: padded, | between
        lines = text.splitlines()
        assert len(lines) == count + 3 and lines[-1] == f"({count} rows)"
        assert set(lines[1]) == {"-", "+"} and "tab\\there\\nnew\\rline" in text
    elif style == "plain":
        lines = text.splitlines()                     # omero-py's plain: csv, no header
        assert len(lines) == count
        assert all(len(r) == len(COLUMNS) for r in csv.reader(io.StringIO(text)))
        assert "tab\\there\\nnew\\rline" in text
    else:
        assert "[link=javascript:alert(1)]innocent[/link]" in text
        assert "a[/]b[/bold]" in text and ":skull:" in text and "\\x1b[2J" in text
        assert "Published [/] \\x1b[2J" in text and "… (" in text        # long: cut
        assert "x" * (CELL_LIMIT + 1) not in text.replace("\n", "")


@pytest.mark.parametrize("terminal", [False, True])
@pytest.mark.parametrize("style", STYLES)
def test_messages_keep_values_as_text(style, terminal, capsys):
    out = output(style, terminal, capsys)
    for value in HOSTILE.values():
        out.problem(1, "error", "code[/]", value)
        out.text(value)
        out.line(value)
        out.info(value)
        out.warn(value)
        out.error(value)
    out.document({"images": list(HOSTILE.values()), KEY: KEY})
    text = written(out, capsys)
    assert_inert(text)
    for value in ("[link=javascript:alert(1)]innocent[/link]", "\\x1b[2J\\x1b[Hcleared"):
        assert value in text


def test_progress_descriptions_are_text(capsys):
    out = output("table", True, capsys)
    with out.progress() as progress:
        task = progress.add_task(HOSTILE["osc8-link"] + HOSTILE["markup-link"], total=2)
        progress.update(task, description=HOSTILE["clear-screen"] + KEY, advance=1)
        progress.advance(task)
    text = written(out, capsys)
    assert_inert(text)
    assert "\\x1b[2J" in text


def test_a_validated_url_is_a_hyperlink_with_its_own_text(capsys):
    out = output("table", True, capsys)
    out.table("t", ["url", "viewer"], [[GOOD_URL, "https://hms-dbmi.github.io/vizarr/?"
                                        "source=https://x.example/a/"],
                                       ["javascript:alert(1)", "foreign: https://x/"]])
    text = written(out, capsys)
    links = [m.group(2) for m in OSC8.finditer(text) if m.group(2)]
    assert GOOD_URL in links and all(not link.startswith("javascript") for link in links)
    assert not any(link.startswith("foreign") for link in links)
