"""Collecting what a job wrote, against the layout the Batch stub's fake bioformats2raw
0.12 writes in the object-store emulator: plates, shards, and the converter's version."""

import json

import pytest
import zarr
from google.cloud import batch_v1

from omero_cli_ngff import exit_codes
from omero_cli_ngff.remote import (
    Bf2rawOptions,
    ConverterRefused,
    FilesetJob,
    JobFailed,
    OutputUnreadable,
    column_name,
    row_name,
)
from omero_cli_ngff.storage import fetch_metadata
from test_infra.batch_runner import StubImage
from test_infra.batch_stub import PlateShape
from tests.remote.engine_helpers import JOB, make_engine

pytestmark = [pytest.mark.object_store]

OLD_IMAGE = "registry.example/omero-ngff/bioformats2raw:0.11.0"
BARE_IMAGE = "registry.example/upstream/bioformats2raw:0.12.1"


def run_to_end(stub, engine, job=JOB) -> str:
    sub = engine.submit(job)
    return stub.complete(sub.status.job_id)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("series_attribute", [True, False])
def test_plate_fileset_series_are_collected_from_the_fields(batch_stub, dest, version,
                                                             series_attribute):
    plate = PlateShape(rows=2, columns=3, fields=2, order="field")
    batch_stub.plate, batch_stub.series_attribute = plate, series_attribute
    engine = make_engine(batch_stub, dest, Bf2rawOptions.from_settings(version, "blosc"))
    assert run_to_end(batch_stub, engine) == "SUCCEEDED"
    series = engine.collect_series(JOB)
    assert series == {s: f"fs-12.ome.zarr/{row_name(r)}/{column_name(c)}/{f}"
                      for s, (r, c, f) in enumerate(plate.samples())}
    assert sorted(g.relpath for g in engine.collect(JOB)) == sorted(series.values())
    for s, path in series.items():                 # series s was written where it says
        image = zarr.open_group(dest.public_url(path), mode="r")
        assert image["0"][0, 0, 0, 1, 2] == (3 * (s + 1)) % 256
        doc = fetch_metadata(dest.public_url(path), version)
        ms = (doc["attributes"]["ome"] if version == "0.5" else doc)["multiscales"]
        assert ms[0]["name"] == f"series {s}"
    root = fetch_metadata(dest.public_url("fs-12.ome.zarr"), version, validate=False)
    plate_md = (root["attributes"]["ome"] if version == "0.5" else root)["plate"]
    assert plate_md["field_count"] == 2 and len(plate_md["wells"]) == 6


def test_plain_fileset_series(batch_stub, engine):
    batch_stub.series = 3
    run_to_end(batch_stub, engine)
    assert engine.collect_series(JOB) == {s: f"fs-12.ome.zarr/{s}" for s in range(3)}


def shard_and_chunk(dest, path="fs-12.ome.zarr/0/0"):
    meta = json.loads(dest.read_bytes(f"{path}/zarr.json"))
    grid = meta["chunk_grid"]["configuration"]["chunk_shape"]
    sharding = [c for c in meta["codecs"] if c["name"] == "sharding_indexed"]
    return grid, (sharding[0]["configuration"]["chunk_shape"] if sharding else grid)


@pytest.mark.parametrize("shard, expect", [(None, [1, 1, 1, 64, 64]),
                                           (128, [1, 1, 1, 128, 128])])
def test_shards_are_what_was_asked(batch_stub, dest, shard, expect):
    batch_stub.size = 256
    engine = make_engine(batch_stub, dest, Bf2rawOptions.from_settings(
        "0.5", "zstd", chunk=64, shard=shard))
    run_to_end(batch_stub, engine)
    assert shard_and_chunk(dest) == (expect, [1, 1, 1, 64, 64])


