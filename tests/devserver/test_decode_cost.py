"""The dev server's decode cost model (decode_cost.py): slots, cost, admin changes."""

from __future__ import annotations

import threading
import time

import omero
import pytest

from test_infra.omero_devserver.decode_cost import DecodeSlots, _Read

pytestmark = pytest.mark.devserver


def test_reads_beyond_the_cores_wait_for_a_slot():
    slots = DecodeSlots(cores=2, call_ms=20.0)
    threads = [threading.Thread(target=slots.hold, args=(1,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert slots.peak == 2 and slots.busy == 0


def test_a_read_takes_the_slot_that_frees_first_the_moment_it_frees():
    """Scheduled in time, first come first served: the third read starts when the first
    slot frees, not when a woken thread gets round to it (decode_cost.py says why)."""
    slots = DecodeSlots(cores=2, call_ms=100.0)
    reads = [_Read(slots.cost_seconds(1)) for _ in range(4)]
    for i, read in enumerate(reads):
        slots._reads.append(read)
        slots._schedule(read, now=i * 0.01)
    assert [round(r.start, 3) for r in reads] == [0.0, 0.01, 0.1, 0.11]
    assert [round(r.end, 3) for r in reads] == [0.1, 0.11, 0.2, 0.21]
    assert slots.peak == 2


def test_unbounded_cores_start_every_read_at_once():
    slots = DecodeSlots(cores=0, call_ms=100.0)
    reads = [_Read(0.1) for _ in range(5)]
    for read in reads:
        slots._reads.append(read)
        slots._schedule(read, now=1.0)
    assert {r.start for r in reads} == {1.0} and slots.peak == 5


def test_cost_is_per_call_plus_per_pixel():
    slots = DecodeSlots(cores=4, call_ms=5.0, ms_per_mpx=40.0)
    assert slots.cost_seconds(1024 * 1024) == pytest.approx(0.005 + 0.04 * 1.048576)
    assert not DecodeSlots().active


def test_a_change_of_cores_wakes_the_waiting_reads():
    slots = DecodeSlots(cores=1, call_ms=300.0)
    threads = [threading.Thread(target=slots.hold, args=(1,)) for _ in range(3)]
    for t in threads:
        t.start()
    slots.set("omero.devserver.server_cores", "3")
    for t in threads:
        t.join()
    assert slots.peak >= 2


def test_fewer_cores_keep_the_decoding_reads_and_delay_the_waiting_ones():
    slots = DecodeSlots(cores=3, call_ms=300.0)
    threads = [threading.Thread(target=slots.hold, args=(1,)) for _ in range(4)]
    for t in threads:
        t.start()
    while slots.busy < 4:
        time.sleep(0.001)
    with slots._cond:
        reads = list(slots._reads)              # in order of arrival: the 4th waits
        slots.set("omero.devserver.server_cores", "1")
        decoding_ends = [r.end for r in reads[:3]]
        assert reads[3].start == pytest.approx(max(decoding_ends))
        assert slots._free_at == [reads[3].end]
    for t in threads:
        t.join()
    assert slots.busy == 0


def test_bad_values_are_refused():
    slots = DecodeSlots()
    with pytest.raises(ValueError):
        slots.set("omero.devserver.server_cores", "2.5")
    with pytest.raises(ValueError):
        slots.set("omero.devserver.tile_call_ms", "-1")


def test_an_admin_changes_the_model_while_the_server_runs(start_omero_devserver):
    server = start_omero_devserver(extra_args=["--server-cores", "4",
                                               "--tile-call-ms", "5"])
    server.set_decode(server_cores=16, tile_ms_per_mpx=40)
    conn = server.connect("root")
    try:
        config = conn.getConfigService()
        assert config.getConfigValue("omero.devserver.server_cores") == "16"
        assert config.getConfigValue("omero.devserver.tile_ms_per_mpx") == "40.0"
        with pytest.raises(omero.ApiUsageException):
            config.setConfigValue("omero.devserver.server_cores", "many")
        with pytest.raises(omero.SecurityViolation):
            config.setConfigValue("omero.version", "6")
    finally:
        conn.close()
    alice = server.connect("alice")
    try:
        with pytest.raises(omero.SecurityViolation):
            alice.getConfigService().setConfigValue("omero.devserver.server_cores", "1")
    finally:
        alice.close()
