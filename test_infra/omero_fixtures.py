"""Pytest fixtures for an OMERO server: the dev server (default) or a real OMERO.

Fixtures
--------
``omero_server`` (session scope)
    An :class:`OmeroTestServer`: the dev server (``test_infra/omero_devserver``) in a
    subprocess on free ports (TCP and SSL), demo catalogue, state in a tmp dir.
    Attributes: ``host``, ``port``, ``ssl_port``, ``users`` (name -> password),
    ``catalogue_path``, ``state_dir``, ``read_only``, ``is_devserver``.
    Methods: ``connect(user="root", group=-1)`` -> connected BlitzGateway,
    ``client(user)`` -> omero.client with a session, ``cli_login_args(user)`` ->
    ``["-s", host, "-p", port, "-u", user, "-w", password]``, ``restart()``,
    ``stop()``, ``query_count()``, ``queries()``, ``tile_count()``,
    ``set_decode(server_cores=16, ...)`` (the decode cost model, changed while the
    server runs), ``catalogue`` (the records), and
    ``expected_tile(image_id, z, c, t, x, y, w, h, level=0)``.
``omero_devserver``
    The same server, but the test is skipped against a real OMERO (for tests that
    need the seeded catalogue's exact content).
``require_devserver(server)`` (a function) does the same inside fixtures of any scope.
``start_omero_devserver`` (function scope)
    A factory: ``start_omero_devserver(catalogue="demo.yaml", read_only=False,
    tile_delay_ms=0, ssl=False, extra_args=())`` starts a separate dev server,
    stopped after the test (``extra_args=decode_args(4, 5, 40)``: the decode cost model).
``omero_rois_server`` (session scope)
    A dev server (no SSL) of ``test_infra/catalogues/rois.yaml``: ROIs with every shape
    type and annotations of every type; ``catalogue`` holds its records.
``omero_conn``
    A BlitzGateway connected to ``omero_server`` as root, group context -1.
``omero_cli``
    Runs the real ``omero`` CLI in-process (``omero_cli(["login", ...])``), with a
    private session directory; returns the CLI object (``cli.rv`` is the exit code).

A real OMERO instead: ``OMERO_NGFF_TEST_SERVER=host:port`` (host may be
``tcp://host``), ``OMERO_NGFF_TEST_USER`` / ``OMERO_NGFF_TEST_PASSWORD`` (default
root/omero), ``OMERO_NGFF_TEST_USERS="alice:pw,bob:pw"`` for more users. Tests that
use ``omero_devserver`` are then skipped. Passwords and session keys are never printed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from test_infra.omero_devserver.catalogue import DEMO_CATALOGUE, load_catalogue
from test_infra.server_markers import forbidden

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_SERVER = "OMERO_NGFF_TEST_SERVER"
START_TIMEOUT = 30.0


@dataclass
class OmeroTestServer:
    host: str
    port: int
    users: Dict[str, str]
    ssl_port: Optional[int] = None
    catalogue_path: Optional[Path] = None
    state_dir: Optional[Path] = None
    read_only: bool = False
    is_devserver: bool = True
    extra_args: List[str] = field(default_factory=list)
    tile_delay_ms: float = 0
    process: Optional[subprocess.Popen] = field(default=None, repr=False)

    # -- connections -------------------------------------------------------------
    @property
    def connect_host(self) -> str:
        """The host string for omero.client/BlitzGateway: plain TCP for the dev server
        (``tcp://127.0.0.1``; a plain host means SSL, on ``ssl_port``)."""
        if self.is_devserver and "://" not in self.host:
            return "tcp://" + self.host
        return self.host

    def password(self, user: str) -> str:
        try:
            return self.users[user]
        except KeyError:
            raise KeyError("no password known for user %r" % user) from None

    def connect(self, user: str = "root", group: Optional[int] = -1):
        """A connected BlitzGateway (closed by the caller: ``conn.close()``)."""
        from omero.gateway import BlitzGateway
        conn = BlitzGateway(user, self.password(user), host=self.connect_host,
                            port=self.port)
        if not conn.connect():
            raise RuntimeError("cannot log in to %s:%d as %s: %s"
                               % (self.host, self.port, user, conn.getLastError()))
        if group is not None:
            conn.SERVICE_OPTS.setOmeroGroup(group)
        return conn

    def client(self, user: str = "root"):
        """An omero.client with a new session (``client.closeSession()`` when done)."""
        import omero.clients  # noqa: F401
        import omero
        c = omero.client(self.connect_host, self.port)
        c.createSession(user, self.password(user))
        return c

    def cli_login_args(self, user: str = "root") -> List[str]:
        """Arguments for ``omero login`` (and for plugin commands that log in)."""
        return ["-s", self.connect_host, "-p", str(self.port), "-u", user,
                "-w", self.password(user)]

    # -- the catalogue -----------------------------------------------------------------
    @property
    def catalogue(self):
        if self.catalogue_path is None:
            raise RuntimeError("a real OMERO server has no dev server catalogue")
        return load_catalogue(self.catalogue_path)

    def expected_tile(self, image_id, z, c, t, x, y, w, h, level=0):
        from test_infra.omero_devserver.pixels import expected_tile
        return expected_tile(image_id, z, c, t, x, y, w, h, level=level,
                             catalogue=self.catalogue)

    # -- queries -------------------------------------------------------------------------
    def queries(self) -> List[dict]:
        """Every query answered so far (from the dev server's queries.log)."""
        path = self._require_state() / "queries.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    def query_count(self) -> int:
        return len(self.queries())

    # -- the decode cost model (omero_devserver/decode_cost.py) ---------------------
    def set_decode(self, **knobs) -> None:
        """Change the cost model while the server runs: ``server_cores``,
        ``tile_call_ms``, ``tile_ms_per_mpx`` (an admin's IConfig.setConfigValue)."""
        self._require_state()
        c = self.client("root")
        try:
            config = c.getSession().getConfigService()
            for name, value in knobs.items():
                config.setConfigValue("omero.devserver." + name, str(value))
        finally:
            c.closeSession()

    def tile_count(self) -> int:
        """Tiles read since the server started."""
        c = self.client("root")
        try:
            return int(c.getSession().getConfigService().getConfigValue(
                "omero.devserver.tile_count"))
        finally:
            c.closeSession()

    def _require_state(self) -> Path:
        if not self.is_devserver or self.state_dir is None:
            raise RuntimeError("only the dev server logs its queries")
        return self.state_dir

    # -- process -----------------------------------------------------------------------
    def start(self, port: int = 0, ssl_port: Optional[int] = None):
        assert self.is_devserver
        forbidden("devserver")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        info_file = self.state_dir / "server.json"
        if info_file.exists():
            info_file.unlink()
        args = [sys.executable, "-m", "test_infra.omero_devserver",
                "--host", self.host, "--port", str(port),
                "--catalogue", str(self.catalogue_path),
                "--state-dir", str(self.state_dir)]
        if ssl_port is not None:
            args += ["--ssl-port", str(ssl_port)]
        if self.read_only:
            args.append("--read-only")
        if self.tile_delay_ms:
            args += ["--tile-delay-ms", str(self.tile_delay_ms)]
        args += list(self.extra_args)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        stderr = open(self.state_dir / "stderr.log", "ab")
        self.process = subprocess.Popen(args, cwd=str(REPO_ROOT), env=env,
                                        stdout=stderr, stderr=stderr)
        stderr.close()
        self._wait_ready(info_file)
        return self

    def _wait_ready(self, info_file: Path):
        deadline = time.monotonic() + START_TIMEOUT
        while not info_file.exists():
            self._check_alive()
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the OMERO dev server did not start in %ds"
                                   % START_TIMEOUT)
            time.sleep(0.02)
        info = json.loads(info_file.read_text())
        self.port, self.ssl_port = info["port"], info["ssl_port"]
        last = None
        while time.monotonic() < deadline:          # ready = first successful login
            try:
                c = self.client("root")
                c.closeSession()
                return
            except Exception as e:   # noqa: BLE001 - retried until the deadline
                last = e
                self._check_alive()
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("cannot log in to the OMERO dev server: %r" % (last,))

    def _check_alive(self):
        if self.process is not None and self.process.poll() is not None:
            log = (self.state_dir / "stderr.log").read_text()[-3000:]
            raise RuntimeError("the OMERO dev server exited (%s):\n%s"
                               % (self.process.returncode, log))

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self):
        """Stop and start again on the same ports and state directory."""
        port, ssl_port = self.port, self.ssl_port
        self.stop()
        return self.start(port=port, ssl_port=ssl_port)


