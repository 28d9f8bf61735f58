"""Plates (HCS) and the bioformats2raw layout with OME-XML."""

import numpy as np
import pytest
import zarr

from omero_cli_ngff.model.records import ChannelInfo, PhysicalSize, RenderingInfo
from omero_cli_ngff.ngff import (
    FieldSpec,
    ImageSpec,
    InvalidSpecError,
    PlateSpec,
    WellSpec,
    WriteOptions,
    ome_xml,
    read_level,
    validate,
    write_bioformats2raw,
    write_plate,
)
from omero_cli_ngff.ngff.ome_xml import read_ome_xml
from omero_cli_ngff.ngff.sources import ArraySource


def small(seed, shape=(1, 2, 1, 200, 150), dtype=np.uint16):
    return np.random.default_rng(seed).integers(0, min(1000, np.iinfo(dtype).max), size=shape,
                                                dtype=dtype)


def spec_of(arr, name, **kw):
    t, c, z, y, x = arr.shape
    return ImageSpec(name, arr.dtype, size_x=x, size_y=y, size_c=c, size_z=z, size_t=t, **kw)


OPTS = dict(chunk_size=64, workers=2, min_level_size=64)


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_plate(tmp_path, version):
    arrays = {}
    wells = []
    for r, c, n in (("A", "1", 2), ("A", "3", 1), ("B", "2", 2)):
        fields = []
        for f in range(n):
            a = small(hash((r, c, f)) % 1000)
            arrays[f"{r}/{c}/{f}"] = a
            fields.append(FieldSpec(spec_of(a, f"{r}{c}-{f}"), ArraySource(a, (64, 64)),
                                    acquisition=0))
        wells.append(WellSpec(r, c, fields))
    plate = PlateSpec("P1", rows=["A", "B"], columns=["1", "2", "3"], wells=wells,
                      acquisitions=[{"id": 0, "name": "run 1"}])
    dest = str(tmp_path / "plate.ome.zarr")
    res = write_plate(dest, plate, WriteOptions(ngff_version=version, **OPTS))
    assert res.field_count == 2 and len(res.images) == 5
    assert validate(dest, version, kind="plate") == []
    attrs = dict(zarr.open_group(dest, mode="r").attrs)
    p = (attrs["ome"] if version == "0.5" else attrs)["plate"]
    assert [w["path"] for w in p["wells"]] == ["A/1", "A/3", "B/2"]
    assert p["wells"][2] == {"path": "B/2", "rowIndex": 1, "columnIndex": 1}
    assert p["acquisitions"] == [{"id": 0, "name": "run 1"}]
    assert validate(dest + "/A/1", version, kind="well") == []
    for path, a in arrays.items():
        assert validate(f"{dest}/{path}", version, kind="image") == []
        assert np.array_equal(read_level(f"{dest}/{path}", 0), a)
    # a rerun finds everything complete
    again = write_plate(dest, plate, WriteOptions(ngff_version=version, **OPTS))
    assert all(r.already_complete for r in again.images.values())


def test_plate_rejects_bad_wells():
    a = small(1)
    f = [FieldSpec(spec_of(a, "x"), ArraySource(a))]
    with pytest.raises(InvalidSpecError):
        write_plate("memory://p1", PlateSpec("P", ["A"], ["1"], [WellSpec("B", "1", f)]))
    with pytest.raises(InvalidSpecError):
        write_plate("memory://p2", PlateSpec("P", ["A-"], ["1"], [WellSpec("A-", "1", f)]))


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_bioformats2raw_layout(tmp_path, version):
    a = small(1)
    b = small(2, shape=(2, 3, 2, 130, 170), dtype=np.uint8)
    rendering = RenderingInfo(channels=[ChannelInfo("DAPI", "0000FF"),
                                        ChannelInfo("GFP", "00FF00")])
    specs = [spec_of(a, "first", physical_x=PhysicalSize(0.5, "MICROMETER"),
                     physical_y=PhysicalSize(0.5, "MICROMETER"),
                     physical_z=PhysicalSize(200, "NANOMETER"), rendering=rendering),
             spec_of(b, "second")]
    dest = str(tmp_path / "b2r.ome.zarr")
    results = write_bioformats2raw(dest, [(specs[0], ArraySource(a, (64, 64))),
                                          (specs[1], ArraySource(b, (64, 64)))],
                                   WriteOptions(ngff_version=version, **OPTS))
    assert len(results) == 2
    assert validate(dest, version, kind="bioformats2raw") == []
    attrs = dict(zarr.open_group(dest, mode="r").attrs)
    assert (attrs["ome"] if version == "0.5" else attrs)["bioformats2raw.layout"] == 3
    ome_attrs = dict(zarr.open_group(dest, path="OME", mode="r").attrs)
    assert (ome_attrs["ome"] if version == "0.5" else ome_attrs)["series"] == ["0", "1"]
    ome = read_ome_xml(dest)
    assert [im.name for im in ome.images] == ["first", "second"]
    px = ome.images[0].pixels
    assert (px.size_x, px.size_y, px.size_c, px.type.value) == (150, 200, 2, "uint16")
    assert px.physical_size_x == 0.5 and px.physical_size_z == 200
    assert px.physical_size_z_unit.value == "nm"
    assert [c.name for c in px.channels] == ["DAPI", "GFP"]
    px2 = ome.images[1].pixels
    assert (px2.size_t, px2.size_z, px2.size_c, px2.type.value) == (2, 2, 3, "uint8")
    assert np.array_equal(read_level(dest + "/1", 0), b)


def test_ome_xml_pixel_types():
    for t in ("bit", "int8", "float", "double"):
        xml = ome_xml([ImageSpec("x", t, 10, 10)])
        assert f'Type="{t}"' in xml
