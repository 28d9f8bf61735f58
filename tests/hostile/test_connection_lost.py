"""OMERO going away at any point is the CONNECTION exit code, in every command where the
step exists: the server killed at login, while resolving the objects, while reading
tiles, while writing (or removing) annotations; and a session closed on the server in
the middle of a run. Each run: the exact exit code, one line on stderr, and the
session key (and the password) nowhere in stdout, stderr or the log file, also with
debug output on.

The dev server is reached through a front door (test_infra/ice_cut_proxy.py) that dies
at the chosen call, as the server would if killed then: one dev server for the module.
"""

from __future__ import annotations

import pytest

from omero_cli_ngff import exit_codes
from test_infra.ice_cut_proxy import IceCutProxy
from tests.hostile.world import HostileWorld, assert_secret_free

pytestmark = [pytest.mark.devserver, pytest.mark.object_store]

PASSWORD = "alice-hostile-pw"
LOGIN, RESOLVE, TILES = b"createSession", b"projection", b"getTile"
ANNOTATE, UNANNOTATE = b"saveAndReturnObject", b"Delete2"


@pytest.fixture(scope="module")
def world(tmp_path_factory, gcs_emulator):
    with HostileWorld(tmp_path_factory.mktemp("lost"), gcs_emulator.url, size=1024) as world:
        run = world.run_process("publish", "Image:8", "--dest", world.dest, "--style",
                                "json", "-q")
        assert run.code == 0, run.err
        # a copy whose data is gone: verify --fix removes its annotation
        world.annotate_as("alice", [(3, {"zarr_path": f"{world.home}/0.5/gone.ome.zarr/0/",
                                         "ngff_version": "0.5",
                                         "zarr_conversion_date": "2024-05-01T10:00:00Z"})])
        yield world


def commands(world, tmp_path):
    log = str(tmp_path / "run.log")
    return {
        "locate": ["locate", "Project:1", "--style", "json"],
        "verify": ["verify", "Image:8", "--sample", "1", "--style", "json"],
        "verify-fix": ["verify", "Image:3", "--fix", "--sample", "0", "--style", "json"],
        "export": ["export", "Image:1,2", "--output", str(tmp_path / "out"), "--log-file",
                   log, "--style", "json"],
        "publish": ["publish", "Image:1,2", "--dest", world.dest, "--log-file", log,
                    "--parallel-images", "1", "--style", "json"],
    }


def run_cut(world, tmp_path, monkeypatch, command, operation, action=None, **env):
    """Run `command` through a front door cut at `operation` (in a fresh session store,
    so that the run logs in through the door); returns (run, the session's key)."""
    sessions = tmp_path / "sessions"
    sessions.mkdir(exist_ok=True)
    monkeypatch.setattr(world, "sessions", sessions)
    keys = []

    def act():
        keys.append(world.session_key())
        if action is not None:
            action(keys[-1])

    proxy = IceCutProxy(world.server.port).start()
    proxy.cut_at(operation, action=act if action else None)
    try:
        argv = commands(world, tmp_path)[command]
        run = world.run_process(*argv, "-q", port=proxy.port, **env)
    finally:
        proxy.die()
    assert proxy.cut.is_set(), f"{command} never called {operation!r}"
    return run, (keys[0] if keys else world.session_key())


def check(run, key, tmp_path, lost="OMERO"):
    assert run.code == exit_codes.CONNECTION, run.err
    assert len(run.err_lines) == 1, run.err
    assert run.err_lines[0].startswith("Error: ") and lost in run.err_lines[0], run.err
    assert "Traceback" not in run.err
    log = tmp_path / "run.log"
    texts = [run.out, run.err] + ([log.read_text()] if log.exists() else [])
    assert_secret_free(texts, [key, PASSWORD])


CUTS = [("locate", LOGIN), ("verify", LOGIN), ("export", LOGIN), ("publish", LOGIN),
        ("locate", RESOLVE), ("verify", RESOLVE), ("export", RESOLVE), ("publish", RESOLVE),
        ("verify", TILES), ("export", TILES), ("publish", TILES),
        ("publish", ANNOTATE), ("verify-fix", UNANNOTATE)]


@pytest.mark.parametrize("command, operation", CUTS,
                         ids=[f"{c}-{o.decode()}" for c, o in CUTS])
def test_server_killed(world, tmp_path, monkeypatch, command, operation):
    run, key = run_cut(world, tmp_path, monkeypatch, command, operation)
    check(run, key, tmp_path)


def test_server_killed_with_debug_output_leaks_nothing(world, tmp_path, monkeypatch):
    run, key = run_cut(world, tmp_path, monkeypatch, "export", TILES, OMERO_NGFF_DEBUG="1")
    assert run.code == exit_codes.CONNECTION, run.err
    assert "Traceback" in run.err                   # debug output was asked for
    assert_secret_free([run.out, run.err, (tmp_path / "run.log").read_text()],
                       [key, PASSWORD])


def close_session(world):
    def close(key):
        import omero
        client = omero.client(world.server.connect_host, world.server.port)
        try:
            client.joinSession(key)
            client.killSession()            # closed on the server, whatever its refs
        finally:
            client.__del__()
    return close


SESSION_CUTS = [("locate", RESOLVE, ""), ("export", TILES, ""), ("publish", ANNOTATE, ""),
                ("export", TILES, "1")]


@pytest.mark.parametrize("command, operation, debug", SESSION_CUTS,
                         ids=[f"{c}-{o.decode()}{'-debug' if d else ''}"
                              for c, o, d in SESSION_CUTS])
def test_session_closed_on_the_server_mid_run(world, tmp_path, monkeypatch, command,
                                              operation, debug):
    run, key = run_cut(world, tmp_path, monkeypatch, command, operation,
                       action=close_session(world), OMERO_NGFF_DEBUG=debug)
    assert key
    if debug:
        assert run.code == exit_codes.CONNECTION, run.err
        assert_secret_free([run.out, run.err, (tmp_path / "run.log").read_text()],
                           [key, PASSWORD])
    else:
        check(run, key, tmp_path, lost="session")
