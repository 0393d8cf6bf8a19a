"""One explicit case per probe the OpenAPI document gives a row: every documented row is provoked."""

from __future__ import annotations

import pytest

from face_conformance.cases import catalogue
from face_conformance.cases.probes import explicit_cases, from_row_data
from face_conformance.reporting.failures import assert_held
from face_conformance.run.runner import Runner
from face_conformance.run.scenarios import recover_after

CASES = [
    pytest.param(row_id, index, data, marks=pytest.mark.row(row_id), id=f"{row_id}#{index + 1}")
    for row_id, index, data in explicit_cases()
]


@pytest.mark.parametrize(("row_id", "index", "data"), CASES)
def test_documented_row(runner: Runner, row_id: str, index: int, data: dict) -> None:
    """Send the row's probe and judge the answer against the documented table."""
    if index > 0 and runner.smoke:
        pytest.skip("the smoke profile sends each row's first probe only")
    row = catalogue.row(row_id)
    probe = from_row_data(row, index, data, runner.world)
    if probe is None:
        runner.unreachable(row_id, "this run has no second person or group to reach it through")
        pytest.skip("needs a resource this run does not have (bring-your-own)")
    if probe.force and not runner.can_force:
        pytest.skip(f"{row_id} cannot be provoked on a live endpoint; it is checked whenever it is seen")
    if not runner.spend_check(probe.rows):
        pytest.skip("request budget spent")
    findings = runner.run(probe)
    assert any(f.row == row_id for f in findings), f"the probe never reached {row_id}: {findings}"
    # State after state: after an error answer on the face, a normal update gets 200 again.
    assert_held(findings + recover_after(runner, probe))


@pytest.mark.parametrize("row_id", [r.id for r in catalogue.rows() if r.level == "N/A"])
def test_not_applicable_row(row_id: str) -> None:
    """N/A rows are reported as not applicable, with the reason the catalogue gives."""
    row = catalogue.row(row_id)
    assert row.reason, f"{row_id} is N/A but the document gives no reason"
    pytest.skip(f"{row_id} not applicable: {row.reason}")
