"""The README's exit-code table is the one in exit_codes.py: every class, same words."""

from __future__ import annotations

import re
from pathlib import Path

from omero_cli_ngff import exit_codes

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_table() -> dict[int, str]:
    text = README.read_text()
    section = text[text.index("## Exit codes"):]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", section, flags=re.M)
    return {int(code): meaning.replace("`", "") for code, meaning in rows}


def test_the_readme_lists_every_class_as_the_code_does():
    assert readme_table() == dict(exit_codes.TABLE)
