"""series -> image group from a bioformats2raw output's own metadata, read from local
copies of the layout bioformats2raw 0.12 writes (test_infra.bf2raw_fake)."""

import json
from pathlib import Path

import pytest

from omero_cli_ngff.remote import OutputUnreadable, column_name, row_name, series_groups
from test_infra.bf2raw_fake import Bf2rawRun, PlateShape, write_bf2raw_output


def reader(root: Path):
    def read(rel):
        path = root / rel
        return path.read_bytes() if path.is_file() else None
    return read


def write(tmp_path, version="0.5", **kwargs) -> Path:
    out = tmp_path / "fs.zarr"
    write_bf2raw_output(str(out), run=Bf2rawRun(ngff_version=version, tile=(32, 32)),
                        size=32, **kwargs)
    return out


def expected(plate: PlateShape) -> dict:
    return {s: f"{row_name(r)}/{column_name(c)}/{f}"
            for s, (r, c, f) in enumerate(plate.samples())}


def test_row_and_column_names_follow_hcsindex():
    assert [row_name(i) for i in (0, 1, 25, 26, 27, 51, 52)] == \
        ["A", "B", "Z", "AA", "AB", "AZ", "BA"]
    assert [column_name(i) for i in (0, 9, 23)] == ["1", "10", "24"]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_plain_fileset_series_are_numbered_groups(tmp_path, version):
    out = write(tmp_path, version, series=3)
    assert series_groups(reader(out)) == {0: "0", 1: "1", 2: "2"}


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("series_attribute", [True, False])
def test_plate_series_are_fields(tmp_path, version, series_attribute):
    # field-major series order: series 1 is field 0 of well A/2, not field 1 of A/1
    plate = PlateShape(rows=2, columns=3, fields=2, order="field")
    out = write(tmp_path, version, plate=plate, series_attribute=series_attribute)
    mapping = series_groups(reader(out))
    assert mapping == expected(plate)
    assert mapping[1] == "A/2/0" and mapping[6] == "A/1/1"


def test_plate_without_the_series_attribute_needs_the_ome_xml(tmp_path):
    out = write(tmp_path, plate=PlateShape(), series_attribute=False)
    (out / "OME" / "METADATA.ome.xml").unlink()
    with pytest.raises(OutputUnreadable, match="METADATA.ome.xml"):
        series_groups(reader(out))


def test_a_well_the_plate_does_not_list_is_refused(tmp_path):
    out = write(tmp_path, "0.4", plate=PlateShape(rows=1, columns=2, fields=1),
                series_attribute=False)
    attrs = json.loads((out / ".zattrs").read_text())
    attrs["plate"]["wells"] = attrs["plate"]["wells"][:1]
    (out / ".zattrs").write_text(json.dumps(attrs))
    with pytest.raises(OutputUnreadable, match="well A/2"):
        series_groups(reader(out))


def test_numbered_groups_without_any_metadata(tmp_path):
    out = write(tmp_path, "0.4", series=2, series_attribute=False)
    (out / "OME" / "METADATA.ome.xml").unlink()
    assert series_groups(reader(out)) == {0: "0", 1: "1"}


@pytest.mark.parametrize("series", [["0", "../../elsewhere"], ["/abs"], "0", [""], ["a//b"]])
def test_series_paths_are_data_not_directions(tmp_path, series):
    out = write(tmp_path, "0.4", series=1)
    (out / "OME" / ".zattrs").write_text(json.dumps({"series": series}))
    with pytest.raises(OutputUnreadable, match="series attribute"):
        series_groups(reader(out))


def test_not_a_bioformats2raw_output(tmp_path):
    with pytest.raises(OutputUnreadable, match="no Zarr group"):
        series_groups(reader(tmp_path))
    (tmp_path / "zarr.json").write_text(json.dumps(
        {"zarr_format": 3, "node_type": "group", "attributes": {"ome": {"version": "0.5"}}}))
    with pytest.raises(OutputUnreadable, match="bioformats2raw.layout 3"):
        series_groups(reader(tmp_path))
