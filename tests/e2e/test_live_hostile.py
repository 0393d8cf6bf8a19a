"""Hostile servers: the suite must still end in bounded time, with a report, an exit status of 1
or 3, bounded evidence and no traceback, whatever comes back (or does not)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from harness import Run, assert_no_traceback, assert_reports_written, get, live_args, run_many
from servers import (
    HostileServer,
    close_mid_answer,
    conformance_groups,
    hostile,
    html_502,
    huge_body,
    length_too_long,
    length_too_short,
    model_group_ids,
    never_answer,
    not_json,
    trickle,
)

from face_conformance.reference import ReferenceConfig, ReferenceService

KEY = "hostile-key-55e0"
TIMEOUT_S = "2"
EXCERPT_LIMIT = 2000 + 100  # the evidence excerpt plus its "… [N more characters cut]" marker
HUGE = 20 << 20

# name: (behaviour, PATCH only (set-up through a real reference), time bound in seconds)
SCENARIOS: dict[str, tuple[Any, bool, float]] = {
    # the two that stall every PATCH for the whole --timeout come first: they set the module's pace
    "content-length-too-long-patch": (length_too_long, True, 90),
    "trickles-for-ever-patch": (trickle, True, 90),
    "html-502-everything": (html_502, False, 60),
    "html-502-patch": (html_502, True, 60),
    "not-json-everything": (not_json, False, 60),
    "not-json-patch": (not_json, True, 60),
    "huge-body-patch": (huge_body, True, 60),
    "closed-mid-answer-patch": (close_mid_answer, True, 60),
    "never-answers-patch": (never_answer, True, 60),
    "content-length-too-short-patch": (length_too_short, True, 60),
}


@dataclass
class Hostile:
    servers: dict[str, HostileServer] = field(default_factory=dict)
    backends: dict[str, ReferenceService] = field(default_factory=dict)
    runs: dict[str, Any] = field(default_factory=dict)

    def run(self, name: str) -> Run:
        return get(self.runs, name)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    tmp = tmp_path_factory.mktemp("hostile")
    state = Hostile()
    with ExitStack() as stack:
        jobs = {}
        for name, (behaviour, patch_only, _) in SCENARIOS.items():
            backend = ReferenceService(ReferenceConfig(key=KEY)) if patch_only else None
            server = stack.enter_context(hostile(behaviour, behind=backend, patch_only=patch_only, huge_bytes=HUGE))
            state.servers[name] = server
            if backend is not None:
                state.backends[name] = backend
            jobs[name] = live_args(server.base_url, KEY, tmp / name, "--timeout", TIMEOUT_S)
        # Most of these runs wait on sockets, not on the CPU.
        state.runs = run_many(jobs, cwd=tmp, parallel=4, timeout=180)
        yield state


def _evidence(report: dict[str, Any]) -> list[dict[str, Any]]:
    items = [e for row in report["rows"] for e in row["evidence"]]
    items += [e for obs in report["observations"] for e in obs.get("evidence", [])]
    return items


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_hostile_server_gets_a_bounded_honest_report(attacked: Hostile, name: str) -> None:
    run = attacked.run(name)
    _, patch_only, bound = SCENARIOS[name]
    assert run.returncode in (1, 3), run.describe()
    assert_no_traceback(run)
    assert run.elapsed < bound, f"the run took {run.elapsed:.1f} s\n{run.describe()}"
    report = assert_reports_written(run, max_json_bytes=2 << 20)
    assert report["verdict"] == {1: "non-conformant", 3: "inconclusive"}[run.returncode]
    assert report["target"]["mode"] == "live"
    for item in _evidence(report):
        response = item.get("response") or {}
        assert len(response.get("body") or "") <= EXCERPT_LIMIT
        assert len(json.dumps(item)) < 64_000, "one evidence item is too big to read"
    for name_ in ("junit.xml", "report.html", "summary.md"):
        assert (run.report_dir / name_).stat().st_size < 4 << 20
    if patch_only:
        # Set-up worked through the reference: rows were judged, and teardown deleted the groups.
        assert run.returncode == 1 or "answer" in report["verdict_reason"], run.describe()
        bad = [r for r in report["rows"] if r["outcome"] in ("fail", "error")]
        assert bad, "a sabotaged PATCH must fail rows"
        assert conformance_groups(model_group_ids(attacked.backends[name])) == []
    else:
        assert run.returncode == 3 and "set-up failed" in report["verdict_reason"], report["verdict_reason"]


def test_html_502_is_a_documented_status_violation(attacked: Hostile) -> None:
    run = attacked.run("html-502-patch")
    rows = run.rows()
    assert rows["x.documented-status"]["outcome"] == "fail"
    shown = [e for e in rows["x.documented-status"]["evidence"] if (e.get("response") or {}).get("status") == 502]
    assert shown and "502 Bad Gateway" in shown[0]["response"]["body"]


def test_not_json_breaks_the_error_envelope(attacked: Hostile) -> None:
    rows = attacked.run("not-json-patch").rows()
    assert rows["x.error-envelope"]["outcome"] == "fail"


def test_huge_body_is_read_only_in_part(attacked: Hostile) -> None:
    run, server = attacked.run("huge-body-patch"), attacked.servers["huge-body-patch"]
    assert server.huge_sent, "no PATCH reached the huge-body behaviour"
    # The client stopped reading at its bound and hung up: no answer was taken in full.
    assert max(server.huge_sent) < HUGE, server.huge_sent
    truncated = [e for e in _evidence(run.report) if (e.get("response") or {}).get("truncated")]
    assert truncated
    assert (run.report_dir / "conformance.json").stat().st_size < 2 << 20


def test_never_answering_patch_times_out_and_says_so(attacked: Hostile) -> None:
    run, server = attacked.run("never-answers-patch"), attacked.servers["never-answers-patch"]
    assert server.hung >= 1
    notes = " ".join(str(e.get("error")) for e in _evidence(run.report))
    assert "timeout" in notes


def test_connection_dropped_mid_answer_is_named(attacked: Hostile) -> None:
    notes = " ".join(str(e.get("error")) for e in _evidence(attacked.run("closed-mid-answer-patch").report))
    assert "closed" in notes or "broken" in notes, notes
