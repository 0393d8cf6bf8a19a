"""Near misses and the key on every shape: wrong inputs next to the right ones (full profile).

Each near miss changes one part of a valid update of the face under test by a rule the document
names (`x-near-misses`), from the run's real values: the key, each path ID, the media type, the
body's syntax. Each wrong-key shape repeats a request the suite sends otherwise, with a wrong key.
Their read-backs are batched: each request writes a distinct marker, so one Get Face names the
request that changed the face.
"""

from __future__ import annotations

import pytest

from face_conformance.cases import catalogue
from face_conformance.cases.probes import near_miss, near_miss_cases, wrong_key_shapes
from face_conformance.judging import oracle
from face_conformance.reporting.failures import assert_held
from face_conformance.run.runner import Runner


def _row_of(part: str) -> str:
    """The first MUST row about this part of the request (for the test's marker)."""
    return next(r.id for r in catalogue.rows() if r.part == part and r.level == "MUST")


CASES = [pytest.param(part, rule, marks=pytest.mark.row(_row_of(part)), id=f"{part}:{rule}")
         for part, rule in near_miss_cases()]


@pytest.fixture(scope="module")
def full(runner: Runner) -> Runner:
    """The runner, for the full profile only (a smoke run sends the rows' first probes)."""
    if runner.smoke:
        pytest.skip("near misses and every wrong-key shape belong to --profile full")
    return runner


@pytest.mark.parametrize(("part", "rule"), CASES)
def test_near_miss(full: Runner, part: str, rule: str) -> None:
    """A request wrong in one part by a near miss gets that part's documented answer."""
    probe = near_miss(full.world, part, rule)
    if not full.spend_check(probe.rows):
        pytest.skip("request budget spent")
    assert_held(full.run(probe))


@pytest.mark.row("x.auth-first")
def test_key_checked_on_every_shape(full: Runner) -> None:
    """Every request shape the suite sends, with a wrong key, gets 401 and changes nothing."""
    findings = []
    for probe in wrong_key_shapes(full.world):
        if not full.spend_check(probe.rows):
            pytest.skip("request budget spent")
        findings += full.run(probe)
    findings += full.flush()
    assert any(f.row == oracle.AUTH_FIRST for f in findings)
    assert_held(findings)
