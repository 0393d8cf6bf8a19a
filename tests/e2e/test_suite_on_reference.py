"""The suite against the embedded reference, as a new user runs it: conformant, every row once."""

from __future__ import annotations

import json

import pytest
from harness import Run

from face_conformance.cases import catalogue


@pytest.fixture(scope="module")
def default_result(default_run: Run) -> tuple[Run, dict]:
    """The tier's shared `default_run` (`face-conformance run`, no options, in an empty directory), and its result."""
    report = default_run.report_dir / "conformance.json"
    assert report.is_file(), default_run.stdout + default_run.stderr
    return default_run, json.loads(report.read_text(encoding="utf-8"))


def test_default_run_is_conformant(default_result: tuple[Run, dict]) -> None:
    """No options: mock mode on the embedded reference, exit 0, verdict conformant."""
    proc, result = default_result
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert result["verdict"] == "conformant"
    assert result["target"]["mode"] == "mock"
    assert "Traceback" not in proc.stdout + proc.stderr


def test_every_row_exactly_once(default_result: tuple[Run, dict]) -> None:
    """conformance.json lists every catalogue row once, in catalogue order."""
    _, result = default_result
    assert [r["id"] for r in result["rows"]] == list(catalogue.row_ids())


def test_every_row_passes_but_not_applicable(default_result: tuple[Run, dict]) -> None:
    """On the reference, mock mode reaches every row: all pass except the N/A one."""
    _, result = default_result
    outcomes = {r["id"]: r["outcome"] for r in result["rows"]}
    assert outcomes.pop("400.name-too-long") == "not-applicable"
    assert set(outcomes.values()) == {"pass"}, {k: v for k, v in outcomes.items() if v != "pass"}


def test_terminal_shows_the_row_table(default_result: tuple[Run, dict]) -> None:
    """The printed summary names every row and the verdict."""
    proc, _ = default_result
    for row_id in catalogue.row_ids():
        assert row_id in proc.stdout
    assert "verdict: conformant" in proc.stdout


def test_reports_written(default_result: tuple[Run, dict]) -> None:
    """All four reports are written next to conformance.json."""
    proc, result = default_result
    assert result["requests"] > 0 and result["duration_s"] > 0
    assert "reports/conformance.json" in proc.stdout
