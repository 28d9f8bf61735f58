"""The first set-up compiles zeroc-ice for minutes: scripts/with_progress.sh says it is
still running at least every N seconds, and how long it took (tested here with a
stand-in slow command; scripts/build_ice_wheel.sh runs the compile through it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "with_progress.sh"


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), "--every", "1", "stand-in", "--", *command],
                          capture_output=True, text=True, timeout=60)


def test_a_slow_command_reports_progress_and_its_total_time():
    result = run("bash", "-c", "sleep 3.2; echo built")
    assert result.returncode == 0
    assert result.stdout == "built\n"                 # the command's own output untouched
    lines = result.stderr.splitlines()
    still = [line for line in lines if "stand-in: still running" in line]
    assert len(still) >= 2                            # one at least every second
    assert lines[-1].strip().startswith("stand-in: done in 0 min ")


def test_a_failing_command_keeps_its_exit_status():
    result = run("bash", "-c", "sleep 1.5; exit 3")
    assert result.returncode == 3
    assert "stand-in: failed after" in result.stderr and "(exit 3)" in result.stderr


def test_the_zeroc_ice_build_runs_its_compile_through_it():
    build = (REPO / "scripts" / "build_ice_wheel.sh").read_text()
    assert 'with_progress.sh' in build and '"compiling zeroc-ice"' in build
