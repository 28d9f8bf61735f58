"""The README's exit-code table is exit_codes.TABLE: same codes, same meanings."""

import re
from pathlib import Path

from omero_cli_ngff import exit_codes

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_table_is_the_table_of_exit_codes():
    section = README.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, re.MULTILINE)
    assert [int(code) for code, _ in rows] == [code for code, _ in exit_codes.TABLE]
    for (_, text), (_, meaning) in zip(rows, exit_codes.TABLE):
        assert text.replace("`", "") == meaning
    assert exit_codes.NAMES[exit_codes.CLAIMED] == "NGFF_CLAIMED"
