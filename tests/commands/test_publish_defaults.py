"""Publish defaults that work for every role on a real server (issue #12, point 2):
the command line, the local defaults file, the group's defaults (kept by its owner or
an admin), the server's configuration (admins only on OMERO 5.6), in this order. The
server-side sources are read only when enabled (#13): these tests enable them, but the
one that shows they are not read otherwise."""

import textwrap

import pytest
from omero.model import (
    ExperimenterGroupAnnotationLinkI,
    ExperimenterGroupI,
    MapAnnotationI,
    NamedValue,
)
from omero.rtypes import rstring

from omero_cli_ngff import exit_codes
from omero_cli_ngff.omero_io.config import GROUP_DEFAULTS_NS
from tests.helpers.publish import World, env_isolated

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

CATALOGUE = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users:
  - {id: 2, name: alice, password: alice-pw, groups: [lab]}
  - {id: 3, name: olga, password: olga-pw, groups: [lab], leads: [lab]}
  - {id: 4, name: carol, password: carol-pw, groups: [lab]}
config:
  omero.client.ngff.dest: gs://%(bucket)s/server        # omero config set (undeclared)
  omero.client.ngff.namespace: test/server-ns
images:
  - {id: 1, name: a.tif, owner: alice, sizeX: 40, sizeY: 32, fileset: {files: [a/a.tif]}}
"""


@pytest.fixture
def world(start_omero_devserver, gcs_emulator, bucket, capsys, monkeypatch, tmp_path):
    env_isolated(monkeypatch, tmp_path)
    monkeypatch.delenv("OMERO_NGFF_DEFAULTS", raising=False)
    monkeypatch.setenv("OMERO_NGFF_SERVER_DEFAULTS", "1")
    spec = tmp_path / "defaults.yaml"
    spec.write_text(textwrap.dedent(CATALOGUE % {"bucket": bucket}))
    return World(start_omero_devserver(spec), gcs_emulator, bucket, capsys)


def keep_group_defaults(world, user, **values):
    """What a group owner does with stock omero-py (or `omero obj new`): a map annotation
    in the tool's namespace, linked to the group, in the group's context."""
    conn = world.server.connect(user)
    try:
        ann = MapAnnotationI()
        ann.setNs(rstring(GROUP_DEFAULTS_NS))
        ann.setMapValue([NamedValue(k, v) for k, v in values.items()])
        link = ExperimenterGroupAnnotationLinkI()
        link.setParent(ExperimenterGroupI(3, False))
        link.setChild(ann)
        conn.getUpdateService().saveAndReturnObject(link, {"omero.group": "3"})
    finally:
        conn.close()


def published_at(world, namespace="jax.org/public/zarr"):
    (copy,) = world.copies([1], namespace)[1]
    return copy.zarr_path


def test_admin_reads_the_server_configuration(world):
    rv, rows, err = world.publish("Image:1", user="root", dest=False)
    assert rv == 0, err
    assert published_at(world, "test/server-ns").startswith(world.public("")[:-5] + "server/")


def test_server_side_defaults_are_not_read_unless_enabled(world, monkeypatch):
    """Without the switch neither the group's nor the server's defaults count: root gets
    the usage error the rule promises, and nothing is written."""
    keep_group_defaults(world, "olga", dest=f"gs://{world.bucket}/group")
    monkeypatch.delenv("OMERO_NGFF_SERVER_DEFAULTS")
    for user in ("root", "alice"):
        rv, _, err = world.publish("Image:1", user=user, dest=False)
        assert rv == exit_codes.USAGE and "OMERO_NGFF_SERVER_DEFAULTS=1" in err, err
    assert world.objects(prefix="") == []


def test_a_member_without_defaults_is_told_where_to_keep_them(world):
    """The server's undeclared keys are admin-only: alice gets a usage error, not the
    server's destination and not an internal error."""
    rv, _, err = world.publish("Image:1", user="alice", dest=False)
    assert rv == exit_codes.USAGE
    assert "no destination" in err and "README" in err
    assert world.objects(prefix="") == []


def test_members_use_the_group_defaults_kept_by_its_owner(world):
    keep_group_defaults(world, "olga", dest=f"gs://{world.bucket}/group",
                        namespace="test/group-ns")
    rv, rows, err = world.publish("Image:1", user="alice", dest=False)
    assert rv == 0, err
    assert f"/{world.bucket}/group/" in published_at(world, "test/group-ns")


def test_defaults_kept_by_a_plain_member_are_ignored(world):
    """Any user may link an annotation to a group: only an owner's or an admin's
    count, or a member could send everybody's images to their own bucket."""
    keep_group_defaults(world, "carol", dest=f"gs://{world.bucket}/carols")
    rv, _, err = world.publish("Image:1", user="alice", dest=False)
    assert rv == exit_codes.USAGE, err
    keep_group_defaults(world, "root", dest=f"gs://{world.bucket}/admins")
    rv, _, err = world.publish("Image:1", user="alice", dest=False)
    assert rv == 0, err
    assert f"/{world.bucket}/admins/" in published_at(world)


def test_the_local_file_comes_before_the_group(world, tmp_path, monkeypatch):
    keep_group_defaults(world, "olga", dest=f"gs://{world.bucket}/group")
    path = tmp_path / "defaults.ini"
    path.write_text(f"[defaults]\ndest = gs://{world.bucket}/local\n")
    monkeypatch.setenv("OMERO_NGFF_DEFAULTS", str(path))
    rv, _, err = world.publish("Image:1", user="alice", dest=False)
    assert rv == 0, err
    assert f"/{world.bucket}/local/" in published_at(world)


def test_the_command_line_comes_first(world):
    keep_group_defaults(world, "olga", dest=f"gs://{world.bucket}/group",
                        namespace="test/group-ns")
    rv, _, err = world.publish("Image:1", "--namespace", "test/cli-ns", user="alice")
    assert rv == 0, err
    assert f"/{world.bucket}/data/" in published_at(world, "test/cli-ns")


def test_a_public_url_goes_with_its_destination_only(world, tmp_path):
    from omero_cli_ngff.workflows.publish_settings import resolve_settings
    keep_group_defaults(world, "olga", dest="gs://b/group",
                        public_url="https://cdn.example.org/group")
    conn = world.server.connect("alice")
    try:
        chosen = resolve_settings(lambda: conn, None, None, None)
        assert (chosen.dest, chosen.public_url) == ("gs://b/group",
                                                    "https://cdn.example.org/group")
        assert chosen.source.startswith("the defaults of group lab (annotation ")
        other = resolve_settings(lambda: conn, "gs://b/elsewhere", None, None)
        assert other.public_url is None and other.namespace == "jax.org/public/zarr"
    finally:
        conn.close()


def test_a_broken_defaults_file_is_a_usage_error(world, tmp_path, monkeypatch):
    path = tmp_path / "broken.ini"
    path.write_text("dest = nowhere\n")                # no section header
    monkeypatch.setenv("OMERO_NGFF_DEFAULTS", str(path))
    rv, _, err = world.publish("Image:1", user="alice", dest=False)
    assert rv == exit_codes.USAGE and "not a valid defaults file" in err


def test_olga_can_read_back_what_members_see(world):
    """The owner's annotation is readable by the group's members (rwra--)."""
    keep_group_defaults(world, "olga", dest="gs://b/group")
    from omero_cli_ngff.omero_io.config import group_defaults
    conn = world.server.connect("carol")
    try:
        pairs, where = group_defaults(conn)
    finally:
        conn.close()
    assert pairs == {"dest": "gs://b/group"} and "group lab" in where
