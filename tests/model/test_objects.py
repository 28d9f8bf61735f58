"""Object arguments as the OMERO CLI writes them, good and bad."""

import pytest

from omero_cli_ngff.errors import UsageError
from omero_cli_ngff.model.objects import ObjectRef, parse_objects


def test_ids_ranges_and_lists():
    refs = parse_objects(["Image:1,2,5-7"])
    assert refs == [ObjectRef("Image", i) for i in (1, 2, 5, 6, 7)]


def test_every_container_type_case_insensitive():
    refs = parse_objects(["project:3", "DATASET:4", "Screen:5", "plate:6", "Well:7",
                          "fileset:8"])
    assert [r.type for r in refs] == ["Project", "Dataset", "Screen", "Plate", "Well",
                                      "Fileset"]


def test_an_object_named_twice_is_kept_once_in_order():
    refs = parse_objects(["Image:3,1", "Image:1-3"])
    assert [r.id for r in refs] == [3, 1, 2]


@pytest.mark.parametrize("text, words", [
    ("123", "Image:123"),
    ("Picture:1", "unknown object type"),
    ("Image:", "not an id"),
    ("Image:a", "not an id"),
    ("Image:9-3", "not a valid range"),
    ("Image:1-99999999", "not a valid range"),
])
def test_bad_objects_get_one_clear_line(text, words):
    with pytest.raises(UsageError) as err:
        parse_objects([text])
    assert words in str(err.value)
    assert "\n" not in str(err.value)
    assert err.value.exit_code == 2
