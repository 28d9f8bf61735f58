"""Fixtures of the storage tests."""

import subprocess
import sys

import pytest


@pytest.fixture(scope="session")
def dead_pid() -> int:
    """The pid of a process of this host that has exited."""
    out = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())
