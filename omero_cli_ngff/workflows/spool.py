"""The local side of a run that converts: its folder (where shards are spooled before
upload), and the clean-up after the runs of this host that died (see storage.local_runs)."""

from __future__ import annotations

from ..model.reporting import Reporter
from ..ngff import shards
from ..storage.local_runs import LocalRun


def start_local_run(reporter: Reporter) -> LocalRun:
    """This run's local folder (its spool), after removing the spool files of the runs
    of this host that died."""
    local = LocalRun().start()
    shards.set_spool_dir(local.spool_dir)
    if local.cleaned_bytes:
        reporter.warn(f"removed {local.cleaned_bytes} bytes of spool files left in "
                      f"{local.root} by runs that stopped")
    return local


def finish_local_run(local: LocalRun) -> None:
    shards.set_spool_dir(None)
    local.finish()