def decode_args(server_cores: int = 0, tile_call_ms: float = 0.0,
                tile_ms_per_mpx: float = 0.0) -> List[str]:
    """The dev server's arguments for its decode cost model (``decode_cost.py``; the
    reference model of the benchmarks: 4 or 16 cores, 5 ms per call, 40 ms per Mpx)."""
    return ["--server-cores", str(server_cores), "--tile-call-ms", str(tile_call_ms),
            "--tile-ms-per-mpx", str(tile_ms_per_mpx)]


def start_devserver(state_dir: Path, catalogue=None, read_only=False, tile_delay_ms=0,
                    ssl=False, extra_args=()) -> OmeroTestServer:
    """Start a dev server subprocess (stop it with ``.stop()``); ``extra_args`` may hold
    ``decode_args(...)``, changed later with ``server.set_decode(...)``."""
    path = Path(catalogue) if catalogue else DEMO_CATALOGUE
    if not path.is_absolute() and not path.exists():
        path = DEMO_CATALOGUE.parent / path
    cat = load_catalogue(path)
    server = OmeroTestServer(
        host="127.0.0.1", port=0, users={u.name: u.password for u in cat.users.values()},
        catalogue_path=path.resolve(), state_dir=Path(state_dir), read_only=read_only,
        tile_delay_ms=tile_delay_ms, extra_args=list(extra_args))
    return server.start(ssl_port=0 if ssl else None)


