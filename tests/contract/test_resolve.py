"""Every container type resolves to the images stock omero-py finds under it."""

import pytest

from tests.contract.conftest import PYRAMID
from tests.helpers.cli import invoke, json_rows

pytestmark = pytest.mark.devserver   # the dev server, unless a real one is given


def located(server, capsys, *objects):
    rv, out, err = invoke(["ngff", "locate", *objects, "--missing", "--style", "json",
                           *server.cli_login_args("alice")], capsys)
    assert rv == 0, err
    return sorted(r["image_id"] for r in json_rows(out))


@pytest.mark.parametrize("kind", ["Project", "Dataset", "Image", "Screen", "Plate",
                                  "Well", "Fileset"])
def test_each_container_type(contract_server, content, connect, cli_env, capsys, kind):
    conn = connect("alice")
    if kind == "Project":
        ref = content.project
        expected = [i.getId() for d in conn.getObject("Project", ref).listChildren()
                    for i in d.listChildren()]
    elif kind == "Dataset":
        ref = content.dataset
        expected = [i.getId() for i in conn.getObject("Dataset", ref).listChildren()]
    elif kind == "Image":
        ref, expected = content.images[PYRAMID], [content.images[PYRAMID]]
    elif kind == "Screen":
        ref = content.screen
        expected = [ws.getImage().getId() for p in conn.getObject("Screen", ref).listChildren()
                    for w in p.listChildren() for ws in w.listChildren()]
    elif kind == "Plate":
        ref = content.plate
        expected = [ws.getImage().getId() for w in conn.getObject("Plate", ref).listChildren()
                    for ws in w.listChildren()]
    elif kind == "Well":
        ref = sorted(content.wells)[0]
        expected = content.wells[ref]
    else:
        ref = content.fileset
        expected = [i.getId() for i in conn.getObject("Fileset", ref).copyImages()]
    assert expected, f"no images under {kind}:{ref} (seed the content)"
    assert located(contract_server, capsys, f"{kind}:{ref}") == sorted(set(expected))


def test_an_object_named_twice_is_resolved_once(contract_server, content, cli_env, capsys):
    ids = located(contract_server, capsys, f"Project:{content.project}",
                  f"Dataset:{content.dataset}", f"Image:{content.images[PYRAMID]}")
    assert ids == content.dataset_images


def test_an_unknown_object_is_not_found(contract_server, content, cli_env, capsys):
    rv, _, err = invoke(["ngff", "locate", "Project:987654321", "--style", "json",
                         *contract_server.cli_login_args("alice")], capsys)
    assert rv == 4 and "Project:987654321" in err
