"""The README's demo with --serve: its banner's commands work as printed in another shell,
and SIGTERM or SIGHUP stops both servers as Ctrl-C does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]
REPO = Path(__file__).resolve().parents[2]


def start_demo(workdir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """The demo serving, and the lines it printed up to its last suggested command."""
    proc = subprocess.Popen([sys.executable, "-m", "test_infra.demo", "--serve",
                             "--workdir", str(workdir)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    lines: list[str] = []
    deadline = time.monotonic() + 240
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("omero-ngff -h"):
            return proc, lines
    proc.kill()
    raise AssertionError("the demo did not start serving:\n" + "\n".join(lines[-40:]))


def banner_commands(lines: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(lines) if "serving: try these" in line)
    return lines[start + 1:]


def port_open(url: str) -> bool:
    host, port = url.split("//")[-1].split(":")
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, int(port.split("/")[0]))) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_the_serve_banner_works_as_printed_and_a_signal_stops_both_servers(tmp_path, signum):
    proc, lines = start_demo(tmp_path / "demo")
    try:
        commands = banner_commands(lines)
        assert any(line.startswith("index page: http") for line in lines), lines[-30:]
        assert commands[0].endswith("source .venv/bin/activate")
        store = next(c.split("=", 1)[1] for c in commands
                     if c.startswith("export STORAGE_EMULATOR_HOST="))
        omero = next(c for c in commands if c.startswith("omero-ngff locate"))
        server_port = omero.split(" -p ")[1].split()[0]
        script = "\n".join(c.split("   #")[0] for c in commands[:-1])  # without `-h`
        shell = subprocess.run(["bash", "-c", "set -e\n" + script], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
        assert shell.returncode == 0, shell.stderr[-2000:]
        assert "3 images: 3 published" in shell.stdout
        assert port_open(store) and port_open(f"127.0.0.1:{server_port}")
        proc.send_signal(signum)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    with proc.stdout:                                 # type: ignore[union-attr]
        rest = proc.stdout.read()                     # type: ignore[union-attr]
    assert proc.returncode == 0, rest[-2000:]
    assert "demo finished" in rest
    assert not port_open(store) and not port_open(f"127.0.0.1:{server_port}")
