"""The result record (`face_conformance.evidence.record`): what a run writes has exactly the declared shape."""

from __future__ import annotations

import json

import pytest

from face_conformance import cli
from face_conformance.cases import catalogue
from face_conformance.evidence.record import RowRecord, RunResult, TargetRecord, check_result


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """conformance.json of a smoke mock run (in process, a few seconds)."""
    report_dir = tmp_path_factory.mktemp("result")
    code = cli.main(["run", "--profile", "smoke", "--report-dir", str(report_dir)])
    assert code == 0
    return json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))


def test_a_run_writes_exactly_the_declared_fields(written: dict) -> None:
    assert check_result(written) == []
    assert set(written) == set(RunResult.__annotations__)
    assert set(written["target"]) <= TargetRecord.__required_keys__ | TargetRecord.__optional_keys__
    for row in written["rows"]:
        assert set(row) <= set(RowRecord.__annotations__), row["id"]
    assert [r["id"] for r in written["rows"]] == list(catalogue.row_ids())


def test_check_result_names_what_is_missing_or_unknown(written: dict) -> None:
    broken = json.loads(json.dumps(written))
    del broken["verdict"]
    del broken["target"]["mode"]
    broken["rows"][0]["outcome"] = "passed"
    del broken["rows"][1]["evidence"]
    problems = check_result(broken)
    assert "missing field 'verdict'" in problems
    assert "target lacks 'mode'" in problems
    assert f"row {broken['rows'][0]['id']!r} has the unknown outcome 'passed'" in problems
    assert f"row {broken['rows'][1]['id']!r} lacks evidence" in problems

