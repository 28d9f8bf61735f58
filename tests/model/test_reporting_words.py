"""The words every command counts and cells with: `1 image`, missing objects said alike,
typed values flattened into one cell."""

from omero_cli_ngff.model.objects import parse_objects
from omero_cli_ngff.model.reporting import flat, missing_text, plural


def test_plural():
    assert [plural(n, "image") for n in (0, 1, 2)] == ["0 images", "1 image", "2 images"]


def test_missing_objects_are_said_alike():
    one, two = parse_objects(["Image:9"]), parse_objects(["Image:9", "Dataset:3"])
    assert missing_text(one) == "Image:9: does not exist or is not readable"
    assert missing_text(two) == "Image:9, Dataset:3: do not exist or are not readable"


def test_flat_cells():
    problems = [{"code": "bad-url", "severity": "error", "message": "no"},
                {"code": "insecure-url", "severity": "warning", "message": "http"}]
    assert flat(problems) == "error bad-url: no; warning insecure-url: http"
    assert flat(None) == "" and flat([]) == "" and flat(["0.4", "0.5"]) == "0.4 0.5"
    assert flat(3) == 3 and flat(False) is False
