"""Every query of omero_cli_ngff/omero_io/queries.py, and BlitzGateway's common calls, answered
by the dev server through a real omero-py client with the group context -1."""

import omero
import pytest
from omero.rtypes import rlong, rstring, unwrap

from omero_cli_ngff.model.objects import CONTAINER_TYPES
from omero_cli_ngff.omero_io import queries as Q

pytestmark = [pytest.mark.devserver]

NS_DEMO = "openmicroscopy.org/omero/client/mapAnnotation"


def all_plugin_queries():
    out = [("EXISTING_IDS." + t, Q.EXISTING_IDS.format(type=t)) for t in CONTAINER_TYPES]
    out += [("IMAGE_IDS." + k, v) for k, v in Q.IMAGE_IDS.items()]
    out += [(name, getattr(Q, name)) for name in dir(Q)
            if name.isupper() and isinstance(getattr(Q, name), str)
            and name != "EXISTING_IDS"]
    return out


def params_for(query, ids=(1,)):
    p = omero.sys.ParametersI()
    p.addIds(list(ids))
    for name, value in (("ns", NS_DEMO), ("key", "stain"), ("url", "H&E"),
                        ("prefix", "H%")):
        if ":" + name in query:
            p.add(name, rstring(value))
    return p


def kind_of(query: str) -> str:
    """'find' for object queries (select x from X x ...), else 'projection'."""
    selected = query.split()[1:query.split().index("from")]
    return "find" if len(selected) == 1 and "." not in selected[0] else "projection"


@pytest.fixture(scope="module")
def alice(omero_server):
    conn = omero_server.connect("alice")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def root(omero_server):
    conn = omero_server.connect("root")
    yield conn
    conn.close()


def run(conn, query, params, kind="projection"):
    qs = conn.getQueryService()
    if kind == "projection":
        return [[unwrap(v) for v in row] for row in qs.projection(query, params,
                                                                   conn.SERVICE_OPTS)]
    return qs.findAllByQuery(query, params, conn.SERVICE_OPTS)


@pytest.mark.parametrize("name,query", all_plugin_queries(), ids=lambda x: str(x)[:40])
def test_every_plugin_query_has_a_pattern(alice, name, query):
    run(alice, query, params_for(query), kind_of(query))   # QueryException if unknown


@pytest.mark.parametrize("kind,ids,alice_sees,root_sees", [
    ("Image", [1, 2, 30, 999], [1, 2], [1, 2, 30]),
    ("Dataset", [1, 2, 3], [1, 2], [1, 2, 3]),
    ("Project", [1, 2], [1], [1, 2]),
    ("Screen", [1, 5], [1], [1]),
    ("Plate", [1], [1], [1]),
    ("Well", [1, 6, 7], [1, 6], [1, 6]),
    ("Fileset", [1, 2, 7], [1, 2], [1, 2, 7]),
])
def test_existing_ids(omero_devserver, alice, root, kind, ids, alice_sees, root_sees):
    q = Q.EXISTING_IDS.format(type=kind)
    assert run(alice, q, params_for(q, ids)) == [[i] for i in alice_sees]
    assert run(root, q, params_for(q, ids)) == [[i] for i in root_sees]


@pytest.mark.parametrize("kind,ids,expected", [
    ("Image", [20, 30, 1], [1, 20]),
    ("Dataset", [1], list(range(1, 11))),
    ("Project", [1], list(range(1, 16))),
    ("Project", [2], []),                          # bob's private project
    ("Screen", [1], list(range(101, 113))),
    ("Plate", [1], list(range(101, 113))),
    ("Well", [1, 2], [101, 102, 103, 104]),
    ("Fileset", [2], [11, 12]),
])
def test_image_ids(omero_devserver, alice, kind, ids, expected):
    q = Q.IMAGE_IDS[kind]
    assert run(alice, q, params_for(q, ids)) == [[i] for i in expected]


