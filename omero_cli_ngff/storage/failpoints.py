"""Named points where a test may have this process killed (``kill -9``), so that the
tests of interrupted runs stop exactly where they mean to, not where a timer lands.

``OMERO_NGFF_FAILPOINT=<name>`` makes the process SIGKILL itself the first time it
reaches that point; unset (always, outside tests), `reach` does nothing.
Points: ``after-claim``, ``before-annotation``, ``mid-delete`` (see their callers), and
``mid-shard`` in the writer's spool (ngff.shards, which cannot import this module).
"""

from __future__ import annotations

import os
import signal

__all__ = ["ENV", "reach"]

ENV = "OMERO_NGFF_FAILPOINT"


def reach(name: str) -> None:
    """Die here, now, when the environment names this point."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
