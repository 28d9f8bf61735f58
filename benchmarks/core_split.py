"""This machine's cores split between the dev server and the measured client.

A real OMERO decodes on its own machine: the model's decode cost is a sleep so that the
client's cores cannot pay it, but the dev server's own Python (Ice dispatch, copying
pixels) still runs on some real core. Sharing the client's cores with it makes the
client's CPU bound (its CPU seconds over its cores) unreachable by construction: on two
shared cores the server's ~0.3 CPU s per client CPU s are taken from the client. So the
benchmark gives the dev server the last ``server_cpus`` cores of the machine and the
measured client the rest (``--shared-cores``: all to both, as before), and counts the
client's cores as the ones it was given.
"""

from __future__ import annotations

import os


def split(server_cpus: int, shared: bool) -> tuple[set[int], set[int]]:
    """(the dev server's cores, the client's cores)."""
    every = sorted(os.sched_getaffinity(0))
    if shared or len(every) < 2:
        return set(every), set(every)
    n = max(1, min(server_cpus, len(every) - 1))
    return set(every[-n:]), set(every[:-n])
