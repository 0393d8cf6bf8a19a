"""The cross-cutting rows: judged on every answer so far, and provoked where they need their own request."""

from __future__ import annotations

import pytest

from face_conformance.judging import checks, oracle
from face_conformance.reporting.failures import assert_held
from face_conformance.run.runner import Runner

# Rows every PATCH answer is judged against; the suite has sent many by the time this runs.
JUDGED_ON_EVERY_ANSWER = (oracle.ENVELOPE, oracle.DOCUMENTED_STATUS)


@pytest.mark.row("x.no-change-on-error")
def test_no_change_on_error(runner: Runner) -> None:
    """After the error answers so far, every face they addressed still holds what it held."""
    runner.flush()
    findings = runner.findings_on(checks.NO_CHANGE)
    assert findings, "no error answer addressed a real face, so x.no-change-on-error was never checked"
    assert_held(findings)


@pytest.mark.parametrize("row_id", [pytest.param(r, marks=pytest.mark.row(r), id=r) for r in JUDGED_ON_EVERY_ANSWER])
def test_judged_on_every_answer(runner: Runner, row_id: str) -> None:
    """Every answer so far kept to the row (the evidence names the first that did not)."""
    findings = runner.findings_on(row_id)
    assert findings, f"no answer was judged against {row_id}"
    assert_held(findings)