def test_image_ids_paging_and_owner_filter(omero_devserver, alice):
    q = Q.IMAGE_IDS["Project"]
    p = params_for(q, [1])
    p.page(2, 3)
    assert run(alice, q, p) == [[3], [4], [5]]
    p = params_for(q, [1])
    p.exp(rlong(3))                                 # bob owns none of them
    assert run(alice, q, p) == []
    p = params_for(q, [1])
    p.exp(rlong(2))
    assert len(run(alice, q, p)) == 15
    p = params_for(q, [1])
    p.grp(rlong(4))                                 # not the images' group
    assert run(alice, q, p) == []
    p = params_for(q, [1])
    p.grp(rlong(3))
    assert len(run(alice, q, p)) == 15


def test_image_rows_are_scalars(omero_devserver, alice):
    rows = run(alice, Q.IMAGE_ROWS, params_for(Q.IMAGE_ROWS, [15, 1, 2, 30]))
    assert [r[0] for r in rows] == [1, 2, 15]             # 30 is bob's, private
    one, two, no_pixels = rows
    assert one == [1, "rgb-slide.ndpi", 0, 2, "alice", 3, 1, 101, 1024, 768, 1, 3, 1,
                   "uint8"]
    assert two[13] == "uint16" and two[10] == 5
    assert no_pixels[7:] == [None] * 7 and no_pixels[6] is None
    raw = alice.getQueryService().projection(Q.IMAGE_ROWS, params_for(Q.IMAGE_ROWS, [1]),
                                             alice.SERVICE_OPTS)[0]
    # as a real server: Long ids, Integer sizes and series
    assert isinstance(raw[0], omero.RLong) and isinstance(raw[8], omero.RInt)
    assert isinstance(raw[2], omero.RInt)


def test_physical_sizes_come_as_a_real_server_maps_units(omero_devserver, alice):
    rows = run(alice, Q.PHYSICAL_SIZES, params_for(Q.PHYSICAL_SIZES, [2, 3, 15, 30]))
    assert [r[0] for r in rows] == [2, 3]                  # 15 has no pixels
    x, y, z = rows[0][1:]
    assert x["value"] == 0.5 and x["unit"] == "MICROMETER" and x["symbol"] == "µm"
    assert z["value"] == 2.0
    assert rows[1][1:] == [None, None, None]
    from omero_cli_ngff.omero_io.targets import physical_size
    assert physical_size(x).unit == "MICROMETER"
    assert physical_size({"value": 3.0, "unit": "?", "symbol": "nm"}).unit == "NANOMETER"


def test_groups_with_their_permissions(omero_devserver, alice):
    groups = run(alice, Q.GROUPS, params_for(Q.GROUPS, [4, 3]), "find")
    assert [(g.getId().getValue(), g.getName().getValue(),
             str(g.getDetails().getPermissions())) for g in groups] == [
        (3, "public-lab", "rwra--"), (4, "private-lab", "rw----")]


def test_fileset_files(omero_devserver, alice):
    rows = run(alice, Q.FILESET_FILES, params_for(Q.FILESET_FILES, [2, 1, 7]))
    assert rows == [[2, "alice_3/2024-03/01/10-05-00.000/", "multi.lif"],
                    [1, "alice_3/2024-03/01/10-00-00.000/", "rgb-slide.ndpi"]] or \
        rows == [[1, "alice_3/2024-03/01/10-00-00.000/", "rgb-slide.ndpi"],
                 [2, "alice_3/2024-03/01/10-05-00.000/", "multi.lif"]]
    # fileset 7 is bob's, in the private group
    assert all(r[0] != 7 for r in rows)


def test_annotation_links_and_reverse_lookup(omero_devserver, alice):
    links = run(alice, Q.ANNOTATION_LINKS, params_for(Q.ANNOTATION_LINKS, [1, 2]))
    assert len(links) == 1
    image_id, link_id, ann_id, owner_id, group_id = links[0]
    assert (image_id, owner_id, group_id) == (1, 2, 3)
    (ann,) = run(alice, Q.MAP_ANNOTATIONS, params_for(Q.MAP_ANNOTATIONS, [ann_id, 999]),
                 "find")
    assert [(nv.name, nv.value) for nv in ann.getMapValue()] == [("stain", "H&E")]
    p = params_for(Q.ANNOTATION_LINKS, [1])
    p.add("ns", rstring("another/namespace"))
    assert run(alice, Q.ANNOTATION_LINKS, p) == []
    assert run(alice, Q.IMAGES_BY_URL, params_for(Q.IMAGES_BY_URL)) == [[1]]
    assert run(alice, Q.ANNOTATED_URLS, params_for(Q.ANNOTATED_URLS)) == [["H&E"]]


