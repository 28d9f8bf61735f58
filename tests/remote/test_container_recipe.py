"""The container recipe (containers/bioformats2raw). No container engine runs here, so
the Dockerfile is checked for what the jobs rely on, and the entrypoint runs with a
stand-in bioformats2raw that behaves like 0.12's (--version exits non-zero, --overwrite
empties the output first)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from omero_cli_ngff.remote import VERSION_RECORD, refusal_reason
from omero_cli_ngff.remote.converter_version import version_tuple
from test_infra.batch_runner import RECIPE_ENTRYPOINT

RECIPE = Path(__file__).resolve().parents[2] / "containers" / "bioformats2raw"
ENTRYPOINT = RECIPE / "entrypoint.sh"

FAKE_BF2RAW = r"""#!/bin/sh
# stand-in for bioformats2raw 0.12.1
if [ "$1" = "--version" ]; then
    echo "Version = 0.12.1"
    echo "Bio-Formats version = 8.3.0"
    echo "NGFF specification version = 0.4"
    exit 255
fi
out=$2
echo "converting $1 to $out"
[ -n "${FAKE_NOWRITE:-}" ] && exit "${FAKE_RC:-0}"
case " $* " in *" --overwrite "*) rm -rf "$out" ;; esac
mkdir -p "$out/0" && echo '{}' > "$out/zarr.json"
exit "${FAKE_RC:-0}"
"""


@pytest.fixture
def run(tmp_path):
    fake = tmp_path / "bioformats2raw"
    fake.write_text(FAKE_BF2RAW)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)

    def run(*args, **env):
        full = dict(os.environ, BF2RAW=str(fake), **env)
        return subprocess.run(["sh", str(ENTRYPOINT), *args], capture_output=True,
                              text=True, env=full, timeout=30)
    return run


def test_records_the_version_first_then_converts(run, tmp_path):
    out = tmp_path / "out.zarr"
    out.mkdir()
    (out / "stale").write_text("from an earlier attempt")
    done = run("/in/slide.svs", str(out), "--overwrite", "--log-level", "WARN")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines.index("Version = 0.12.1") < lines.index(f"converting /in/slide.svs to {out}")
    record = (out / VERSION_RECORD).read_text()
    assert "Version = 0.12.1" in record and "Bio-Formats version" in record
    assert refusal_reason(record, "0.5") is None
    assert not (out / "stale").exists() and (out / "zarr.json").exists()


def test_failed_conversion_keeps_its_status_and_the_record(run, tmp_path):
    out = tmp_path / "out.zarr"
    done = run("/in/x.tif", str(out), "--overwrite", FAKE_RC="3")
    assert done.returncode == 3
    assert "Version = 0.12.1" in (out / VERSION_RECORD).read_text()


def test_unwritable_output_fails_the_job(run, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    done = run("/in/x.tif", str(blocker / "out.zarr"), FAKE_NOWRITE="1")
    assert done.returncode == 74
    assert "cannot write" in done.stderr and "allow_other" in done.stderr


def test_other_invocations_go_to_bioformats2raw_unchanged(run):
    done = run("--version")
    assert done.returncode == 255 and done.stdout.startswith("Version = 0.12.1")


def test_dockerfile_builds_a_cited_release_that_runs_as_root():
    text = (RECIPE / "Dockerfile").read_text()
    version = re.search(r"^ARG BF2RAW_VERSION=(\S+)$", text, re.M).group(1)
    assert version_tuple(version) >= (0, 12, 0)
    assert re.search(r"^ARG BF2RAW_SHA256=[0-9a-f]{64}$", text, re.M)
    assert ("https://github.com/glencoesoftware/bioformats2raw/releases/download/"
            "v${BF2RAW_VERSION}/bioformats2raw-${BF2RAW_VERSION}.zip") in text
    assert "sha256sum -c" in text
    assert re.search(r"^USER root$", text, re.M)
    entry = re.search(r'^ENTRYPOINT \["([^"]+)"\]$', text, re.M).group(1)
    assert entry == RECIPE_ENTRYPOINT                  # what the Batch stub models
    assert f"COPY entrypoint.sh {entry}" in text
