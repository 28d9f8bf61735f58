"""The type checker and the linter pass where they are enforced so far.

mypy checks the ``files`` of ``[tool.mypy]`` in pyproject.toml, strictly; ruff checks
``LINTED`` with the rules of ``[tool.ruff]``. Both grow as packages are brought up to them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINTED = [
    "omero_cli_ngff/ngff", "omero_cli_ngff/model", "omero_cli_ngff/checks",
    "omero_cli_ngff/errors.py", "omero_cli_ngff/exit_codes.py", "omero_cli_ngff/cli",
    "omero_cli_ngff/commands", "omero_cli_ngff/remote", "omero_cli_ngff/__init__.py",
    "omero_cli_ngff/__main__.py",
    "tests/ngff", "tests/model", "tests/checks", "tests/remote", "tests/golden",
    "tests/cli", "tests/helpers", "tests/setup", "tests/conftest.py",
    "tests/test_import_layers.py",
    "tests/test_code_shape.py", "tests/test_static_checks.py",
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=600)


def test_mypy_strict_passes():
    result = run("mypy")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout


def test_ruff_passes():
    result = run("ruff", "check", "--no-cache", *LINTED)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