def real_server_from_env() -> Optional[OmeroTestServer]:
    spec = os.environ.get(ENV_SERVER)
    if not spec:
        return None
    host, _, port = spec.rpartition(":")
    users = {os.environ.get("OMERO_NGFF_TEST_USER", "root"):
             os.environ.get("OMERO_NGFF_TEST_PASSWORD", "omero")}
    for item in filter(None, os.environ.get("OMERO_NGFF_TEST_USERS", "").split(",")):
        name, _, pw = item.partition(":")
        users[name.strip()] = pw
    return OmeroTestServer(host=host, port=int(port), users=users, is_devserver=False)


def require_devserver(server: OmeroTestServer) -> OmeroTestServer:
    """Skip the calling test (or fixture, of any scope) against a real OMERO."""
    if not server.is_devserver:
        pytest.skip("needs the dev server's seeded catalogue (%s is set)" % ENV_SERVER)
    return server


@pytest.fixture(scope="session")
def omero_server(tmp_path_factory):
    real = real_server_from_env()
    if real is not None:
        yield real
        return
    server = start_devserver(tmp_path_factory.mktemp("omero-devserver"), ssl=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def omero_devserver(omero_server):
    return require_devserver(omero_server)


@pytest.fixture
def start_omero_devserver(tmp_path):
    started = []

    def start(catalogue=None, read_only=False, tile_delay_ms=0, ssl=False,
              extra_args=()):
        state = tmp_path / ("omero-devserver-%d" % len(started))
        server = start_devserver(state, catalogue, read_only, tile_delay_ms, ssl,
                                 extra_args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def omero_rois_server(tmp_path_factory):
    server = start_devserver(tmp_path_factory.mktemp("omero-rois"), catalogue="rois.yaml")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def omero_conn(omero_server):
    conn = omero_server.connect("root")
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def omero_cli(tmp_path, monkeypatch):
    """Run the omero CLI in-process: ``cli = omero_cli(["login", *args])``."""
    monkeypatch.setenv("OMERO_SESSIONDIR", str(tmp_path / "omero-sessions"))
    monkeypatch.setenv("OMERO_USERDIR", str(tmp_path / "omero-user"))
    from omero.cli import CLI

    def run(args, strict=True):
        cli = CLI()
        cli.loadplugins()
        cli.invoke(list(args), strict=strict)
        return cli

    return run


def pytest_unconfigure(config):
    """Close the omero clients still open once every fixture is gone.

    omero-py's CLI leaves one behind when a login in the same process switches user
    (``sessions.login`` attaches the stored session of the previous user, then replaces
    the client without closing it); its object factories tie it to its communicator,
    so garbage collection never frees it and Ice complains at exit. Separate processes,
    as users run the CLI, end clean (tests/cli/test_process_exit.py)."""
    import gc

    import omero.clients

    for obj in gc.get_objects():
        if isinstance(obj, omero.clients.BaseClient):
            try:
                obj.closeSession()        # a no-op for a client already closed
            except Exception:  # noqa: BLE001 - its server may be gone: destroyed anyway
                pass
