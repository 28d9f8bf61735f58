"""Malformed arguments are the USAGE exit code, one line, before any login: the login
arguments name a port where nothing listens, so a login would be the CONNECTION code."""

from __future__ import annotations

import pytest

from omero_cli_ngff import exit_codes
from test_infra.fake_gcs import free_port
from tests.helpers.cli import invoke

COMMANDS = {
    "export": ["export", "{obj}", "--output", "/tmp/never-written"],
    "publish": ["publish", "{obj}", "--dest", "gs://bucket/data"],
    "locate": ["locate", "{obj}"],
    "verify": ["verify", "{obj}"],
}
BAD_IDS = ["Image:99999999999999999999999", "Image:9223372036854775808",
           "Dataset:1,18446744073709551616", "Image:" + "9" * 5000, "Image:1e5",
           "Image:١٢٣", "Image:-1", "Project:", "Image:\x1b[2J"]
BAD_DESTINATIONS = ["gs://", "s3://x", "gs://UPPER/x", "gs://b/x?y=1", "gs://bucket/\x1b[2J"]


@pytest.fixture
def dead_login(tmp_path, monkeypatch):
    monkeypatch.setenv("OMERO_SESSIONDIR", str(tmp_path / "sessions"))
    return ["-s", "tcp://127.0.0.1", "-p", str(free_port()), "-u", "alice", "-w",
            "alice-pw", "-q"]


def usage_error(argv, capsys, login):
    code, out, err = invoke(["ngff", *argv, *login], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == exit_codes.USAGE, err
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "\x1b" not in err and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("obj", BAD_IDS)
def test_unparseable_and_too_large_ids(command, obj, capsys, dead_login):
    argv = [a.replace("{obj}", obj) for a in COMMANDS[command]]
    line = usage_error(argv, capsys, dead_login)
    assert len(line) < 400


def test_the_largest_id_is_accepted_then_looked_up(capsys, dead_login):
    code, _, err = invoke(["ngff", "locate", "Image:9223372036854775807", *dead_login],
                          capsys)
    assert code == exit_codes.CONNECTION, err          # parsed, then the login failed


@pytest.mark.parametrize("dest", BAD_DESTINATIONS)
@pytest.mark.parametrize("how", [["publish", "Image:1", "--dest"],
                                 ["export", "Image:1", "--output"],
                                 ["locate", "Image:1", "--dest"],
                                 ["verify", "Image:1", "--dest"],
                                 ["verify", "Image:1", "--orphans"]])
def test_malformed_destinations(how, dest, capsys, dead_login):
    usage_error([*how, dest], capsys, dead_login)


@pytest.mark.parametrize("public", ["javascript:alert(1)", "https://user:pw@cdn.example/x",
                                    "ftp://x/y", "https://x/a?b=1"])
def test_malformed_public_urls(public, capsys, dead_login):
    line = usage_error(["publish", "Image:1", "--dest", "gs://bucket/data",
                        "--public-url", public], capsys, dead_login)
    assert "--public-url" in line


def test_a_login_that_fails_is_one_line(capsys, dead_login):
    code, _, err = invoke(["ngff", "locate", "Image:1", *dead_login], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == exit_codes.CONNECTION
    assert len(lines) == 1 and lines[0].startswith("Error: cannot log in to OMERO: "), err
