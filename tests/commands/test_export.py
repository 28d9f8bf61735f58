"""`omero ngff export` against the dev server: faithful pixels, metadata, exit codes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

from omero_cli_ngff import exit_codes
from omero_cli_ngff.ngff import read_level, validate

from tests.helpers.export import expected_level, run_export

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.devserver


def test_dataset_export_is_faithful_at_every_level(omero_devserver, tmp_path, capsys):
    rc, rows, err = run_export(omero_devserver, capsys, "Dataset:1", "--output",
                               str(tmp_path), "--chunk-size", "256")
    assert rc == 0, err
    assert sorted(r["image_id"] for r in rows) == list(range(1, 11))
    assert all(r["status"] == "written" for r in rows)
    for image_id in range(1, 11):
        root = tmp_path / f"{image_id}.ome.zarr"
        assert validate(str(root), "0.5", kind="bioformats2raw") == []
        assert validate(str(root / "0"), "0.5", kind="image") == []
        got = read_level(str(root / "0"), 0)
        want = expected_level(omero_devserver, image_id, 0)
        np.testing.assert_array_equal(got, want.astype(got.dtype))
    # Image 1 has server-side levels: the lower levels are OMERO's own, pixel for pixel.
    for level in (1, 2):
        got = read_level(str(tmp_path / "1.ome.zarr" / "0"), level)
        np.testing.assert_array_equal(got, expected_level(omero_devserver, 1, level))


@pytest.mark.devserver


def test_metadata_carries_units_channels_and_ome_xml(omero_devserver, tmp_path, capsys):
    rc, _, err = run_export(omero_devserver, capsys, "Image:2", "--output", str(tmp_path))
    assert rc == 0, err
    group = zarr.open_group(str(tmp_path / "2.ome.zarr" / "0"), mode="r")
    ome = group.attrs["ome"]
    axes = ome["multiscales"][0]["axes"]
    assert [a["name"] for a in axes] == ["t", "c", "z", "y", "x"]
    assert {a["name"]: a.get("unit") for a in axes}["x"] == "micrometer"
    scale = ome["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"]
    assert scale[2:] == [2.0, 0.5, 0.5]
    channels = ome["omero"]["channels"]
    assert [c["label"] for c in channels] == ["DAPI", "GFP", "mCherry"]
    assert channels[0]["window"]["start"] == 100 and channels[0]["window"]["end"] == 2000
    assert [c["active"] for c in channels] == [True, True, False]
    assert ome["omero"]["rdefs"]["defaultZ"] == 2
    xml = (tmp_path / "2.ome.zarr" / "OME" / "METADATA.ome.xml").read_text()
    assert 'SizeZ="5"' in xml and "DAPI" in xml


@pytest.mark.devserver


def test_shards_span_channels_and_planes_up_to_shard_bytes(omero_devserver, tmp_path, capsys):
    """Image:2 is 256 x 192, 5 z, 3 c, uint16: by default one shard holds the whole
    level; --shard-bytes 200KiB leaves room for two 96 KiB planes (64-pixel chunks)."""
    rc, _, err = run_export(omero_devserver, capsys, "Image:2", "--output", str(tmp_path / "a"))
    assert rc == 0, err
    level0 = zarr.open_array(str(tmp_path / "a" / "2.ome.zarr" / "0" / "0"), mode="r")
    assert level0.shards == (1, 3, 5, 192, 256)
    assert len(list((tmp_path / "a" / "2.ome.zarr" / "0" / "0" / "c").rglob("*"))) > 0
    rc, _, err = run_export(omero_devserver, capsys, "Image:2", "--output", str(tmp_path / "b"),
                            "--chunk-size", "64", "--shard-bytes", "200KiB")
    assert rc == 0, err
    level0 = zarr.open_array(str(tmp_path / "b" / "2.ome.zarr" / "0" / "0"), mode="r")
    assert level0.shards == (1, 2, 1, 192, 256)       # 10 shards: the fewest that fit
    assert np.prod(level0.shards) * 2 <= 200 * 1024
    np.testing.assert_array_equal(level0[:], expected_level(omero_devserver, 2))


@pytest.mark.devserver


def test_ngff_04_is_zarr_v2_with_slash_keys(omero_devserver, tmp_path, capsys):
    rc, _, err = run_export(omero_devserver, capsys, "Image:10", "--output", str(tmp_path),
                            "--ngff-version", "0.4")
    assert rc == 0, err
    image = tmp_path / "10.ome.zarr" / "0"
    assert validate(str(image), "0.4", kind="image") == []
    assert json.loads((image / "0" / ".zarray").read_text())["dimension_separator"] == "/"
    assert (image / "0" / "0" / "0" / "0" / "0" / "0").exists()


@pytest.mark.devserver


def test_rerun_finds_complete_images_and_writes_nothing(omero_devserver, tmp_path, capsys):
    run_export(omero_devserver, capsys, "Image:1", "--output", str(tmp_path))
    rc, rows, _ = run_export(omero_devserver, capsys, "Image:1", "--output", str(tmp_path))
    assert rc == 0
    assert rows[0]["status"] == "complete" and rows[0]["objects"] == 0


@pytest.mark.devserver


def test_names_by_image_name(omero_devserver, tmp_path, capsys):
    rc, rows, _ = run_export(omero_devserver, capsys, "Image:1,10", "--output",
                             str(tmp_path), "--name-by", "name")
    assert rc == 0
    assert (tmp_path / "rgb-slide.ndpi.ome.zarr" / "0").is_dir()
    assert (tmp_path / "uint8-gray.png.ome.zarr" / "0").is_dir()


@pytest.mark.parametrize("objects, code, words", [
    (["Image:15"], exit_codes.NOT_FOUND, "has no pixels"),
    (["Image:999"], exit_codes.NOT_FOUND, "Error: Image:999: does not exist"),
    (["Image:13"], exit_codes.PARTIAL_FAILURE, "still building the pyramid"),
    (["Image:10,15,13"], exit_codes.PARTIAL_FAILURE, "has no pixels"),
])
@pytest.mark.devserver
def test_bad_images_get_one_line_and_their_exit_code(omero_devserver, tmp_path, capsys,
                                                     objects, code, words):
    rc, rows, err = run_export(omero_devserver, capsys, *objects, "--output", str(tmp_path))
    assert rc == code
    assert words in err
    assert "Traceback" not in err
    # the good image of a mixed run is written all the same
    if "Image:10,15,13" in objects:
        assert [r["status"] for r in rows if r["image_id"] == 10] == ["written"]


@pytest.mark.devserver


def test_unwritable_destination_fails_before_converting(omero_devserver, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    rc, rows, err = run_export(omero_devserver, capsys, "Image:10", "--output",
                               str(blocker / "out"))
    assert rc == exit_codes.DESTINATION
    assert rows == [] and "Traceback" not in err


@pytest.mark.devserver


def test_a_user_cannot_export_another_groups_private_image(omero_devserver, tmp_path,
                                                           capsys):
    rc, _, err = run_export(omero_devserver, capsys, "Image:30", "--output", str(tmp_path),
                            user="alice")
    assert rc == exit_codes.NOT_FOUND and "Image:30" in err
    rc, _, _ = run_export(omero_devserver, capsys, "Image:30", "--output", str(tmp_path),
                          user="bob")
    assert rc == 0




@pytest.mark.object_store
@pytest.mark.devserver


def test_export_to_the_object_store(omero_devserver, gcs_emulator, bucket, capsys):
    rc, rows, err = run_export(omero_devserver, capsys, "Image:2", "--output",
                               f"gs://{bucket}/exports")
    assert rc == 0, err
    url = f"{gcs_emulator.url}/{bucket}/exports/2.ome.zarr/0"
    assert validate(url, "0.5", kind="image") == []
    np.testing.assert_array_equal(read_level(url, 0), expected_level(omero_devserver, 2))


def _export_process(server, output, *extra):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMERO_SESSIONDIR=str(output) + ".sessions")
    return subprocess.Popen(
        [sys.executable, "-m", "omero_cli_ngff", "export", "Image:1", "--output",
         str(output), "--chunk-size", "256", "--shard-size", "256", "--workers", "1",
         "--style", "json", *extra, *server.cli_login_args("root")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.devserver
@pytest.mark.parametrize("kill_after_shards", [7])
def test_killed_export_resumes_to_the_same_result(start_omero_devserver, tmp_path,
                                                  kill_after_shards):
    server = start_omero_devserver(tile_delay_ms=20)
    output = tmp_path / "out"
    proc = _export_process(server, output)
    shards = output / "1.ome.zarr" / "0"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        written = [p for p in shards.rglob("*") if p.is_file() and "/c/" in str(p)
                   and ".partial" not in p.name] if shards.exists() else []
        if len(written) >= kill_after_shards:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.communicate()                                # reaps it and closes its pipes
    assert proc.returncode == -signal.SIGKILL, "the export ended before the seeded kill"
    assert validate(str(shards), "0.5", kind="image") != []   # visibly incomplete

    rerun = _export_process(server, output)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()
    assert json.loads(out.decode().splitlines()[-1])["images"][0]["status"] == "resumed"
    assert validate(str(shards), "0.5", kind="image") == []
    for level in range(3):
        np.testing.assert_array_equal(read_level(str(shards), level),
                                      expected_level(server, 1, level))


@pytest.mark.devserver


def test_a_screen_becomes_one_ngff_plate_per_omero_plate(omero_devserver, tmp_path, capsys):
    rc, rows, err = run_export(omero_devserver, capsys, "Screen:1", "--output",
                               str(tmp_path))
    assert rc == 0, err
    assert sorted(r["image_id"] for r in rows) == list(range(101, 113))
    plate = tmp_path / "plate-1.ome.zarr"
    assert validate(str(plate), "0.5", kind="plate") == []
    attrs = zarr.open_group(str(plate), mode="r").attrs["ome"]["plate"]
    assert [r["name"] for r in attrs["rows"]] == ["A", "B"]
    assert [c["name"] for c in attrs["columns"]] == ["1", "2", "3"]
    assert [w["path"] for w in attrs["wells"]] == ["A/1", "A/2", "A/3", "B/1", "B/2", "B/3"]
    assert attrs["field_count"] == 2
    assert [a["id"] for a in attrs["acquisitions"]] == [1]
    # the root as bioformats2raw writes a plate: marked as its layout, with the OME-XML
    assert zarr.open_group(str(plate), mode="r").attrs["ome"]["bioformats2raw.layout"] == 3
    xml = (plate / "OME" / "METADATA.ome.xml").read_text()
    assert xml.count("<Image ") == 12 and xml.count("<Plate ") == 1
    assert xml.count("<Well ") == 6 and xml.count("<WellSample ") == 12
    assert 'ImageRef ID="Image:11"' in xml and "<PlateAcquisition " in xml
    well = zarr.open_group(str(plate / "B" / "3"), mode="r").attrs["ome"]["well"]
    assert [i["path"] for i in well["images"]] == ["0", "1"]
    # B3 field 1 is image 112: its pixels, as OMERO serves them
    got = read_level(str(plate / "B" / "3" / "1"), 0)
    np.testing.assert_array_equal(got, expected_level(omero_devserver, 112))


def test_plate_axis_names_follow_omero_conventions():
    from omero_cli_ngff.omero_io.plates import axis_names
    assert axis_names(3, "letter") == ["A", "B", "C"]
    assert axis_names(28, "letter")[25:] == ["Z", "AA", "AB"]
    assert axis_names(3, "number") == ["1", "2", "3"]
    assert axis_names(2, None) == ["1", "2"]


@pytest.mark.devserver


def test_transient_tile_failures_are_retried(start_omero_devserver, tmp_path, capsys):
    """Every 7th tile read fails on the server: the export retries and stays exact."""
    server = start_omero_devserver(extra_args=["--tile-faults", "7"])
    rc, rows, err = run_export(server, capsys, "Image:2", "--output", str(tmp_path),
                               "--chunk-size", "64", "--workers", "2")
    assert rc == 0, err
    got = read_level(str(tmp_path / "2.ome.zarr" / "0"), 0)
    np.testing.assert_array_equal(got, expected_level(server, 2))


@pytest.mark.devserver


def test_a_full_disk_is_one_line_and_a_rerun_repairs_it(omero_devserver, tmp_path, capsys,
                                                        monkeypatch):
    """ENOSPC in the middle of writing: exit DESTINATION; with space back, a rerun
    finishes and the result is exact."""
    import errno

    from omero_cli_ngff.ngff import shards

    real_append = shards.LocalFileSink._append
    writes = {"n": 0}

    def full_after_some_writes(self, data):
        writes["n"] += 1
        if writes["n"] > 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_append(self, data)

    monkeypatch.setattr(shards.LocalFileSink, "_append", full_after_some_writes)
    rc, rows, err = run_export(omero_devserver, capsys, "Image:1", "--output", str(tmp_path),
                               "--chunk-size", "256", "--shard-size", "256")
    assert rc == exit_codes.DESTINATION, err
    assert "space" in err.lower() and "Traceback" not in err
    assert validate(str(tmp_path / "1.ome.zarr" / "0"), "0.5", kind="image") != []
    assert not list(tmp_path.rglob("*.partial"))       # unfinished shards are dropped

    monkeypatch.setattr(shards.LocalFileSink, "_append", real_append)
    rc, rows, err = run_export(omero_devserver, capsys, "Image:1", "--output", str(tmp_path),
                               "--chunk-size", "256", "--shard-size", "256")
    assert rc == 0, err
    np.testing.assert_array_equal(read_level(str(tmp_path / "1.ome.zarr" / "0"), 0),
                                  expected_level(omero_devserver, 1))


@pytest.mark.devserver


def test_log_file_keeps_the_details(omero_devserver, tmp_path, capsys):
    log_file = tmp_path / "export.log"
    rc, _, _ = run_export(omero_devserver, capsys, "Image:10,15", "--output",
                          str(tmp_path / "out"), "--log-file", str(log_file),
                          user="alice")
    assert rc == exit_codes.NOT_FOUND
    text = log_file.read_text()
    assert "Image:15 failed" in text and "Image:10" in text
    assert omero_devserver.password("alice") not in text
