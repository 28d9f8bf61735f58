"""Fixtures come from test_infra, so that tests, benchmarks and the demo share them."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest_plugins = [
    "test_infra.server_markers",
    "test_infra.omero_fixtures",
    "test_infra.gcs_fixtures",
    "test_infra.batch_fixtures",
]

REPO = Path(__file__).resolve().parent.parent
# Root ignores file permissions; without these capabilities it obeys them like a user.
DROP_FILE_OVERRIDES = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


@pytest.fixture
def unprivileged_python():
    """Run Python code that obeys file permissions even as root (CI runs as root), in a
    fresh folder. Returns (run, workdir)."""
    workdir = Path(tempfile.mkdtemp(prefix="ngff-unpriv-"))

    def run(code: str) -> subprocess.CompletedProcess:
        prefix = DROP_FILE_OVERRIDES if os.geteuid() == 0 else []
        env = dict(os.environ, PYTHONPATH=str(REPO))
        return subprocess.run([*prefix, sys.executable, "-c", code], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=120)

    yield run, workdir
    subprocess.run(["rm", "-rf", str(workdir)], check=False)

