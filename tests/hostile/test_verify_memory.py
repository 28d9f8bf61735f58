"""verify's peak memory against a hostile URL: every image's zarr_path answers with a
200 MB body (announced, and chunked without a length). Measured as the peak resident
size of the verify process (ru_maxrss from wait4, in a launcher of its own). Fetches
are capped (storage/http.py), so the body is never held."""

from __future__ import annotations

import subprocess
import sys

import pytest

from omero_cli_ngff import exit_codes
from tests.hostile.world import REPO, HostileWorld

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

BODY = 200 * 1024 * 1024
LIMIT_MIB = 300


@pytest.fixture(scope="module")
def world(tmp_path_factory, gcs_emulator):
    with HostileWorld(tmp_path_factory.mktemp("memory"), gcs_emulator.url, size=BODY) as world:
        world.annotate_as("alice", [
            (image_id, {"zarr_path": world.hostile_url(f"{route}/{image_id}/"),
                        "ngff_version": "0.5" if image_id < 3 else "0.4",
                        "zarr_conversion_date": "2024-05-01T10:00:00+00:00"})
            for image_id, route in ((1, "huge"), (2, "huge-chunked"), (3, "huge"),
                                    (4, "huge-chunked"))])
        yield world


# ru_maxrss survives exec: a child forked from this (large) test process would report
# this process's size. A small launcher forks the command instead, and reports it.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss_mib(world: HostileWorld, *argv: str) -> tuple[int, float, str]:
    """(exit code, peak RSS in MiB, stderr) of `omero-ngff ARGV` in its own process."""
    full = [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "omero_cli_ngff", *argv,
            *world.login(), "-q"]
    result = subprocess.run(full, cwd=REPO, env=world.env(), capture_output=True,
                            text=True, timeout=300)
    code, kib = result.stdout.split()
    return int(code), int(kib) / 1024, result.stderr


def test_verify_memory_stays_bounded_on_a_200_mb_answer(world):
    before = len(world.hostile.visited("/huge"))
    code, peak, err = peak_rss_mib(world, "verify", "Image:1,2,3,4", "--style", "json")
    assert code == exit_codes.UNSOUND, err
    assert len(world.hostile.visited("/huge")) > before         # it did ask, every time
    print(f"verify against 200 MB answers: peak RSS {peak:.0f} MiB")
    assert peak < LIMIT_MIB, f"peak RSS {peak:.0f} MiB"
