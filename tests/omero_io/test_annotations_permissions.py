"""can_annotate (images) and can_edit (annotations) derived by the plugin
(omero_cli_ngff/permissions.py) agree with the flags the server puts on the objects it
returns (the dev server's security.py, which follows OMERO's BasicACLVoter), for every
group type and every kind of user: owner, member, leader, admin."""

from types import SimpleNamespace

import pytest
import yaml

from omero_cli_ngff.model.objects import parse_objects
from omero_cli_ngff.omero_io import annotations, targets
from omero_cli_ngff.omero_io.permissions import Caller as PluginCaller
from test_infra.omero_devserver.catalogue import Catalogue, Group, User
from test_infra.omero_devserver.security import Caller as ServerCaller

NS = "jax.org/public/zarr"
GROUPS = {"private": "rw----", "read-only": "rwr---", "read-annotate": "rwra--",
          "read-write": "rwrw--"}
GROUP_IDS = {name: 3 + i for i, name in enumerate(GROUPS)}
OWNER, MEMBER, LEADER, ADMIN, OUTSIDER = 2, 3, 4, 0, 5


def catalogue() -> Catalogue:
    cat = Catalogue()
    for name, perms in GROUPS.items():
        cat.groups[GROUP_IDS[name]] = Group(GROUP_IDS[name], name, perms)
    every = list(GROUP_IDS.values())
    cat.users[OWNER] = User(OWNER, "alice", "pw", every + [1])
    cat.users[MEMBER] = User(MEMBER, "carol", "pw", every + [1])
    cat.users[LEADER] = User(LEADER, "lena", "pw", every + [1], leads=every)
    cat.users[ADMIN] = User(ADMIN, "root", "pw", [0, 1], admin=True)
    cat.users[OUTSIDER] = User(OUTSIDER, "otto", "pw", [1])
    return cat


def event_context(user: User) -> SimpleNamespace:
    return SimpleNamespace(
        userId=user.id, isAdmin=user.admin,
        adminPrivileges=["WriteOwned", "DeleteOwned", "Chgrp", "Chown"] if user.admin
        else [],
        memberOfGroups=list(user.groups),
        leaderOfGroups=sorted(set(user.leads) | ({0} if user.admin else set())))


@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("who", [OWNER, MEMBER, LEADER, ADMIN, OUTSIDER])
@pytest.mark.parametrize("owner", [OWNER, MEMBER])
def test_the_rule_matches_the_server_flags(group, who, owner):
    cat = catalogue()
    server = ServerCaller(cat.users[who], cat.users[who].groups[0], -1, cat)
    plugin = PluginCaller.from_event_context(event_context(cat.users[who]))
    gid, perms = GROUP_IDS[group], GROUPS[group]
    restrictions = server.restrictions(owner, gid)
    assert plugin.can_annotate(owner, gid, perms) == (not restrictions[3])
    assert plugin.can_edit(owner, gid, perms) == (not restrictions[1])


@pytest.mark.parametrize("group,who,annotate,edit", [
    ("private", MEMBER, False, False), ("private", LEADER, False, True),
    ("private", ADMIN, False, True), ("private", OWNER, True, True),
    ("read-only", MEMBER, False, False), ("read-only", LEADER, True, True),
    ("read-only", ADMIN, True, True),
    ("read-annotate", MEMBER, True, False), ("read-annotate", OUTSIDER, False, False),
    ("read-write", MEMBER, True, True),
])
def test_the_rule_as_omero_documents_it(group, who, annotate, edit):
    """Others' data (owner alice): what each kind of user may do."""
    plugin = PluginCaller.from_event_context(event_context(catalogue().users[who]))
    gid, perms = GROUP_IDS[group], GROUPS[group]
    assert (plugin.can_annotate(OWNER, gid, perms), plugin.can_edit(OWNER, gid, perms)) \
        == (annotate, edit)


def test_a_light_admin_without_write_owned_is_a_plain_user():
    ec = SimpleNamespace(userId=9, isAdmin=True, adminPrivileges=["Chgrp"],
                         memberOfGroups=[1], leaderOfGroups=[])
    plugin = PluginCaller.from_event_context(ec)
    assert not plugin.can_annotate(OWNER, 5, "rwra--")
    assert plugin.can_annotate(OWNER, 5, "rwrwrw")      # the world may


# -- against a running dev server: records and annotations vs the objects' flags ------

def spec() -> dict:
    users = [{"id": OWNER, "name": "alice", "password": "alice-pw",
              "groups": list(GROUPS)},
             {"id": MEMBER, "name": "carol", "password": "carol-pw",
              "groups": list(GROUPS)},
             {"id": LEADER, "name": "lena", "password": "lena-pw", "leads": list(GROUPS)}]
    groups = [{"id": GROUP_IDS[g], "name": g, "permissions": p} for g, p in GROUPS.items()]
    projects = []
    for i, group in enumerate(GROUPS):
        anns = [{"ns": NS, "owner": "alice", "group": group,
                 "values": {"zarr_path": f"https://x/{i}/", "k": "v"}}]
        if group != "private":
            anns.append({"ns": NS, "owner": "carol", "group": group,
                         "values": {"zarr_path": f"https://y/{i}/"}})
        projects.append({"id": i + 1, "name": group, "owner": "alice", "group": group,
                         "datasets": [{"id": i + 1, "name": group, "images": [
                             {"id": i + 1, "name": f"{group}.tif", "sizeX": 8, "sizeY": 8,
                              "annotations": anns}]}]})
    return {"groups": groups, "users": users, "projects": projects}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from test_infra.omero_fixtures import start_devserver
    folder = tmp_path_factory.mktemp("permissions")
    path = folder / "permissions.yaml"
    path.write_text(yaml.safe_dump(spec(), sort_keys=False))
    srv = start_devserver(folder / "state", catalogue=path)
    srv.users["root"] = "omero"
    yield srv
    srv.stop()


@pytest.mark.devserver
@pytest.mark.parametrize("user", ["alice", "carol", "lena", "root"])
def test_records_and_copies_agree_with_the_servers_objects(server, user):
    conn = server.connect(user)
    try:
        refs = parse_objects(["Image:1,2,3,4"])
        records = {r.id: r for r in targets.resolve(conn, refs).images}
        copies = annotations.read(conn, list(records), NS)
        images = {i.getId(): i for i in conn.getObjects("Image", list(records))}
        assert set(images) == set(records)
        for image_id, record in records.items():
            flags = images[image_id]._obj.getDetails().getPermissions()
            assert record.can_annotate == flags.canAnnotate(), (user, record.group)
            for copy in copies.get(image_id, []):
                ann = conn.getQueryService().get("MapAnnotation", copy.annotation_id,
                                                 conn.SERVICE_OPTS)
                assert copy.can_edit == ann.getDetails().getPermissions().canEdit(), \
                    (user, record.group, copy.owner_id)
        seen = {r.group for r in records.values()}
        assert ("private" in seen) == (user != "carol")      # nothing of alice's shared
    finally:
        conn.close()


@pytest.mark.devserver


def test_copies_carry_their_pairs_in_order(server):
    conn = server.connect("alice")
    try:
        copies = annotations.read(conn, [3], NS)[3]
    finally:
        conn.close()
    mine = [c for c in copies if c.owner_id == OWNER][0]
    assert mine.pairs == [("zarr_path", "https://x/2/"), ("k", "v")]
    assert mine.can_edit and mine.group_id == GROUP_IDS["read-annotate"]
    theirs = [c for c in copies if c.owner_id == MEMBER][0]
    assert not theirs.can_edit                          # read-annotate: no editing
