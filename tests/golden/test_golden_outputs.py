"""The four commands' output in every style on the demo catalogue, held against golden
files (tests/golden/outputs/). A change of output must be meant: rerun with
OMERO_NGFF_UPDATE_GOLDEN=1 to write the new files, and review their diff.

One sequence on a fresh dev server and bucket: exit-codes; export; publish --dry-run;
publish (fresh, then the no-op reruns); locate (table, styles, --urls, --missing,
--viewer, reverse lookup); verify; two usage and not-found errors.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest

from test_infra.fake_gcs import create_bucket
from tests.golden.normalise import normalise
from tests.helpers.cli import invoke

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

OUTPUTS = Path(__file__).parent / "outputs"
UPDATE = os.environ.get("OMERO_NGFF_UPDATE_GOLDEN") == "1"
STYLES = ("table", "sql", "json", "csv", "plain")
PROJECT = "Project:3"
BUCKET = "golden"


class Golden:
    """Runs commands, normalises their output, compares or writes the golden files."""

    def __init__(self, capsys, tmp: str):
        self.capsys = capsys
        self.tmp = tmp
        self.mismatches: list[str] = []
        self.seen: set[str] = set()

    def run(self, name: str, argv: list[str], style: str = "", csv_text: str = "",
            stderr: bool = False) -> str:
        argv = list(argv) + (["--style", style] if style else [])
        code, out, err = invoke(argv, self.capsys)
        text = f"$ exit {code}\n" + normalise(out, style or "table", self.tmp, csv_text)
        if stderr:
            text += "stderr:\n" + normalise(err, "table", self.tmp)
        self._compare(name + (f".{style}" if style else ""), text)
        return out

    def styles(self, name: str, argv) -> dict[str, str]:
        """Each style (argv: a list, or a function of the style giving one); plain is
        normalised with the header of the csv run. Returns each style's stdout."""
        csv_text = ""
        outs = {}
        for style in STYLES:
            out = self.run(name, argv(style) if callable(argv) else argv, style, csv_text)
            outs[style] = out
            if style == "csv":
                csv_text = out
        return outs

    def _compare(self, name: str, text: str) -> None:
        assert name not in self.seen, f"two golden outputs named {name}"
        self.seen.add(name)
        path = OUTPUTS / f"{name}.txt"
        if UPDATE:
            OUTPUTS.mkdir(exist_ok=True)
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            self.mismatches.append(f"{name}:\n--- expected\n"
                                   f"{path.read_text() if path.exists() else '(none)'}"
                                   f"--- got\n{text}")


@pytest.fixture
def golden_world(start_omero_devserver, gcs_emulator, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("OMERO_SESSIONDIR", str(tmp_path / "sessions"))
    server = start_omero_devserver()
    with contextlib.suppress(Exception):   # the bucket of an earlier run of this test
        create_bucket(gcs_emulator.url, BUCKET)
    return server, gcs_emulator


def test_outputs_match_the_golden_files(golden_world, capsys, tmp_path):
    server, gcs = golden_world
    login = server.cli_login_args("alice")
    prefix = "data"
    dest = f"gs://{BUCKET}/{prefix}"
    public = f"{gcs.url}/{BUCKET}/{prefix}"
    golden = Golden(capsys, str(tmp_path))

    for style in STYLES:
        golden.run("exit-codes", ["ngff", "exit-codes"], style)

    documents = {}
    documents["export"] = golden.styles(
        "export", lambda style: ["ngff", "export", PROJECT, "--output",
                                 str(tmp_path / f"export-{style}"), "-q", *login])
    publish = ["ngff", "publish", PROJECT, "--dest", dest, "--public-url", public,
               "--parallel-images", "1", "-q", *login]
    golden.styles("publish-dry-run", publish + ["--dry-run"])
    golden.run("publish-first", publish, "table")
    documents["publish"] = golden.styles("publish-rerun", publish)

    locate = ["ngff", "locate", PROJECT, *login]
    documents["locate"] = golden.styles("locate", locate)
    golden.run("locate-urls", locate + ["--urls"])
    golden.run("locate-missing", ["ngff", "locate", "Project:1", "--missing", *login])
    golden.run("locate-viewer", locate + ["--viewer", "vizarr"])
    url = f"{public}/0.5/40.ome.zarr/0/"
    golden.run("locate-reverse", ["ngff", "locate", url, *login])
    golden.run("locate-reverse", ["ngff", "locate", url, *login], "json")

    documents["verify"] = golden.styles("verify", ["ngff", "verify", PROJECT, "--sample", "1",
                                                   *login])
    golden.run("error-usage", ["ngff", "locate", "5", *login], stderr=True)
    golden.run("error-not-found", ["ngff", "locate", "Image:99999", *login], stderr=True)

    assert not golden.mismatches, "\n\n".join(golden.mismatches)
    for command, outs in documents.items():
        assert_one_document_shape(command, json.loads(outs["json"]))
    verified = json.loads(documents["verify"]["json"])["summary"]
    # "0 sound, 3 with warnings" and exit 0: not all sound, but ok
    assert (verified["sound"], verified["warnings"]) == (0, 3)
    assert verified["all_sound"] is False and verified["ok"] is True


def assert_one_document_shape(command: str, doc: dict) -> None:
    """#13: every command prints {"summary": {...}, "images": [...]}, typed: ids are
    ints, absent values null (never ""), problems a list of {code, severity, message}."""
    assert isinstance(doc, dict) and set(doc) >= {"summary", "images"}, command
    assert isinstance(doc["summary"], dict) and doc["summary"]["images"] == 3, command
    assert len(doc["images"]) == 3, command
    for image in doc["images"]:
        assert isinstance(image["image_id"], int), command
        assert "" not in image.values(), (command, image)
        assert isinstance(image["problems"], list), command
        for problem in image["problems"]:
            assert {"code", "severity", "message"} <= set(problem), command
            assert problem["severity"] in ("error", "warning"), command
