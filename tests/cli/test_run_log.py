"""cli.run_log: one line per record, secrets and session UUIDs scrubbed, nothing a
library logs reaches stderr unless debugging."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from omero_cli_ngff.cli import run_log
from omero_cli_ngff.cli.sanitise import forget_secrets, register_secret

REPO = Path(__file__).resolve().parents[2]
KEY = "0a1b2c3d-2222-4e86-a5c2-0123456789ab"
OTHER_UUID = "ffffffff-3333-4e86-a5c2-0123456789ab"


@pytest.fixture
def secret():
    forget_secrets()
    register_secret(KEY, "a-long-password")
    yield
    forget_secrets()


def test_log_file_lines_are_text_without_secrets(tmp_path, secret):
    path = tmp_path / "run.log"
    run = run_log.start(str(path))
    log = logging.getLogger("omero_cli_ngff.test")
    try:
        log.info("image %s named %r", 1, "evil\n2024-01-01 ERROR forged\x1b[2J")
        log.debug("key %s password a-long-password", KEY)
        try:
            raise RuntimeError(f"Ice says id = {OTHER_UUID} (session {KEY})")
        except RuntimeError:
            log.exception("failed")
        logging.getLogger("omero.gateway").warning("a library's warning %s", KEY)
    finally:
        run_log.stop(run)
    text = path.read_text()
    assert KEY not in text and OTHER_UUID not in text and "a-long-password" not in text
    assert "\x1b" not in text
    assert "evil\\n2024-01-01 ERROR forged\\x1b[2J" in text
    assert not any(line.startswith("2024-01-01 ERROR forged") for line in text.splitlines())
    assert "Traceback (most recent call last):" in text       # the full trace is kept
    assert "a library's warning ***" in text
    assert logging.getLogger().handlers == [h for h in logging.getLogger().handlers
                                            if h not in run.handlers]


@pytest.mark.parametrize("debug", ["", "1"])
def test_a_librarys_traceback_reaches_stderr_only_when_debugging(debug):
    code = ("import logging\nfrom omero_cli_ngff.cli import run_log\n"
            "run = run_log.start(None)\n"
            "try:\n    raise ValueError('boom')\nexcept ValueError:\n"
            "    logging.getLogger('omero.gateway').exception('failed')\n"
            "run_log.stop(run)\n")
    env = {"PYTHONPATH": str(REPO), "OMERO_NGFF_DEBUG": debug, "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, cwd=REPO, timeout=60)
    assert result.returncode == 0
    assert ("Traceback" in result.stderr) is bool(debug), result.stderr
