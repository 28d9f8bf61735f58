"""Catalogue specs: the demo, generated catalogues, and clear errors."""

import textwrap

import omero
import pytest

from omero_cli_ngff.omero_io import queries as Q
from test_infra.omero_devserver.catalogue import (CatalogueError, load_catalogue,
                                                  well_label)
from test_infra.omero_devserver.pixels import expected_tile


def write(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_demo_catalogue_content():
    cat = load_catalogue()
    assert {u.name: u.password for u in cat.users.values()} == {
        "root": "omero", "alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}
    assert cat.group("public-lab").permissions == "rwra--"
    assert cat.group("private-lab").permissions == "rw----"
    types = {cat.image(i).pixels.pixel_type for i in range(1, 11)}
    assert types == {"int8", "uint8", "int16", "uint16", "int32", "uint32", "float",
                     "double", "bit"}
    assert cat.image(15).pixels is None
    assert [i.id for i in cat.filesets[2].images] == [11, 12]
    assert [i.series for i in cat.filesets[2].images] == [0, 1]
    assert cat.image(30).group == 4 and cat.image(30).owner == 3
    assert len(cat.wells) == 6 and all(len(w.samples) == 2 for w in cat.wells.values())
    assert not cat.image(20).datasets and not cat.image(20).well_samples


def test_generated_catalogue(tmp_path):
    path = write(tmp_path, """
        groups: [{id: 5, name: lab, permissions: rwr---}]
        users: [{id: 7, name: dora, password: pw, groups: [lab]}]
        config: {omero.ngff.dest: "memory://x"}
        projects:
          - name: big
            owner: dora
            datasets:
              - name: gen
                images:
                  - {count: 250, firstId: 1000, name: "img_{i:03d}", sizeX: 300,
                     sizeY: 200, type: int16,
                     fileset: {files: ["dora_5/2024/{i}/img_{i:03d}.tif"]}}
                  - {name: extra, sizeX: 10, sizeY: 10}
        plates:
          - name: p
            owner: dora
            rows: 2
            columns: 2
            columnNamingConvention: letter
            rowNamingConvention: number
            wells:
              - {row: 1, column: 1, fields: [{sizeX: 8, sizeY: 8}, {sizeX: 8, sizeY: 8}]}
    """)
    cat = load_catalogue(path)
    assert sorted(cat.images)[:4] == [1, 2, 3, 1000] and len(cat.images) == 253
    img = cat.image(1042)
    assert img.name == "img_042" and img.owner == 7 and img.group == 5
    assert img.fileset.files[0].path == "dora_5/2024/42/"
    assert img.pixels.id == 1142                      # image id + pixelsIdOffset
    assert cat.image_by_name("extra").id == 1          # auto ids skip explicit ones
    plate = next(iter(cat.plates.values()))
    assert well_label(plate, 1, 1) == "2B"
    assert [s.image.name for s in plate.wells[0].samples] == ["p 2B field 0",
                                                             "p 2B field 1"]
    assert cat.config == {"omero.ngff.dest": "memory://x"}
    assert expected_tile(1042, 0, 0, 0, 0, 0, 4, 1, catalogue=path).dtype.name == "int16"


@pytest.mark.parametrize("spec,message", [
    ("images: [{id: 1, name: a, sizeX: 4, sizeY: 4, colour: red}]", "unknown keys"),
    ("images: [{id: 1, name: a, sizeX: 4}]", "sizeX and sizeY are required"),
    ("images: [{id: 1, name: a, sizeX: 4, sizeY: 4, type: uint12}]", "uint12"),
    ("images: [{id: 1, sizeX: 4, sizeY: 4}, {id: 1, sizeX: 4, sizeY: 4}]", "used twice"),
    ("images: [{id: 1, sizeX: 4, sizeY: 4, owner: nobody}]", "no user 'nobody'"),
])
def test_spec_errors_say_what_is_wrong(tmp_path, spec, message):
    with pytest.raises(CatalogueError) as err:
        load_catalogue(write(tmp_path, spec))
    assert message in str(err.value)


@pytest.mark.devserver


def test_bench_catalogue_serves_ten_thousand_images(start_omero_devserver):
    server = start_omero_devserver(catalogue="bench.yaml")
    conn = server.connect("alice")
    try:
        p = omero.sys.ParametersI().addIds([1])
        ids = conn.getQueryService().projection(Q.IMAGE_IDS["Project"], p,
                                                conn.SERVICE_OPTS)
        assert len(ids) == 10_000
        p.page(9_990, 100)
        page = conn.getQueryService().projection(Q.IMAGE_IDS["Project"], p,
                                                 conn.SERVICE_OPTS)
        assert [r[0].getValue() for r in page] == list(range(9_991, 10_001))
        images = conn.getQueryService().projection(
            Q.IMAGE_ROWS, omero.sys.ParametersI().addIds(list(range(1, 501))),
            conn.SERVICE_OPTS)
        assert len(images) == 500
    finally:
        conn.close()
