"""The OME-XML of images without ROIs or annotations, written as text, is character for
character what ome-types writes for them."""

from __future__ import annotations

import importlib
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from ome_types import from_xml, to_xml

from omero_cli_ngff.model.annotations_meta import AnnotationRecord, ImageMetadata
from omero_cli_ngff.model.records import ChannelInfo, PhysicalSize, RenderingInfo
from omero_cli_ngff.ngff.errors import UnsupportedPixelTypeError
from omero_cli_ngff.ngff.ome_xml_plain import is_plain, plain_ome_xml
from omero_cli_ngff.ngff.spec import ImageSpec

# the module (the package exports a function of the same name)
ome_xml_module = importlib.import_module("omero_cli_ngff.ngff.ome_xml")

NAMES = ["plain", "", "a <b> & \"c\" 'd'", "tab\there\nnew line\rcr", "\x01\x1f ctrl \ufffe",
         "é µm 漢字 😀", "]]> --> <!--"]
SIZES = [0.25, 1e-05, 3.0, 1234567.891, 0.1 + 0.2, 1e-09, 1e16, 6.02e23, 1e-300, 0.0, -1.0]
UNITS = ["MICROMETER", "MILLIMETER", "NANOMETER", "ANGSTROM", "METER", "PIXEL", "µm",
         "REFERENCEFRAME", "INCH"]
DATES = [None, datetime(2020, 1, 2, 3, 4, 5), datetime(2020, 1, 2, 3, 4, 5, 123456),
         datetime(2021, 6, 7, 8, 9, 10, tzinfo=timezone.utc),
         datetime(2021, 6, 7, 8, 9, 10, 5, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))]
COLORS = ["FF0000", "00ff7f", "FFFFFF", "000000", "#12AB34", "bad", "", "80000000", "7FFFFF"]


def spec(i: int) -> ImageSpec:
    size = SIZES[i % len(SIZES)]
    units = UNITS[i % len(UNITS)], UNITS[(i + 3) % len(UNITS)]
    channels = [ChannelInfo(label=NAMES[(i + c) % len(NAMES)],
                            color=COLORS[(i + c) % len(COLORS)]) for c in range(i % 3)]
    dtype = ["uint8", "uint16", "int8", "int16", "int32", "uint32", "float", "double",
             "bit"][i % 9]
    return ImageSpec(name=NAMES[i % len(NAMES)], dtype=dtype, size_x=64 + i, size_y=32,
                     size_z=1 + i % 4, size_c=1 + i % 4, size_t=1 + i % 2,
                     physical_x=PhysicalSize(size, units[0]) if i % 5 else None,
                     physical_y=PhysicalSize(size * 2, units[1]),
                     physical_z=PhysicalSize(size, units[0]) if i % 2 else None,
                     rendering=RenderingInfo(channels=channels) if i % 4 else None,
                     dimension_order=["XYZCT", "XYCZT", "XYTZC", "bogus"][i % 4])


def meta(i: int) -> ImageMetadata | None:
    if i % 7 == 0:
        return None
    return ImageMetadata(i, description=[None, "", "d <x> \"y\"\nz\r", "µ & ]]>"][i % 4],
                         acquisition_date=DATES[i % len(DATES)])


def ome_types_text(images, metadata=None) -> str:
    return to_xml(ome_xml_module._xml_safe(ome_xml_module.ome_model(images, metadata)))


@pytest.mark.parametrize("i", range(40))
def test_the_text_is_what_ome_types_writes(i):
    images = [spec(i), spec(i + 1)][: 1 + i % 2]
    metadata = [meta(i), meta(i + 1)][: len(images)]
    assert plain_ome_xml(images, metadata) == ome_types_text(images, metadata)
    assert plain_ome_xml(images) == ome_types_text(images)
    from_xml(plain_ome_xml(images, metadata))            # and it is valid OME-XML


def test_ome_xml_writes_plain_images_without_ome_types_and_the_rest_with_it():
    images = [spec(1), spec(2)]
    tagged = ImageMetadata(1, annotations=[AnnotationRecord(
        id=5, kind="TagAnnotation", namespace=None, description=None, value="t")])
    assert is_plain([None, ImageMetadata(2, description="d")])
    assert not is_plain([None, tagged])
    assert ome_xml_module.ome_xml(images, [None, tagged]) == ome_types_text(
        images, [None, tagged])
    assert "TagAnnotation" in ome_xml_module.ome_xml(images, [None, tagged])
    assert ome_xml_module.ome_xml(images) == plain_ome_xml(images)


def test_every_combination_of_special_values_agrees():
    for name, size, unit in itertools.product(NAMES, SIZES[:6], UNITS[:5]):
        image = ImageSpec(name=name, dtype="uint8", size_x=8, size_y=8,
                          physical_x=PhysicalSize(size, unit))
        assert plain_ome_xml([image]) == ome_types_text([image])


def test_a_pixel_type_ome_xml_cannot_hold_is_refused():
    with pytest.raises(UnsupportedPixelTypeError):
        plain_ome_xml([ImageSpec(name="x", dtype="complex", size_x=8, size_y=8)])
