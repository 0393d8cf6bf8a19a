"""Ctrl-C and SIGTERM during a live run: the process ends, and no `conformance-*` group is left.

The server answers every request 100 ms late, so that the signal lands while the run is busy:
once during set-up (right after the first group exists) and once in the middle of the rows.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
from harness import assert_no_traceback, finish, live_args, start_cli
from servers import SlowReference, conformance_groups, list_group_ids, model_group_ids, reference

from face_conformance.reference import ReferenceConfig

KEY = "interrupt-key-0b7e"
DELAY_S = 0.1
MID_RUN_REQUESTS = 15  # requests the server has seen before a mid-run signal

CASES = [
    pytest.param(signal.SIGINT, "setup", "smoke", id="SIGINT-during-setup"),
    pytest.param(signal.SIGTERM, "setup", "smoke", id="SIGTERM-during-setup"),
    pytest.param(signal.SIGINT, "mid-run", "full", id="SIGINT-mid-run-full"),
    pytest.param(signal.SIGTERM, "mid-run", "smoke", id="SIGTERM-mid-run"),
]
_GATE = threading.Semaphore(2)  # at most two runs at once, if the tests are ever run in parallel


@pytest.mark.parametrize(("signum", "when", "profile"), CASES)
def test_interrupted_run_deletes_its_groups(tmp_path: Path, signum: signal.Signals, when: str, profile: str) -> None:
    with _GATE, reference(ReferenceConfig(key=KEY), SlowReference, delay=DELAY_S) as server:
        service = server.service
        args = live_args(server.base_url, KEY, tmp_path / "reports", profile=profile)
        started = time.monotonic()
        proc = start_cli(*args, cwd=tmp_path)
        try:
            def ready() -> bool:
                if not conformance_groups(model_group_ids(service)):
                    return False
                return when == "setup" or len(service.request_log) >= MID_RUN_REQUESTS

            deadline = started + 60
            while not ready():
                assert proc.poll() is None, "the run ended before it could be interrupted"
                assert time.monotonic() < deadline, "no conformance group appeared within 60 s"
                time.sleep(0.01)
            seen = conformance_groups(model_group_ids(service))
            proc.send_signal(signum)
            signalled = time.monotonic()
        finally:
            run = finish(proc, args, started, 60, tmp_path / "reports")
        took = time.monotonic() - signalled
        assert took < 30, f"the run took {took:.1f} s to end after {signum.name}"
        assert run.returncode == 3, run.describe()
        assert_no_traceback(run)
        # Nothing left: seen through the API as a user would, and in the server's own state.
        assert conformance_groups(list_group_ids(server.base_url, KEY)) == []
        deleted = {e.raw_path.rsplit("/", 1)[-1] for e in service.request_log if e.method == "DELETE"}
        assert set(seen) <= deleted
        # The run says it was interrupted, in the report and on the terminal.
        report = run.report
        assert report["verdict"] == "inconclusive" and "interrupted" in report["verdict_reason"]
        assert "interrupted" in run.output


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_diff_deletes_the_live_sides_groups(tmp_path: Path, signum: signal.Signals) -> None:
    """`diff mock --endpoint-b …`, stopped mid-way: exit 3, and the live side keeps no group."""
    with _GATE, reference(ReferenceConfig(key=KEY), SlowReference, delay=DELAY_S) as server:
        service = server.service
        args = ["diff", "mock", "--endpoint-b", server.base_url, "--key-b", KEY, "--report-dir",
                str(tmp_path / "diff")]
        started = time.monotonic()
        proc = start_cli(*args, cwd=tmp_path)
        try:
            deadline = started + 90
            while len(service.request_log) < MID_RUN_REQUESTS:
                assert proc.poll() is None, "the diff ended before it could be interrupted"
                assert time.monotonic() < deadline, "the live side got no requests within 90 s"
                time.sleep(0.01)
            proc.send_signal(signum)
        finally:
            run = finish(proc, args, started, 60, None)
        assert run.returncode == 3, run.describe()
        assert_no_traceback(run)
        assert conformance_groups(list_group_ids(server.base_url, KEY)) == []
