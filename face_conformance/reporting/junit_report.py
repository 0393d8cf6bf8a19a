"""`junit.xml`: one testcase per row, so CI test tabs show the rows as tests.

The testsuite's properties name the operation (`operation`, `operation-title`, `api-version`,
`patch-path`) and the target; a not-applicable row is skipped with its reason.

Mapping: fail -> failure, error -> error, not-observed / not-applicable / accepted -> skipped (with
why), warn -> passed with the warning in system-out (a failure under `--strict`), pass and info ->
passed (info keeps its note in system-out).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from junitparser import Error, Failure, JUnitXml, Skipped, SystemOut, TestCase, TestSuite

from face_conformance.cases.outcomes import UNTESTED, Outcome
from face_conformance.evidence.record import operation_of
from face_conformance.reporting.common import EVIDENCE_LIMIT, as_text, row_level, xml_safe
from face_conformance.reporting.failures import format_failure

FILENAME = "junit.xml"
SUITE_NAME = "face-conformance"
_SKIPPED = UNTESTED | {Outcome.ACCEPTED}


def build_junit(result: Mapping[str, Any]) -> JUnitXml:
    """The JUnit document for a result: one `face-conformance` testsuite, one testcase per row."""
    target = result.get("target") or {}
    suite = TestSuite(SUITE_NAME)
    _operation_properties(suite, result)
    for name in ("endpoint", "mode", "profile", "seed"):
        if target.get(name) is not None:
            suite.add_property(name, xml_safe(as_text(target[name])))
    suite.add_property("verdict", xml_safe(as_text(result.get("verdict"))))
    if target.get("started"):
        suite.timestamp = str(target["started"])
    strict = bool(target.get("strict"))
    suite.add_testcases([_testcase(row, strict) for row in result.get("rows") or []])
    if isinstance(result.get("duration_s"), int | float):
        suite.time = float(result["duration_s"])  # after add_testcases, which recomputes time from cases
    observations = _observations_text(result.get("observations") or [])
    if observations:
        suite.append(SystemOut(xml_safe(observations)))
    doc = JUnitXml(SUITE_NAME)
    doc.add_testsuite(suite)
    return doc


def _operation_properties(suite: TestSuite, result: Mapping[str, Any]) -> None:
    """The operation and API version the rows are of, as the testsuite's first properties."""
    named = operation_of(result)
    for prop, key in (("operation", "name"), ("operation-title", "title"), ("api-version", "version"),
                      ("patch-path", "patch_path")):
        suite.add_property(prop, xml_safe(as_text(named[key])))  # type: ignore[literal-required]


def _testcase(row: Mapping[str, Any], strict: bool) -> TestCase:
    case = TestCase(name=str(row.get("id")), classname=row_level(row))
    outcome = row.get("outcome")
    summary = xml_safe(as_text(row.get("summary")))
    details = xml_safe(_evidence_block(row))
    if outcome == Outcome.FAIL or (outcome == Outcome.WARN and strict):
        case.result = [_with_text(Failure(summary, outcome), details)]
    elif outcome == Outcome.ERROR:
        case.result = [_with_text(Error(summary, "suite-error"), details)]
    elif outcome in _SKIPPED:
        case.result = [Skipped(xml_safe(_skip_message(row)), outcome)]
    elif outcome == Outcome.WARN:
        case.system_out = f"WARNING: {summary}\n{details}".rstrip()
    elif outcome == Outcome.INFO or details:
        case.system_out = f"{outcome}: {summary}\n{details}".rstrip()
    return case


def _with_text(result: Failure | Error, text: str) -> Failure | Error:
    result.text = text
    return result


def _skip_message(row: Mapping[str, Any]) -> str:
    summary = as_text(row.get("summary"))
    if row.get("outcome") == Outcome.ACCEPTED:
        return f"accepted deviation: {as_text(row.get('accepted_reason')) or 'no reason given'} ({summary})"
    return f"{row.get('outcome')}: {summary}"


def _evidence_block(row: Mapping[str, Any]) -> str:
    """Each evidence item as the terminal and pytest show a failure, headed by the item's verdict."""
    evidence = list(row.get("evidence") or [])
    blocks = [format_failure(row, item) for item in evidence[:EVIDENCE_LIMIT]]
    if len(evidence) > EVIDENCE_LIMIT:
        blocks.append(f"... {len(evidence) - EVIDENCE_LIMIT} more evidence items in conformance.json")
    return "\n\n".join(blocks)


def _observations_text(observations: list[Mapping[str, Any]]) -> str:
    lines = []
    for obs in observations:
        lines.append(
            f"INFO {as_text(obs.get('id'))} ({as_text(obs.get('row'))}): {as_text(obs.get('summary'))}"
        )
    return "\n".join(lines)


def write_junit(result: Mapping[str, Any], report_dir: Path) -> Path:
    """Write `junit.xml` into `report_dir` and return its path."""
    path = report_dir / FILENAME
    build_junit(result).write(str(path), pretty=True)
    return path
