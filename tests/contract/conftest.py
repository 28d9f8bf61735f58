"""The contract suite: what must hold on a real OMERO, written once against stock omero-py
and the plugin's commands.

It runs against the server given by ``OMERO_NGFF_TEST_SERVER`` (and its users, see
test_infra/omero_fixtures.py), else against the dev server with ``contract.yaml`` (so
that CI always runs it). On a real server the content comes from ``seed.sh`` (run by
test_infra/docker-compose.yml); it is found by name, and every expectation comes from
stock omero-py on the same server, never from the dev server's catalogue. The users the
suite needs: an admin (``OMERO_NGFF_TEST_USER``), alice (the data's owner) and olga (an
owner of alice's group); a missing one fails the tests that need it, loudly.

Read-only scenarios also run against ``OMERO_NGFF_TEST_READ_ONLY_SERVER`` (host:port, a
server with ``omero.cluster.read_only=true``, same users) when it is given; against the
dev server they always run, on a read-only twin.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from test_infra.omero_fixtures import OmeroTestServer, real_server_from_env, start_devserver
from tests.helpers.publish import env_isolated
from tests.helpers.verify import FolderServer

CATALOGUE = Path(__file__).resolve().parent / "contract.yaml"
READ_ONLY_ENV = "OMERO_NGFF_TEST_READ_ONLY_SERVER"
PROJECT, DATASET = "ngff-contract", "ngff-contract-dataset"
SCREEN, PLATE = "ngff-contract-screen", "ngff-contract-plate"
PYRAMID, FLAT = "ngff-contract-pyramid", "ngff-contract-flat"



def _devserver(tmp_path_factory, name: str, **kwargs):
    """A dev server of the contract content, stopped when the generator closes."""
    server = start_devserver(tmp_path_factory.mktemp(name), catalogue=CATALOGUE, **kwargs)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def contract_server(tmp_path_factory):
    real = real_server_from_env()
    if real is not None:
        yield real
        return
    yield from _devserver(tmp_path_factory, "contract", ssl=True)


@pytest.fixture(scope="session")
def read_only_server(contract_server, tmp_path_factory):
    """A read-only server, or None against a real OMERO without one given."""
    if contract_server.is_devserver:
        yield from _devserver(tmp_path_factory, "contract-ro", read_only=True)
        return
    spec = os.environ.get(READ_ONLY_ENV)
    if not spec:
        yield None
        return
    host, _, port = spec.rpartition(":")
    yield OmeroTestServer(host=host, port=int(port), users=contract_server.users,
                          is_devserver=False, read_only=True)


def need_user(server: OmeroTestServer, name: str) -> str:
    """The password of a user the suite needs (a failure, not a skip, when unknown)."""
    if name not in server.users:
        pytest.fail(f"the contract suite needs the user {name!r}: give it in "
                    "OMERO_NGFF_TEST_USERS (see tests/contract/conftest.py)")
    return server.users[name]


def admin_name(server: OmeroTestServer) -> str:
    return os.environ.get("OMERO_NGFF_TEST_USER", "root") if not server.is_devserver \
        else "root"


@pytest.fixture
def connect(contract_server):
    """connect(user="alice", server=None) -> a stock BlitzGateway, closed at the end."""
    opened = []

    def open_conn(user="alice", server=None):
        server = server or contract_server
        need_user(server, user)
        opened.append(server.connect(user))
        return opened[-1]

    yield open_conn
    for conn in opened:
        conn.close()


@dataclass
class Content:
    """The contract's objects, found by name with stock omero-py (as alice)."""

    project: int
    dataset: int
    images: dict = field(default_factory=dict)        # name -> id
    screen: int = 0
    plate: int = 0
    wells: dict = field(default_factory=dict)         # well id -> [image ids]
    fileset: int = 0                                  # the pyramid's

    @property
    def dataset_images(self) -> list:
        return sorted(self.images.values())

    @property
    def plate_images(self) -> list:
        return sorted(i for ids in self.wells.values() for i in ids)


def _named(conn, kind: str, name: str):
    found = [o for o in conn.getObjects(kind) if o.getName() == name]
    if len(found) != 1:
        pytest.fail(f"the contract content needs exactly one {kind} named {name!r}, "
                    f"found {len(found)} (seed the server with tests/contract/seed.sh)")
    return found[0]


@pytest.fixture(scope="session")
def content(contract_server) -> Content:
    need_user(contract_server, "alice")
    conn = contract_server.connect("alice")
    try:
        project = _named(conn, "Project", PROJECT)
        (dataset,) = [d for d in project.listChildren() if d.getName() == DATASET]
        images = {i.getName(): i.getId() for i in dataset.listChildren()}
        screen = _named(conn, "Screen", SCREEN)
        (plate,) = [p for p in screen.listChildren() if p.getName() == PLATE]
        wells = {w.getId(): [ws.getImage().getId() for ws in w.listChildren()]
                 for w in plate.listChildren()}
        fileset = conn.getObject("Image", images[PYRAMID]).getFileset().getId()
        return Content(project.getId(), dataset.getId(), images, screen.getId(),
                       plate.getId(), wells, fileset)
    finally:
        conn.close()


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """A private OMERO session folder and user folder for the real CLI, no defaults."""
    env_isolated(monkeypatch, tmp_path)
    monkeypatch.delenv("OMERO_NGFF_DEFAULTS", raising=False)
    return tmp_path


@pytest.fixture
def www(cli_env):
    """(a destination folder, the FolderServer publishing it over HTTP)."""
    dest = cli_env / "dest"
    dest.mkdir()
    with FolderServer(dest) as server:
        yield dest, server


@pytest.fixture
def namespace(contract_server):
    """A namespace of this test alone; its annotations are deleted at the end (stock
    omero-py, as root), so that a real server is left as it was."""
    ns = f"test.omero-cli-ngff/contract/{uuid.uuid4().hex[:12]}"
    yield ns
    conn = contract_server.connect(admin_name(contract_server))
    try:
        ids = [a.getId() for a in conn.getObjects("MapAnnotation", attributes={"ns": ns})]
        if ids:
            conn.deleteObjects("Annotation", ids, wait=True)
    finally:
        conn.close()
