"""Rows that need more than one request at a time, or a group in training. Runs last: training
blocks updates of the group until it ends."""

from __future__ import annotations

import pytest

from face_conformance.judging import checks, oracle
from face_conformance.reporting.failures import assert_held
from face_conformance.run.runner import Runner
from face_conformance.run.scenarios import concurrent_writes, isolation, training

PARALLEL_UPDATES = {"smoke": 3, "full": 4}


@pytest.mark.row("x.concurrent-writes")
def test_concurrent_writes(runner: Runner) -> None:
    """Parallel updates of one face: each gets 200, 409 ConcurrentOperationConflict or 429; one value wins."""
    if not runner.spend_check((checks.PARALLEL,), reserve=False):
        pytest.skip("request budget spent")
    findings = concurrent_writes(runner, PARALLEL_UPDATES[runner.profile])
    assert any(f.row == checks.PARALLEL for f in findings)
    assert_held(findings)


@pytest.mark.row("409.training")
def test_update_while_training(runner: Runner) -> None:
    """An update while the group trains gets 409 PersonGroupTrainingNotFinished."""
    if not runner.spend_check((oracle.TRAINING,), reserve=False):
        pytest.skip("request budget spent")
    findings = training(runner)
    if not any(f.row == oracle.TRAINING for f in findings):
        pytest.skip(runner.why_unobserved(oracle.TRAINING) or "training was not observed")
    assert_held(findings)


@pytest.mark.row("x.isolation")
def test_other_resources_are_untouched(runner: Runner) -> None:
    """After the whole run, every face no request wrote holds what it held; a state of one resource
    (training, a write in flight) changed nothing about how the others answered."""
    if not runner.spend_check((checks.ISOLATION,), reserve=False):
        pytest.skip("request budget spent")
    findings = isolation(runner) + runner.findings_on(checks.ISOLATION)
    if not findings:
        pytest.skip(runner.why_unobserved(checks.ISOLATION) or "the run has no other face to look at")
    assert_held(findings)
