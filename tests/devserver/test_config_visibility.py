"""IConfig answers by declared preference and role, as OMERO 5.6 does."""

import textwrap

import omero
import pytest

from test_infra.omero_fixtures import start_devserver

pytestmark = pytest.mark.devserver

CATALOGUE = """
groups: [{id: 3, name: lab, permissions: rwra--}]
users:
  - {id: 2, name: alice, password: alice-pw, groups: [lab]}
  - {id: 5, name: admin2, password: admin-pw, groups: [lab], admin: true}
config:
  omero.client.ngff.dest: "gs://bucket/ngff"          # undeclared, as `omero config set`
  omero.client.ui.tree.type_order: "project,dataset"  # declared
  omero.mail.config: "true"                           # declared, visible to all
  omero.data.dir: /OMERO                              # declared without visibility
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("config")
    spec = folder / "config.yaml"
    spec.write_text(textwrap.dedent(CATALOGUE))
    srv = start_devserver(folder / "state", catalogue=spec)
    yield srv
    srv.stop()


@pytest.fixture
def config(server):
    conns = []

    def open_config(user):
        conn = server.connect(user)
        conns.append(conn)
        return conn.getConfigService()

    yield open_config
    for conn in conns:
        conn.close()


def test_client_config_lists_declared_keys_only_for_everyone(config):
    """omero-server ``ome/logic/ConfigImpl.getClientConfigValues`` is
    ``getConfigValues("^omero\\.client\\.")``, which iterates
    ``PreferenceContext.getKeySet()``: the preferences declared in omero-common
    ``ome/config.xml``. An undeclared key is missing for everyone, admins included;
    declared keys without a value answer their omero-common.properties default."""
    for user in ("alice", "admin2", "root"):
        values = config(user).getClientConfigValues()
        assert "omero.client.ngff.dest" not in values, user
        assert values["omero.client.ui.tree.type_order"] == "project,dataset"
        assert values["omero.client.viewer.roi_limit"] == "2000"
        assert all(k.startswith("omero.client.") for k in values)


def test_undeclared_key_is_for_admins_only(config):
    """``ConfigImpl.getConfigValue`` checks ``PreferenceContext.canRead``; an undeclared
    key gets ``new Preference()``, whose visibility defaults to ``admin``
    (``ome/system/Preference.java``, read from ome/openmicroscopy
    components/common: omero-common's copy is not in the index), so others get
    ``SecurityViolation("Cannot read configuration: KEY")``."""
    assert config("admin2").getConfigValue("omero.client.ngff.dest") == "gs://bucket/ngff"
    assert config("root").getConfigValue("omero.client.ngff.dest") == "gs://bucket/ngff"
    with pytest.raises(omero.SecurityViolation) as err:
        config("alice").getConfigValue("omero.client.ngff.dest")
    assert err.value.message == "Cannot read configuration: omero.client.ngff.dest"


def test_visibility_of_declared_keys(config):
    """``ome/config.xml``: ``omero.mail.config`` is visible to all,
    ``omero.data.dir`` is declared without a visibility (admin), ``omero.db.pass``
    is hidden from everyone; ``getConfigValues`` keeps only what the caller may read."""
    alice, root = config("alice"), config("root")
    assert alice.getConfigValue("omero.mail.config") == "true"
    with pytest.raises(omero.SecurityViolation):
        alice.getConfigValue("omero.data.dir")
    assert root.getConfigValue("omero.data.dir") == "/OMERO"
    for cfg in (alice, root):
        with pytest.raises(omero.SecurityViolation):
            cfg.getConfigValue("omero.db.pass")
    assert "omero.data.dir" not in alice.getConfigValues(r"^omero\.data\.")
    assert root.getConfigValues(r"^omero\.data\.") == {"omero.data.dir": "/OMERO"}
    assert "omero.version" in alice.getConfigValues(r"^omero\.version$")


def test_get_config_values_never_lists_undeclared_keys(config):
    """``getConfigValues`` does not resolve arbitrary keys: even an admin asking for
    the exact undeclared key gets nothing back (``ConfigImpl.getConfigValues``)."""
    assert config("root").getConfigValues(r"^omero\.client\.ngff\.") == {}
