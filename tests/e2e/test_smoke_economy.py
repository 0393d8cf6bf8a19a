"""Request economy: a live smoke run costs at most 1.5 times the floor of `face_conformance.cases.economy`.

The floor itself (its terms, the rows provokable at will) is the unit tier's (`tests/unit/test_economy.py`).
"""

from __future__ import annotations

from collections import Counter

import pytest
from harness import Run, live_args, run_cli

from face_conformance.cases import economy
from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService

KEY = "economy-key-0123456789abcdef"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, list]:
    """One live smoke run against the reference on loopback, and the server's request log."""
    work = tmp_path_factory.mktemp("economy")
    with BackgroundServer(ReferenceService(ReferenceConfig(key=KEY))) as server:
        run = run_cli(*live_args(server.base_url, KEY, work / "reports"), cwd=work, timeout=120)
        log = server.service.request_log
    assert run.returncode == 0, run.describe()
    return run, log


def test_smoke_run_sends_at_most_one_and_a_half_times_the_floor(smoke: tuple[Run, list]) -> None:
    run, log = smoke
    sent, floor = len(log), economy.minimum_smoke_requests()
    assert run.report["requests"] == sent, "the run's own count and the server's log disagree"
    assert floor <= sent, f"the run saw every row with {sent} requests: the floor ({floor}) is wrong"
    by_kind = Counter(f"{entry.method} {entry.status}" for entry in log)
    assert sent <= economy.SMOKE_BUDGET_RATIO * floor, (
        f"smoke run sent {sent} requests, floor {floor} (ratio {sent / floor:.2f}); by purpose "
        f"{run.report['requests_by_purpose']}; by method and status {dict(by_kind)}")


def test_smoke_run_observes_every_row_it_can_provoke(smoke: tuple[Run, list]) -> None:
    run, _ = smoke
    outcomes = {row["id"]: row["outcome"] for row in run.report["rows"]}
    missed = {row: outcomes[row] for row in economy.at_will_rows() if outcomes[row] in ("not-observed", "error")}
    assert not missed, f"rows a live smoke run can provoke were not observed: {missed}"
    assert all(outcomes[row] == "pass" for row in economy.at_will_rows()), outcomes


def test_smoke_run_leaves_nothing_behind(smoke: tuple[Run, list]) -> None:
    _, log = smoke
    created = [e.raw_path for e in log if e.method == "PUT" and e.status == 200]
    deleted = [e.raw_path for e in log if e.method == "DELETE" and e.status == 200]
    assert created and sorted(created) == sorted(deleted)

