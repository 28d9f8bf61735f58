"""Admins and group owners may not link to others' data in a private group."""

import textwrap

import omero
import pytest
from omero.rtypes import rstring

from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

CATALOGUE = """
groups:
  - {id: 3, name: secret, permissions: rw----}
  - {id: 4, name: open, permissions: rwra--}
  - {id: 5, name: ro, permissions: rwr---}
users:
  - {id: 2, name: alice, password: alice-pw, groups: [secret, open, ro]}
  - {id: 3, name: lena, password: lena-pw, groups: [secret, open, ro],
     leads: [secret, open]}
images:
  - {id: 1, name: alice-secret.tif, owner: alice, group: secret, sizeX: 8, sizeY: 8}
  - {id: 2, name: lena-own.tif, owner: lena, group: secret, sizeX: 8, sizeY: 8}
  - {id: 3, name: alice-open.tif, owner: alice, group: open, sizeX: 8, sizeY: 8}
  - {id: 4, name: alice-ro.tif, owner: alice, group: ro, sizeX: 8, sizeY: 8}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("graph-critical")
    spec = folder / "critical.yaml"
    spec.write_text(textwrap.dedent(CATALOGUE))
    srv = start_devserver(folder / "state", catalogue=spec)
    yield srv
    srv.stop()


def link_to(conn, image_id, group):
    ann = omero.model.MapAnnotationI()
    ann.setNs(rstring("test/critical"))
    link = omero.model.ImageAnnotationLinkI()
    link.setParent(omero.model.ImageI(image_id, False))
    link.setChild(ann)
    return conn.getUpdateService().saveAndReturnObject(link, {"omero.group": str(group)})


@pytest.mark.parametrize("user", ["root", "lena"])
def test_admin_or_owner_linking_others_data_in_private_group(server, user):
    """omero-server ``ome/security/basic/OmeroInterceptor.evaluateLinkages``: when
    ``CurrentDetails.isGraphCritical`` (a group that neither its members nor the world
    may read, and the current user is an admin or one of its owners) and the linked
    object belongs to someone else, ``ReadOnlyGroupSecurityViolation`` with OMERO's
    message (ticket:1769); omero-blitz ``IceMapper`` keeps the subclass."""
    conn = server.connect(user)
    try:
        with pytest.raises(omero.ReadOnlyGroupSecurityViolation) as err:
            link_to(conn, 1, 3)
        assert err.value.message == (
            "Cannot link to ome.model.core.Image:Id_1\n"
            "Current user (%s) is an admin or the owner of\n"
            "the private group (secret=rw----). It is not allowed to\n"
            "link to users' data." % user)
    finally:
        conn.close()


def test_own_data_and_readable_groups_are_not_critical(server):
    """``isGraphCritical`` is false when the group lets members read (rwra--), and
    ``evaluateLinkages`` only checks objects of other users."""
    lena = server.connect("lena")
    root = server.connect("root")
    try:
        assert link_to(lena, 2, 3).getId() is not None      # her own image
        assert link_to(lena, 3, 4).getId() is not None      # others', readable group
        assert link_to(root, 3, 4).getId() is not None
    finally:
        lena.close()
        root.close()


def test_members_not_granted_get_a_plain_security_violation(server):
    """A member who may not annotate (read-only group rwr---, not an owner of it):
    ``OmeroInterceptor.throwIfNotGranted`` raises a plain ``SecurityViolation``
    ("Group is rwr---. Cannot link to object: ..."), not the read-only-group
    subclass."""
    lena = server.connect("lena")
    try:
        with pytest.raises(omero.SecurityViolation) as err:
            link_to(lena, 4, 5)
        assert not isinstance(err.value, omero.ReadOnlyGroupSecurityViolation)
        assert err.value.message == \
            "Group is rwr---. Cannot link to object: ome.model.core.Image:Id_4"
    finally:
        lena.close()
