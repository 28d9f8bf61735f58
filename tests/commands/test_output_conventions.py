"""#13 through the real CLI: output that never cuts a URL or an id (to a pipe and on an
80-column terminal), omero-py's style names, one vocabulary, a missing image said alike
by locate and verify, export's progress total, and publish's checks before any login."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from rich import filesize

from omero_cli_ngff import exit_codes
from test_infra.omero_fixtures import start_devserver
from tests.helpers.cli import invoke

pytestmark = pytest.mark.devserver

REPO = Path(__file__).resolve().parents[2]
NS = "jax.org/public/zarr"
# Longer than a terminal line: each must reach stdout whole, on one line.
BASE = ("https://storage.googleapis.com/a-bucket-with-a-long-name/facility/"
        "projects/2024/whole-slide-images/0.5")
URLS = {image_id: f"{BASE}/{image_id}.ome.zarr/0/" for image_id in (9007199254740001,
                                                                  9007199254740002)}
CATALOGUE = """
groups:
  - {id: 3, name: lab, permissions: rwra--}
users:
  - {id: 2, name: alice, password: alice-pw, groups: [lab]}
projects:
  - id: 1
    name: slides
    owner: alice
    datasets:
      - id: 1
        name: published
        images:
""" + "".join(f"""          - {{id: {image_id}, name: "slide {image_id} with a long name.ndpi",
             sizeX: 64, sizeY: 64,
             annotations: [{{ns: {NS}, values: {{zarr_path: "{url}",
               ngff_version: "0.5", zarr_conversion_date: "2024-05-01T10:00:00+00:00"}}}}]}}
""" for image_id, url in URLS.items()) + """      - id: 2
        name: unpublished
        images:
          - {id: 5, name: never.tif, sizeX: 64, sizeY: 64}
          - {id: 6, name: also-never.tif, sizeX: 64, sizeY: 64}