def test_without_shard_options_bioformats2raw_shards_at_its_default(batch_stub, dest):
    """Why the options are always given: the stub's bioformats2raw, like the real one,
    shards at 1024 x 1024 (here: the whole 256 x 256 level) when it is not told."""
    batch_stub.size = 256
    engine = make_engine(batch_stub, dest, Bf2rawOptions.from_settings("0.5", "zstd",
                                                                       chunk=64))
    spec = engine.build_job(JOB)
    commands = spec.task_groups[0].task_spec.runnables[0].container.commands
    for flag in ("--shard-width", "--shard-height", "--shard-depth"):
        i = list(commands).index(flag)
        del commands[i:i + 2]
    batch_stub.client().create_job(parent=engine.settings.parent, job=spec, job_id="manual")
    assert batch_stub.complete("manual") == "SUCCEEDED"
    assert shard_and_chunk(dest) == ([1, 1, 1, 256, 256], [1, 1, 1, 64, 64])


def test_an_image_too_old_for_the_job_is_named_in_one_line(batch_stub, dest):
    batch_stub.images[OLD_IMAGE] = StubImage(bioformats2raw="0.11.0")
    engine = make_engine(batch_stub, dest, image=OLD_IMAGE)
    assert run_to_end(batch_stub, engine) == "FAILED"
    status = engine.latest(JOB)
    assert "Unknown option: '--ngff-version'" in status.last_event
    for attempt in (lambda: engine.collect(JOB), lambda: engine.collect_series(JOB)):
        with pytest.raises(ConverterRefused) as err:
            attempt()
        msg = str(err.value)
        assert OLD_IMAGE in msg and "0.11.0" in msg and "0.12.0 or later" in msg
        assert "\n" not in msg and err.value.exit_code == exit_codes.REMOTE
    assert isinstance(engine.failure(JOB, status), ConverterRefused)


def test_an_image_that_records_no_version_is_not_published(batch_stub, dest):
    # upstream's Dockerfile: ENTRYPOINT bioformats2raw, no wrapper, no record
    batch_stub.images[BARE_IMAGE] = StubImage(entrypoint="bioformats2raw")
    engine = make_engine(batch_stub, dest, image=BARE_IMAGE)
    assert run_to_end(batch_stub, engine) == "SUCCEEDED"
    assert dest.list_groups("fs-12.ome.zarr")                       # it did convert
    with pytest.raises(ConverterRefused) as err:
        engine.collect_series(JOB)
    assert BARE_IMAGE in str(err.value) and "version record" in str(err.value)


def test_a_failure_without_a_converter_problem_names_the_logs(batch_stub, engine):
    sub = engine.submit(JOB)
    batch_stub.fail(sub.status.job_id, "Task failed with exit code 137")
    with pytest.raises(JobFailed) as err:
        engine.collect_series(JOB)
    assert not isinstance(err.value, ConverterRefused)
    assert "exit code 137" in str(err.value) and "logs:" in str(err.value)


def test_the_version_record_is_the_converters_own_text(batch_stub, engine):
    run_to_end(batch_stub, engine)
    record = engine.outputs.version_record(JOB)
    assert record.splitlines()[0] == "Version = 0.12.1"


def test_collecting_before_any_job_is_an_error(batch_stub, engine):
    with pytest.raises(Exception, match="no job was submitted"):
        engine.collect_series(FilesetJob(99, "a/b.tif", "fs-99.ome.zarr"))


def test_api_jobs_carry_their_image(batch_stub, engine):
    sub = engine.submit(JOB)
    assert sub.status.image == engine.image
    assert isinstance(engine.get(sub.name), batch_v1.Job)


def test_output_in_another_ngff_version_is_unreadable(batch_stub, dest):
    engine_05 = make_engine(batch_stub, dest)
    run_to_end(batch_stub, engine_05)                                   # writes 0.5
    engine_04 = make_engine(batch_stub, dest, Bf2rawOptions.from_settings("0.4", "blosc"))
    with pytest.raises(OutputUnreadable, match="wrote NGFF 0.5 at 0, not 0.4"):
        engine_04.collect_series(JOB, engine_05.latest(JOB))
