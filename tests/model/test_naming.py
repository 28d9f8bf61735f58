from omero_cli_ngff.model.naming import image_names, safe_name
from omero_cli_ngff.model.records import ImageRecord


def rec(i, name):
    return ImageRecord(id=i, name=name, pixels_id=i)


def test_safe_name_keeps_paths_and_keys_clean():
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("slide 01 (HE).ndpi") == "slide_01_HE_.ndpi"
    assert safe_name("Zellkern µm") == "Zellkern_m"
    assert safe_name("...") == "image"


def test_names_by_id_and_by_name_never_collide():
    records = [rec(1, "a.tif"), rec(2, "a.tif"), rec(3, "A.TIF"), rec(4, "b.ome.zarr")]
    assert image_names(records, "id") == {1: "1.ome.zarr", 2: "2.ome.zarr",
                                          3: "3.ome.zarr", 4: "4.ome.zarr"}
    by_name = image_names(records, "name")
    assert len(set(n.lower() for n in by_name.values())) == 4
    assert by_name[1] == "a.tif.ome.zarr"
    assert by_name[2] == "a.tif_2.ome.zarr"
    assert by_name[4] == "b.ome.zarr"
