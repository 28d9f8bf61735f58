"""Hostile names and annotation values x the four commands x every --style: nothing is
executed (no markup, no escape sequence, no link but validated URLs), followed (no
redirect to another host, no other scheme), read without bound, or leaked (no session
key, no password); every style keeps one record per row; foreign copies are marked.

One dev server, hostile host and bucket for the module (tests/hostile/world.py); the
table style also runs on a pseudo-terminal, where Rich draws colours and links.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from omero_cli_ngff import exit_codes
from omero_cli_ngff.model.urls import is_public_url
from tests.hostile.world import (
    IMAGES,
    HostileWorld,
    assert_links_show_their_targets,
    assert_no_control,
    assert_secret_free,
    inert,
    link_targets,
)

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

STYLES = ("table", "sql", "json", "csv", "plain")
csv.field_size_limit(10**7)             # a zarr_path of 100,000 characters is one field
MARKUP = "[link=javascript:alert(1)]innocent[/link]"


@pytest.fixture(scope="module")
def world(tmp_path_factory, gcs_emulator):
    with HostileWorld(tmp_path_factory.mktemp("hostile"), gcs_emulator.url,
                      size=32 * 1024 * 1024) as world:
        yield world


@pytest.fixture(scope="module")
def published(world, gcs_emulator):
    """Images 1 and 8 published by alice (home copies), then the hostile annotations."""
    import os

    from tests.helpers.cli import invoke
    os.environ["OMERO_SESSIONDIR"] = str(world.sessions)
    code, out, err = invoke(["ngff", "publish", "Image:1,8", "--dest", world.dest,
                             "--style", "json", "-q", *world.login()])
    assert code == 0, err
    world.write_hostile_annotations()
    return world


def secrets(world):
    return [world.session_key(), "alice-hostile-pw", "mallory-hostile-pw"]


def check(world, run, style, rows_expected=None):
    """What every output must be, whatever the command."""
    texts = [run.out, run.err]
    assert "Traceback" not in run.err and "Internal error" not in run.err, run.err
    assert_secret_free(texts, secrets(world))
    for text in texts:
        assert_no_control(text, allowed="\n" + ("\t" if style in ("plain", "csv") else ""))
        assert all(t.startswith(("http://", "https://")) for t in link_targets(text))
    if style == "json":
        lines = [line for line in run.out.splitlines() if line.strip()]
        docs = [json.loads(line) for line in lines]       # every line one JSON value
        return docs[-1]
    if style == "csv":
        rows = list(csv.reader(io.StringIO(run.out)))
        assert all(len(r) == len(rows[0]) for r in rows), rows
        return rows
    if style == "plain":
        lines = run.out.splitlines()                  # omero-py's plain: csv, no header
        records = list(csv.reader(io.StringIO(run.out)))
        assert len(records) == len(lines), lines                        # one record a line
        assert len({len(r) for r in records}) <= 1, records
        if rows_expected is not None:
            assert len(lines) == rows_expected
        return lines
    assert MARKUP in run.out or MARKUP[:20] in run.out or not rows_expected
    return run.out


# -- locate --------------------------------------------------------------------------------

def _locate_rows(world, capsys, style):
    run = world.run(capsys, "locate", "Project:1", "--dest", world.dest, "--style", style)
    assert run.code == exit_codes.OK, run.err
    return run, check(world, run, style, rows_expected=None)


@pytest.mark.parametrize("style", STYLES)
def test_locate(published, capsys, style):
    world = published
    run, parsed = _locate_rows(world, capsys, style)
    if style == "json":
        parsed = parsed["images"]
        statuses = {}
        for row in parsed:
            statuses.setdefault(row["image_id"], []).append(row["status"])
        assert sorted(statuses[1]) == ["foreign", "malformed"]       # two: duplicates
        assert statuses[8] == ["published"]
        assert set(statuses[2]) == set(statuses[4]) == {"malformed"}
        assert statuses[6] == ["foreign"] and statuses[7] == ["foreign"]
        assert {row["name"] for row in parsed if row["image_id"] == 1} == {MARKUP}
        assert any(row["name"] == "tab\there\nnew line\rcarriage" for row in parsed)
    elif style == "csv":
        assert parsed[0][:2] == ["image_id", "name"] and len(parsed) == 1 + 11
        assert [r[1] for r in parsed if r[0] == "5"][0] == "tab\there\nnew line\rcarriage"
    elif style == "plain":
        assert len(parsed) == 11 and any("tab\\there\\nnew line\\rcarriage" in p
                                         for p in parsed)
    else:
        assert "foreign" in run.out and "foreign-url" in run.out
        assert "\\x1b[2J\\x1b[Hcleared the screen" in run.out


def test_locate_urls_lists_only_home_copies(published, capsys):
    world = published
    run = world.run(capsys, "locate", "Project:1", "--dest", world.dest, "--urls")
    assert run.code == exit_codes.OK
    check(world, run, "plain")
    urls = run.out.split()
    assert urls and all(u.startswith(world.home + "/") for u in urls), urls
    assert "foreign copy" in run.err and "javascript" not in run.out


def test_locate_viewer_links_are_labelled_when_foreign(published, capsys):
    world = published
    run = world.run(capsys, "locate", "Project:1", "--dest", world.dest, "--viewer",
                    "vizarr", "--style", "json")
    rows = check(world, run, "json")["images"]
    for row in rows:
        if row["status"] == "foreign":
            assert row["viewer"]                               # offered, but labelled
        if not is_public_url(row["url"]):
            assert row["viewer"] is None                       # never for a bad URL
    table = world.run(capsys, "locate", "Project:1", "--dest", world.dest, "--viewer",
                      "vizarr")
    check(world, table, "table")
    foreign_links = [line for line in table.out.splitlines() if "foreign: https://" in line]
    assert foreign_links


def test_locate_without_a_destination_says_copies_were_not_judged(published, capsys):
    run = published.run(capsys, "locate", "Project:1")
    assert run.code == exit_codes.OK
    check(published, run, "table")
    assert "not checked against a destination" in run.err
    assert "foreign" not in run.out.split("Image:")[0]


# -- verify --------------------------------------------------------------------------------

@pytest.mark.parametrize("style", STYLES)
def test_verify(published, capsys, style):
    world = published
    before = len(world.hostile.visited("/visited"))
    run = world.run(capsys, "verify", "Project:1", "--dest", world.dest, "--sample", "1",
                    "--style", style)
    assert run.code == exit_codes.UNSOUND, run.err
    parsed = check(world, run, style)
    assert len(world.hostile.visited("/visited")) == before       # no redirect followed
    assert not world.hostile.visited("/etc")
    if style == "json":
        codes = {p["code"] for image in parsed["images"] for p in image["problems"]}
        assert {"bad-url", "foreign-url", "fetch-refused", "too-large"} <= codes, codes
        sound = [i for i in parsed["images"] if i["image_id"] == 8]
        assert sound[0]["status"] in ("sound", "warnings")       # plain http: a warning
    elif style == "table":
        assert "\\x1b" in run.out or "\\u202e" in run.out


# -- export --------------------------------------------------------------------------------

@pytest.mark.parametrize("style", STYLES)
def test_export(published, capsys, style, tmp_path):
    world = published
    run = world.run(capsys, "export", "Project:1", "--output", str(tmp_path / "out"),
                    "--name-by", "name", "--style", style, "-q")
    assert run.code == exit_codes.OK, run.err
    check(world, run, style, rows_expected=len(IMAGES))
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(written) == len(IMAGES)
    assert all("\x1b" not in name and "\n" not in name and "/" not in name
               for name in written)


# -- publish -------------------------------------------------------------------------------

@pytest.mark.parametrize("style", STYLES)
def test_publish_dry_run(published, capsys, style):
    world = published
    run = world.run(capsys, "publish", "Project:1", "--dest", world.dest, "--dry-run",
                    "--style", style, "-q")
    # hostile annotations of another user are reported and left alone (#11): they
    # never fail an image, and nothing is fetched on their word
    assert run.code == exit_codes.OK, run.out + run.err
    check(world, run, style, rows_expected=len(IMAGES))
    if style == "json":
        reasons = " ".join(row["reason"] for row in json.loads(run.out)["images"])
        assert "left alone" in reasons


# -- on a terminal -------------------------------------------------------------------------

TERMINAL = {
    "locate": ["locate", "Project:1", "--viewer", "vizarr"],
    "verify": ["verify", "Project:1", "--sample", "0"],
    "export": ["export", "Project:1", "--output", "{tmp}"],
    "publish": ["publish", "Project:1", "--dry-run"],
}


@pytest.mark.parametrize("command", list(TERMINAL))
def test_on_a_terminal_rich_draws_only_its_own_sequences(published, command, tmp_path):
    world = published
    argv = [a.replace("{tmp}", str(tmp_path / "out")) for a in TERMINAL[command]]
    run = world.run_terminal(*argv, "--dest" if command != "export" else "--overwrite",
                             *([world.dest] if command != "export" else []))
    assert run.code in (exit_codes.OK, exit_codes.UNSOUND, exit_codes.DESTINATION), \
        run.out[-2000:]
    assert "\x1b[" in run.out                                  # Rich did draw colours
    assert_no_control(run.out)
    assert_secret_free([run.out], secrets(world))
    assert_links_show_their_targets(run.out)
    assert "javascript" not in "".join(link_targets(run.out))
    assert "[link=javascript:alert(1)]" in inert(run.out).replace("\n", "") or \
        "[link=javascript:alert" in inert(run.out)


def test_publish_over_hostile_annotations(published, capsys):
    """Last: it changes the annotations the tests above read."""
    world = published
    run = world.run(capsys, "publish", "Project:1", "--dest", world.dest, "--style",
                    "json", "-q")
    rows = check(world, run, "json")["images"]
    # another user's hostile annotations are left alone (#11): every image is published
    assert run.code == exit_codes.OK, run.err
    assert {r["image_id"] for r in rows} == set(IMAGES)
    assert not [line for line in run.err_lines if line.startswith("Error:")]


@pytest.mark.parametrize("style", STYLES)
def test_verify_orphans_with_hostile_object_names(published, capsys, style):
    """Names from a bucket are data too: a group whose key holds escapes and markup."""
    import json as _json

    from test_infra.fake_gcs import put_object
    from test_infra.hostile_http import OK_GROUP

    world = published
    key = "data/orphan\x1b[2J[link=javascript:alert(1)]x\x1b]0;t\x07\t.ome.zarr/zarr.json"
    put_object(world.gcs_url, world.bucket, key, _json.dumps(OK_GROUP).encode())
    run = world.run(capsys, "verify", "Image:8", "--orphans", world.dest, "--sample", "0",
                    "--style", style)
    assert run.code == exit_codes.OK, run.err
    check(world, run, style)
    assert "orphan" in run.out
    if style == "plain":                      # its public URL, quoted as URLs are
        assert "orphan%1B%5B2J%5Blink%3Djavascript%3Aalert%281%29%5Dx%1B" in run.out