@pytest.mark.parametrize("prefix,found", [("H%", True), ("H&%", True), ("_&E", True),
                                          ("%E", True), ("h%", False), ("H&", False),
                                          ("H\\&%", True), ("H\\%", False)])
def test_like_prefix_lookup_reads_like_as_postgresql(omero_devserver, alice, prefix,
                                                     found):
    # LIKE: '%' any run, '_' one character, backslash escapes, case-sensitive
    p = params_for(Q.IMAGES_UNDER_URL)
    p.add("prefix", rstring(prefix))
    assert run(alice, Q.IMAGES_UNDER_URL, p) == ([[1, "H&E"]] if found else [])


def test_plate_details_and_samples(omero_devserver, alice):
    (plate,) = run(alice, Q.PLATE_DETAILS, params_for(Q.PLATE_DETAILS, [1, 999]))
    assert [unwrap(v) for v in plate] == [1, "demo-plate", 2, 3, "letter", "number"]
    samples = run(alice, Q.PLATE_SAMPLES, params_for(Q.PLATE_SAMPLES, [1]))
    assert len(samples) == 12
    rows = [[unwrap(v) for v in r] for r in samples]
    assert rows[:3] == [[1, 101, 0, 0, 1, "run-1"], [1, 102, 0, 0, 1, "run-1"],
                        [1, 103, 0, 1, 1, "run-1"]]


def test_screen_plates(omero_devserver, alice):
    rows = run(alice, Q.SCREEN_PLATES, params_for(Q.SCREEN_PLATES, [1, 999]))
    assert [unwrap(r[0]) for r in rows] == [1]


def test_well_positions_plates_of_images_and_plate_screens(omero_devserver, alice):
    wells = run(alice, Q.WELL_POSITIONS, params_for(Q.WELL_POSITIONS, [1, 999]))
    assert [[unwrap(v) for v in r] for r in wells][:4] == [[1, 0, 0], [1, 0, 1], [1, 0, 2],
                                                          [1, 1, 0]]
    assert len(wells) == 6
    rows = run(alice, Q.PLATES_OF_IMAGES, params_for(Q.PLATES_OF_IMAGES, [102, 101, 1]))
    assert [[unwrap(v) for v in r] for r in rows] == [[101, 1], [102, 1]]
    rows = run(alice, Q.PLATE_SCREENS, params_for(Q.PLATE_SCREENS, [1, 999]))
    assert [[unwrap(v) for v in r] for r in rows] == [[1, 1]]


def test_unknown_query_fails_loudly_with_its_text(omero_devserver, alice):
    with pytest.raises(omero.QueryException) as err:
        alice.getQueryService().findAllByQuery(
            "select x from Roi x where x.id = 1", None, alice.SERVICE_OPTS)
    assert "select x from Roi x where x.id = 1" in err.value.message


def test_missing_parameter_is_reported(omero_devserver, alice):
    with pytest.raises(omero.QueryException) as err:
        alice.getQueryService().projection(Q.IMAGE_IDS["Image"], None, alice.SERVICE_OPTS)
    assert ":ids" in err.value.message


def test_query_log_counts_queries(omero_devserver, alice):
    before = omero_devserver.query_count()
    q = Q.IMAGE_IDS["Dataset"]
    run(alice, q, params_for(q, [1]))
    run(alice, q, params_for(q, [2]))
    logged = omero_devserver.queries()
    assert len(logged) == before + 2
    assert logged[-1]["ids"] == [2] and logged[-1]["user"] == "alice"
    assert int(alice.getConfigService().getConfigValue(
        "omero.devserver.query_count")) >= before + 2


# -------------------------------------------------------------- BlitzGateway's calls

