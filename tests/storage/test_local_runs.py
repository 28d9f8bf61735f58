"""What a host keeps about its own runs, locally: which of them died (their claims are
then stale at once, on this host only), and their spool files, removed by the next
run of the host."""

from __future__ import annotations

import json

from omero_cli_ngff.storage.local_runs import LocalRun, host_name


def _died(run: LocalRun, dead_pid: int, **extra) -> None:
    with open(f"{run.folder}/process.json") as fh:
        info = json.load(fh)
    info.update(pid=dead_pid, started=None, **extra)
    with open(f"{run.folder}/process.json", "w") as fh:
        json.dump(info, fh)


def test_the_spool_of_a_dead_run_of_this_host_is_removed(tmp_path, dead_pid):
    dead = LocalRun(root=str(tmp_path)).start()
    (tmp_path / dead.run_id / "spool" / "ngff-shard-1.spool").write_bytes(b"x" * 1000)
    _died(dead, dead_pid)
    alive = LocalRun(root=str(tmp_path)).start()
    assert alive.cleaned_bytes == 1000 and alive.is_dead(dead.run_id)
    spool = tmp_path / alive.run_id / "spool"
    (spool / "ngff-shard-2.spool").write_bytes(b"y")
    nxt = LocalRun(root=str(tmp_path)).start()
    assert nxt.cleaned_bytes == 0 and nxt.is_dead(dead.run_id)
    assert not (tmp_path / dead.run_id / "spool").exists()
    assert (tmp_path / dead.run_id / "process.json").exists()      # remembered a while
    assert (spool / "ngff-shard-2.spool").exists() and not nxt.is_dead(alive.run_id)
    alive.finish()
    assert not (tmp_path / alive.run_id).exists()


def test_another_hosts_runs_are_not_judged(tmp_path, dead_pid, monkeypatch):
    other = LocalRun(root=str(tmp_path)).start()
    (tmp_path / other.run_id / "spool" / "x.spool").write_bytes(b"z")
    _died(other, dead_pid, host="another-host")          # a TMPDIR shared between hosts
    me = LocalRun(root=str(tmp_path)).start()
    assert not me.is_dead(other.run_id) and me.cleaned_bytes == 0
    assert (tmp_path / other.run_id / "spool" / "x.spool").exists()
    monkeypatch.setenv("OMERO_NGFF_HOST", "another-host")
    assert host_name() == "another-host"
    there = LocalRun(root=str(tmp_path)).start()
    assert there.is_dead(other.run_id) and there.cleaned_bytes == 1


def test_old_tombstones_are_forgotten(tmp_path, dead_pid):
    dead = LocalRun(root=str(tmp_path)).start()
    _died(dead, dead_pid, time=0)
    LocalRun(root=str(tmp_path)).start()
    assert not (tmp_path / dead.run_id).exists()
