"""Pacing as a server sees it: a live run with --max-rps 4 against the reference on loopback.

The pacer's guarantee (no window of `window_s` seconds holds more than `limit` requests) on a fake
clock and under threads is the unit tier's (`tests/unit/test_pacing.py`).
"""

from __future__ import annotations

from pathlib import Path

from harness import live_args, run_cli

from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService
from face_conformance.suite.test_90_live_rows import PARALLEL_UPDATES


def test_live_run_keeps_max_rps_at_the_server(tmp_path: Path) -> None:
    """--max-rps 4 against a server that rate-limits and conflicts: no second holds more than 4 arrivals."""
    key = "pacing-key-0123456789abcdef"
    config = ReferenceConfig(key=key, training_seconds=1.0, write_hold_seconds=0.2,
                             rate_limit_every=5, rate_limit_wait_seconds=0)
    with BackgroundServer(ReferenceService(config)) as server:
        run = run_cli(*live_args(server.base_url, key, tmp_path / "reports", "--max-rps", "4"),
                      cwd=tmp_path, timeout=180)
        log = server.service.request_log
    assert run.returncode == 0, run.describe()
    statuses = [entry.status for entry in log]
    assert statuses.count(429) >= 3, "the server should have rate-limited some requests (retries)"
    # The parallel updates were sent (a 429 repeats one; whether they overlapped depends on the window).
    assert run.report["requests_by_purpose"]["x.concurrent-writes"] >= PARALLEL_UPDATES["smoke"]
    assert run.report["requests"] == len(log), "every request the server saw was sent by the paced client"
    arrivals = sorted(entry.time for entry in log)
    # The most arrivals any half-open second [t, t + 1) holds (the busiest one starts at an arrival).
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert busiest <= 4, f"{busiest} requests reached the server within one second"
