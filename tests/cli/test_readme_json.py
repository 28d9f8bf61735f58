"""The README's JSON example is verify's document as the golden run prints it: the same
keys at every level (a change of shape must change both)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_example() -> dict:
    [block] = re.findall(r"```json\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return json.loads(block)


def golden_verify() -> dict:
    text = (ROOT / "tests" / "golden" / "outputs" / "verify.json.txt").read_text()
    return json.loads(text.splitlines()[1])


def test_the_readme_shows_the_document_verify_prints():
    shown, printed = readme_example(), golden_verify()
    assert list(shown) == list(printed)
    assert list(shown["summary"]) == list(printed["summary"])
    assert [list(i) for i in shown["images"]][1] == list(printed["images"][0])
    problem = shown["images"][1]["problems"][0]
    assert list(problem) == list(printed["images"][0]["problems"][0])
    assert shown["summary"]["all_sound"] is False and shown["summary"]["ok"] is True
