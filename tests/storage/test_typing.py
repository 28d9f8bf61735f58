"""The storage package passes `mypy --strict` (configuration in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_storage_is_strictly_typed():
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict",
                             "omero_cli_ngff/storage"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
