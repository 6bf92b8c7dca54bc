"""tests/app/probe.py, the /healthz prober of `make attack` and the soak."""

from __future__ import annotations

import time
from pathlib import Path

from .orthanc import free_port
from .probe import Prober, Probes, probe_once
from .server import Server


def test_a_probe_of_a_port_nobody_listens_on_fails() -> None:
    assert probe_once(free_port(), timeout=1) is None


def test_the_prober_probes_a_running_server_from_its_start(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    try:
        prober = Prober(server.port, interval=0.02)
        probes = prober.stop()  # right away: the first probe was done before Prober returned
        assert len(probes.latencies) >= 1 and probes.failures == 0
        prober = Prober(server.port, interval=0.02)
        time.sleep(0.3)
        probes = prober.stop()
    finally:
        server.stop()
    assert len(probes.latencies) >= 5 and probes.failures == 0
    assert len(probes.starts) == len(probes.latencies)
    assert 0 < probes.percentile_ms(0.5) <= probes.percentile_ms(1.0) < 5000


def test_slow_probes_are_told_with_when_they_started() -> None:
    probes = Probes(latencies=[0.002, 0.25, 0.05], starts=[0.0, 1.5, 2.0], failures=1)
    assert probes.over(0.1) == [(1.5, 0.25)]
    assert probes.percentile_ms(1.0) == 250.0
    assert probes.percentile_ms(0.5) == 50.0


def test_the_probes_of_a_window_are_those_that_started_in_it() -> None:
    probes = Probes(latencies=[0.002, 0.25, 0.05], starts=[0.0, 1.5, 2.0], began=100.0)
    during = probes.within([(101.0, 101.9), (105.0, 106.0)])
    assert during.latencies == [0.25] and during.starts == [1.5]
    assert probes.within([]).latencies == []
