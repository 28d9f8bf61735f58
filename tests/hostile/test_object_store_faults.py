"""Object-store errors that outlast the retries are the DESTINATION exit code, with one
line on stderr even with -q (never a traceback), and no secret anywhere: 5xx through
the fault proxy (test_infra/fault_proxy.py) while export and publish write, from the
first write after the preflight on, or for some uploads only."""

from __future__ import annotations

import pytest

from omero_cli_ngff import exit_codes
from tests.hostile.world import HostileWorld, Run, assert_secret_free

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

PASSWORD = "alice-hostile-pw"


@pytest.fixture(scope="module")
def world(tmp_path_factory, gcs_emulator):
    with HostileWorld(tmp_path_factory.mktemp("faults"), gcs_emulator.url,
                      size=1024) as world:
        yield world


@pytest.fixture
def proxied(world, fault_proxy, monkeypatch, fast_gcsfs_retries):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fault_proxy.url)
    return world, fault_proxy


def check(world, run: Run, log=None):
    assert run.code == exit_codes.DESTINATION, run.out + run.err
    assert len(run.err_lines) == 1 and run.err_lines[0].startswith("Error: "), run.err
    assert "Traceback" not in run.err
    texts = [run.out, run.err] + ([log.read_text()] if log is not None and log.exists()
                                  else [])
    assert_secret_free(texts, [world.session_key(), PASSWORD])


@pytest.mark.parametrize("command", ["export", "publish"])
def test_every_write_after_the_preflight_fails(proxied, capfd, tmp_path, command):
    """The storage 500 while writing the root: once 1 (Internal error) with a traceback
    of 146 lines on stderr even with -q."""
    world, proxy = proxied
    proxy.fail(500, path=r"^/(upload|storage)/", skip=2 if command == "export" else 6)
    where = "--output" if command == "export" else "--dest"
    log = tmp_path / "run.log"
    run = world.run(capfd, command, "Image:1", where, f"gs://{world.bucket}/{command}-all",
                    "--log-file", str(log), "-q", "--style", "json")
    check(world, run, log)
    assert "HTTP 500" in run.err_lines[0]
    assert "Traceback" in log.read_text()                 # the full trace is kept there


def test_uploads_failing_for_good_fail_the_image(proxied, capfd, tmp_path):
    world, proxy = proxied
    proxy.fail(503, method="POST|PUT", path=r"^/upload/", skip=4)
    run = world.run(capfd, "publish", "Image:2", "--dest", f"gs://{world.bucket}/some",
                    "-q")
    check(world, run)
    assert run.err_lines[0].startswith("Error: 1 of 1 image failed: Image:2: ")
    assert "HTTP 503" in run.err_lines[0] or "503" in run.err_lines[0]


def test_the_store_failing_from_the_start(proxied, capfd):
    world, proxy = proxied
    proxy.fail(500, path=r"^/(upload|storage)/")
    for command, where in (("export", "--output"), ("publish", "--dest")):
        run = world.run(capfd, command, "Image:1", where, f"gs://{world.bucket}/never",
                        "-q")
        check(world, run)


def test_with_debug_output_nothing_leaks(proxied, capfd, monkeypatch):
    world, proxy = proxied
    monkeypatch.setenv("OMERO_NGFF_DEBUG", "1")
    proxy.fail(500, path=r"^/(upload|storage)/", skip=2)
    run = world.run(capfd, "export", "Image:1", "--output", f"gs://{world.bucket}/debug",
                    "-q")
    assert run.code == exit_codes.DESTINATION
    assert_secret_free([run.out, run.err], [world.session_key(), PASSWORD])
