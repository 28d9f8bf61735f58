"""The styles are listed once (cli.styles): argparse's choices and the renderer agree,
omero-py's names are all there, and table stays this tool's default."""

from __future__ import annotations

import pytest

from omero_cli_ngff.cli.output import Output, renderer
from omero_cli_ngff.cli.styles import DEFAULT_STYLE, FOR_PEOPLE, PAGE_STYLES, STYLES
from tests.helpers.cli import invoke


def test_omero_py_styles_are_all_offered_and_table_is_the_default():
    assert {"sql", "csv", "plain", "json"} <= set(STYLES)     # omero/util/text.py
    assert DEFAULT_STYLE == "table" and FOR_PEOPLE == ("table",)


@pytest.mark.parametrize("style", list(STYLES))
def test_every_style_has_its_renderer(style):
    assert callable(renderer(Output(style)))


@pytest.mark.parametrize("command", ["export", "publish", "locate", "verify", "exit-codes"])
def test_every_command_offers_the_same_styles(command, capsys):
    """...and locate the index page besides (the only command with a page style)."""
    code, out, _ = invoke(["ngff", command, "-h"], capsys)
    styles = list(STYLES) + (list(PAGE_STYLES) if command == "locate" else [])
    assert code == 0 and "{" + ",".join(styles) + "}" in "".join(out.split())
