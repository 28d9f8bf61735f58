"""The dev server's decode cost model (decode_cost.py): slots, cost, admin changes."""

from __future__ import annotations

import threading

import omero
import pytest

from test_infra.omero_devserver.decode_cost import DecodeSlots

pytestmark = pytest.mark.devserver


def test_reads_beyond_the_cores_wait_for_a_slot():
    slots = DecodeSlots(cores=2, call_ms=20.0)
    threads = [threading.Thread(target=slots.hold, args=(1,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert slots.peak == 2 and slots.busy == 0


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
