"""The OME-XML text is ome-types' own, written with one shared xsdata context."""

from __future__ import annotations

import importlib

from ome_types import to_xml

from omero_cli_ngff.ngff.spec import ImageSpec

# the module (the package exports a function of the same name)
ome_xml = importlib.import_module("omero_cli_ngff.ngff.ome_xml")


def spec(name: str, size_c: int) -> ImageSpec:
    return ImageSpec(name=name, dtype="uint16", size_x=64, size_y=32, size_z=2,
                     size_c=size_c, size_t=1)


def test_the_text_is_what_ome_types_writes():
    images = [spec("a <b> & \x01c", 3), spec("second", 1)]
    want = to_xml(ome_xml._xml_safe(ome_xml.ome_model(images)))
    assert ome_xml.ome_xml(images) == want
    assert ome_xml.ome_xml(images[1:]) == to_xml(ome_xml._xml_safe(ome_xml.ome_model(
        images[1:])))