"""
ANSI = re.compile(r"\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A read-only dev server of CATALOGUE (these commands only read)."""
    base = tmp_path_factory.mktemp("conventions")
    (base / "catalogue.yaml").write_text(CATALOGUE)
    srv = start_devserver(base / "state", catalogue=base / "catalogue.yaml", read_only=True)
    yield srv
    srv.stop()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """The environment of a run: sessions and the user folder of this test only, 80
    columns, no defaults file."""
    values = {"OMERO_SESSIONDIR": str(tmp_path / "sessions"),
              "OMERO_USERDIR": str(tmp_path / "userdir"), "COLUMNS": "80"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OMERO_NGFF_DEFAULTS", raising=False)
    monkeypatch.delenv("OMERO_NGFF_SERVER_DEFAULTS", raising=False)
    return dict(os.environ, PYTHONPATH=str(REPO))


def piped(env, *argv: str) -> subprocess.CompletedProcess:
    """`omero-ngff ARGV` with stdout a pipe (as in a CI log or `| tee`)."""
    return subprocess.run([sys.executable, "-m", "omero_cli_ngff", *argv], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=180)


def on_terminal(env, *argv: str, columns: int = 80) -> tuple[int, str]:
    """`omero-ngff ARGV` on a pseudo-terminal `columns` wide: (exit code, what it drew
    with its escape sequences removed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "omero_cli_ngff", *argv], cwd=REPO,
                            env=dict(env, TERM="xterm-256color"), stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while select.select([master], [], [], 180)[0]:
        try:
            data = os.read(master, 65536)
        except OSError:                  # EIO: the other end is closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return proc.wait(timeout=60), ANSI.sub("", text)


def assert_whole(text: str) -> None:
    """Every URL and id on one line, byte for byte."""
    lines = text.splitlines()
    for image_id, url in URLS.items():
        assert any(url in line for line in lines), f"{url} cut in:\n{text}"
        assert any(str(image_id) in line for line in lines), f"{image_id} cut in:\n{text}"


# -- point 5: nothing cut ---------------------------------------------------------------

@pytest.mark.parametrize("command", ["locate", "verify"])
def test_a_pipe_gets_every_url_and_id_whole_at_80_columns(server, env, command):
    extra = ["--sample", "0"] if command == "verify" else []
    run = piped(env, command, "Dataset:1", *extra, *server.cli_login_args("alice"))
    assert run.returncode in (exit_codes.OK, exit_codes.UNSOUND), run.stderr
    assert_whole(run.stdout)
    assert "…" not in run.stdout


def test_an_80_column_terminal_gets_every_url_on_one_line(server, env):
    code, text = on_terminal(env, "locate", "Dataset:1", *server.cli_login_args("alice"))
    assert code == exit_codes.OK, text
    assert_whole(text)
    assert "Published copies" in text and "URL: " in text      # one block per record


@pytest.mark.parametrize("style", ["table", "sql", "csv", "plain", "json"])
def test_every_style_keeps_urls_and_ids_whole_in_process(server, env, capsys, style):
    code, out, _ = invoke(["ngff", "locate", "Dataset:1", "--style", style,
                           *server.cli_login_args("alice")], capsys)
    assert code == exit_codes.OK
    assert_whole(out)


# -- point 6: omero-py's styles, one document ------------------------------------------

def test_style_help_names_omero_styles_and_this_default(env, capsys):
    code, out, _ = invoke(["ngff", "verify", "-h"], capsys)
    flat = " ".join(out.split())
    assert "{table,sql,csv,plain,json}" in flat
    assert "table: a table for people (default)" in flat


def test_sql_and_plain_mean_what_they_mean_in_omero(server, env, capsys):
    login = server.cli_login_args("alice")
    _, sql, _ = invoke(["ngff", "locate", "Dataset:1", "--style", "sql", *login], capsys)
    lines = sql.splitlines()
    assert lines[0].split("|")[0].strip() == "image_id" and set(lines[1]) == {"-", "+"}
    assert lines[-1] == "(2 rows)"
    _, plain, _ = invoke(["ngff", "locate", "Dataset:1", "--style", "plain", *login],
                         capsys)
    rows = list(csv.reader(io.StringIO(plain)))        # csv rows, without the header
    assert [int(r[0]) for r in rows] == sorted(URLS)


def test_locate_prints_one_typed_document(server, env, capsys):
    code, out, _ = invoke(["ngff", "locate", "Project:1", "--style", "json",
                           *server.cli_login_args("alice")], capsys)
    doc = json.loads(out)
    assert code == exit_codes.OK
    assert doc["summary"]["images"] == 4 and doc["summary"]["not_published"] == 2
    by_id = {i["image_id"]: i for i in doc["images"]}
    assert {i: by_id[i]["url"] for i in URLS} == URLS                   # byte for byte
    assert all(isinstance(i["problems"], list) for i in doc["images"])


# -- point 7: one vocabulary -----------------------------------------------------------

def test_one_image_is_one_image(server, env, capsys):
    login = server.cli_login_args("alice")
    first = min(URLS)
    _, out, _ = invoke(["ngff", "locate", f"Image:{first}", *login], capsys)
    assert "1 image: 1 published, 0 not published" in out
    _, out, _ = invoke(["ngff", "verify", "Image:5", *login], capsys)
    assert "1 image: 0 sound, 0 with warnings, 0 unsound, 1 not published" in out


def test_locate_and_verify_say_not_published_and_have_titles_of_their_own(server, env,
                                                                          capsys):
    login = server.cli_login_args("alice")
    _, located, _ = invoke(["ngff", "locate", "Dataset:2", "--style", "json", *login],
                           capsys)
    assert {i["status"] for i in json.loads(located)["images"]} == {"not published"}
    _, verified, _ = invoke(["ngff", "verify", "Dataset:2", "--style", "json", *login],
                            capsys)
    assert {i["status"] for i in json.loads(verified)["images"]} == {"not published"}
    _, loc_table, _ = invoke(["ngff", "locate", "Dataset:1", *login], capsys)
    _, ver_table, _ = invoke(["ngff", "verify", "Dataset:1", "--sample", "0", *login],
                             capsys)
    assert loc_table.splitlines()[0] == "Published copies"
    assert ver_table.splitlines()[0] == "Verified copies"
    for table in (loc_table, ver_table):
        assert "┃ URL " in table and "┃ url " not in table and "┃ image " in table


@pytest.mark.parametrize("objects", ["Image:5,99999", "Image:99999"])
def test_a_missing_image_is_the_same_error_in_locate_and_verify(server, env, capsys,
                                                                objects):
    said = {}
    for command in ("locate", "verify"):
        code, _, err = invoke(["ngff", command, objects, *server.cli_login_args("alice")],
                              capsys)
        assert code == exit_codes.NOT_FOUND, (command, err)
        said[command] = [line for line in err.splitlines() if "99999" in line]
    assert said["locate"] == said["verify"] == [
        "Error: Image:99999: does not exist or is not readable"]


def test_verify_is_not_ok_when_an_object_is_missing(server, env, capsys):
    code, out, _ = invoke(["ngff", "verify", "Image:5,99999", "--style", "json",
                           *server.cli_login_args("alice")], capsys)
    summary = json.loads(out)["summary"]
    assert code == exit_codes.NOT_FOUND
    assert summary["ok"] is False and summary["missing_objects"] == ["Image:99999"]


# -- point 11: no server needed, no login ----------------------------------------------

def wrong_port(server) -> list[str]:
    args = server.cli_login_args("alice")
    args[args.index("-p") + 1] = "1"            # nothing listens: a login would fail
    return args


def test_publish_without_dest_fails_before_any_login(server, env, capsys):
    code, _, err = invoke(["ngff", "publish", "Image:5", *wrong_port(server)], capsys)
    assert code == exit_codes.USAGE, err
    assert "no destination" in err and "log in" not in err


def test_server_defaults_when_enabled_are_read_after_a_login(server, env, capsys,
                                                             monkeypatch):
    monkeypatch.setenv("OMERO_NGFF_SERVER_DEFAULTS", "1")
    code, _, err = invoke(["ngff", "publish", "Image:5", *wrong_port(server)], capsys)
    assert code == exit_codes.CONNECTION, err           # it tried: the switch is read


def test_a_local_defaults_file_can_enable_them(server, env, capsys, tmp_path, monkeypatch):
    path = tmp_path / "defaults.ini"
    path.write_text("[defaults]\nserver_defaults = yes\n")
    monkeypatch.setenv("OMERO_NGFF_DEFAULTS", str(path))
    code, _, err = invoke(["ngff", "publish", "Image:5", *wrong_port(server)], capsys)
    assert code == exit_codes.CONNECTION, err


@pytest.mark.parametrize("argv", [
    ["publish", "Image:5", "--dest", "gs://b/p", "--namespace", "openmicroscopy.org/omero/x"],
    ["verify", "Image:5", "--fix", "--namespace", "openmicroscopy.org/omero/x"],
])
def test_a_forbidden_namespace_is_refused_before_any_login(server, env, capsys, argv):
    code, _, err = invoke(["ngff", *argv, *wrong_port(server)], capsys)
    assert code == exit_codes.USAGE and "namespace" in err and "log in" not in err, err


def test_remote_arguments_are_checked_before_any_login(server, env, capsys):
    code, _, err = invoke(["ngff", "publish", "Image:5", "--dest", "gs://b/p",
                           "--remote", "google-batch", *wrong_port(server)], capsys)
    assert code == exit_codes.USAGE and "--batch-project" in err, err


# -- point 8: export's progress total is the bytes reported -----------------------------

def test_export_progress_total_is_the_bytes_of_its_table(server, env, tmp_path):
    code, text = on_terminal(env, "export", "Dataset:2", "--output", str(tmp_path / "out"),
                             *server.cli_login_args("alice"))
    assert code == exit_codes.OK, text
    table = text[text.index("Export to "):]         # 80 columns: one block per record
    table_bytes = [int(b) for b in re.findall(r"\bbytes (\d+)", table)]
    assert len(table_bytes) == 2, text
    totals = re.findall(r"^written\s.*?(\d[\d.]* [kMG]?B)\b", text, re.M)
    assert totals and totals[-1] == filesize.decimal(sum(table_bytes)), text