def test_gateway_get_objects(omero_devserver, alice, root):
    img = alice.getObject("Image", 2)
    assert img.getName() == "stack-zc.tif"
    assert (img.getSizeX(), img.getSizeY(), img.getSizeZ(), img.getSizeC(),
            img.getSizeT()) == (256, 192, 5, 3, 1)
    assert img.getPixelsType() == "uint16"
    assert img.getOwnerOmeName() == "alice"
    assert img.getPrimaryPixels().getId() == 102
    assert img.getFileset().getId() == 3
    assert [d.getId() for d in alice.getObjects("Dataset", opts={"project": 1})] == [1, 2]
    assert [i.getId() for i in alice.getObjects("Image", opts={"dataset": 2})] == \
        [11, 12, 13, 14, 15]
    assert [p.getName() for p in alice.getObjects("Project")] == ["demo", "demo-publish"]
    assert sorted(p.getName() for p in root.getObjects("Project")) == \
        ["bob-private", "demo", "demo-publish"]
    assert [s.getName() for s in alice.getObjects("Screen")] == ["demo-screen"]
    plates = list(alice.getObjects("Plate", opts={"screen": 1}))
    assert [p.getName() for p in plates] == ["demo-plate"]
    wells = list(alice.getObjects("Well", opts={"plate": 1}))
    assert len(wells) == 6 and wells[0].getWellPos() == "A1"
    well = alice.getObject("Well", 5)
    assert [ws.getImage().getId() for ws in well.listChildren()] == [109, 110]
    assert alice.getObject("Plate", 1).getName() == "demo-plate"
    assert alice.getObject("Screen", 1).getName() == "demo-screen"
    fs = alice.getObject("Fileset", 2)
    assert sorted(i.getId() for i in fs.copyImages()) == [11, 12]
    assert [f.getName() for f in fs.listFiles()] == ["multi.lif"]
    orphans = list(alice.getObjects("Image", opts={"orphaned": True}))
    assert [i.getId() for i in orphans] == [20]
    named = list(alice.getObjects("Image", attributes={"name": "bit.tif"}))
    assert [i.getId() for i in named] == [9]
    page = list(alice.getObjects("Image", opts={"dataset": 1, "offset": 2, "limit": 3}))
    assert [i.getId() for i in page] == [3, 4, 5]
    assert alice.getObject("Image", 30) is None          # bob's private image
    assert root.getObject("Image", 30).getName() == "bob-secret.tif"


def test_gateway_parents_annotations_channels(omero_devserver, alice):
    img = alice.getObject("Image", 1)
    assert [p.getName() for p in img.listParents()] == ["demo-types"]
    assert img.getParent().getParent().getName() == "demo"
    anns = list(img.listAnnotations(ns=NS_DEMO))
    assert [a.getValue() for a in anns] == [[("stain", "H&E")]]
    assert list(img.listAnnotations(ns="nothing/here")) == []
    ws_img = alice.getObject("Image", 103)
    well_sample = ws_img.listParents()[0]
    assert well_sample.getParent().getId() == 2        # the well
    chans = alice.getObject("Image", 2).getChannels()
    assert [c.getLabel() for c in chans] == ["DAPI", "GFP", "mCherry"]
    assert [c.getColor().getHtml() for c in chans] == ["0000FF", "00FF00", "FF0000"]
    assert [(c.getWindowStart(), c.getWindowEnd()) for c in chans] == \
        [(100, 2000), (50, 1500), (0, 4000)]
    assert [c.isActive() for c in chans] == [True, True, False]
    assert chans[0].getWindowMin() == 0 and chans[0].getWindowMax() == 65535
    assert alice.getObject("Image", 2).getChannelLabels() == ["DAPI", "GFP", "mCherry"]
    no_re = alice.getObject("Image", 2).getChannels(noRE=True)
    assert [c.getLabel() for c in no_re] == ["DAPI", "GFP", "mCherry"]
    img2 = alice.getObject("Image", 2)
    assert img2.getDefaultZ() == 2 and img2.getDefaultT() == 0
    assert img2.getRenderingModel().getValue().lower() == "rgb"
    assert alice.getObject("Image", 15).getPrimaryPixels() is None


def test_unloaded_collections_make_the_gateway_ask(omero_devserver, alice):
    """BlitzGateway must not believe an empty, unfetched collection."""
    img = alice.getObject("Image", 1)
    assert not img._obj.isAnnotationLinksLoaded()
    assert not img._obj.isPixelsLoaded()          # getObject does not fetch pixels
    assert len(list(img.listAnnotations())) == 1  # so it asks the server
    assert img.getSizeX() == 1024                 # and loads pixels through IContainer
