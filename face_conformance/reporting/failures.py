"""One formatter for failures: the row, what the page requires, what came back, and a curl line.

Every text output lays a failure out with `format_failure`: pytest's message for a failed test,
the terminal summary after a run, JUnit's failure text and the HTML report's block "as text". It
reads the report's record of a finding (a result row and one of its evidence items, the shape of
`conformance.json`), because that is what the reports and the terminal have; a `Finding` is turned
into that record first (`evidence_record`, which the ledger stores too), so both paths share one
layout and one redaction. README's "Reading a failure" shows this layout; tests pin the two together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from face_conformance.cases import catalogue
from face_conformance.evidence.redaction import as_text, excerpt, redact_text
from face_conformance.judging.findings import Finding, evidence_record, failing

#: The labels of the lines under a failure's heading, in the order they are printed.
LABELS = ("expected", "found", "sent", "received", "reproduce")
#: Characters of the response body shown on the `received` line (the report keeps more).
RECEIVED_CHARS = 200
_LABEL_WIDTH = max(len(label) for label in LABELS) + 2  # "reproduce: " and the values line up


def format_failure(row: Mapping[str, Any], evidence: Mapping[str, Any] | None = None) -> str:
    """A failure as a person reads it: heading, expected, found, sent, received, reproduce.

    `row` is a result row; only its `id` is needed (level, `when` and the documented answer come
    from the catalogue when the row does not carry them). `evidence` is one of its evidence items,
    or None for a row that has none, whose summary is then what was found. The heading names the
    evidence's verdict, so an item that passed reads as PASS. Lines with nothing to say are left
    out; every credential is shown as ***.
    """
    row_id = as_text(row.get("id"))
    known = catalogue.by_id().get(row_id)
    level = as_text(row.get("level")) or (known.level if known else "?")
    when = as_text(row.get("when")) or (known.when if known else "")
    verdict = as_text((evidence or {}).get("verdict") or row.get("outcome")) or "?"
    heading = f"{verdict.upper()} {row_id} ({level})" + (f": {when}" if when else "")
    if evidence is None:
        found: list[tuple[str, Any]] = [("found", row.get("summary"))]
    else:
        request = evidence.get("request") or {}
        sent = f"{as_text(request.get('method'))} {as_text(request.get('url'))}".strip() if request else ""
        found = [("found", evidence.get("note")), ("sent", sent), ("received", _received(evidence)),
                 ("reproduce", evidence.get("curl"))]
    lines = [heading]
    for label, value in [("expected", _expected(row, known)), *found]:
        text = as_text(value)
        if text:
            lines.append(f"  {label + ':':<{_LABEL_WIDTH}}{text}")
    return redact_text("\n".join(lines))


def _expected(row: Mapping[str, Any], known: catalogue.Row | None) -> str | None:
    """The documented answer; None for a cross-cutting row, whose `when` is the requirement."""
    if known is not None:
        return catalogue.answer_text(known.id) if known.status is not None else None
    if row.get("status") is None:
        return None
    code = row.get("code")
    return f"HTTP {as_text(row['status'])}" + (f" with error.code {code!r}" if code else "")


def _received(evidence: Mapping[str, Any]) -> str | None:
    """What came back, in one line: the status and the start of the body, or why nothing came.

    The body is shown as a Python literal, so a server's control characters and terminal escapes
    arrive as visible `\\x1b` rather than acting on the reader's terminal.
    """
    response = evidence.get("response")
    error = as_text(evidence.get("error"))
    if not response:
        return f"no answer ({error})" if error else None
    status = as_text(response.get("status"))
    body = excerpt(response.get("body"), RECEIVED_CHARS)
    if body.text:
        text = f"HTTP {status}: {body.text!r}" + ("…" if body.full else "")
    else:
        text = f"HTTP {status} with an empty body"
    return f"{text}; {error}" if error else text


def format_finding(finding: Finding) -> str:
    """A finding as `format_failure` lays it out (pytest's failure message)."""
    return format_failure({"id": finding.row}, evidence_record(finding))


def failure_text(findings: list[Finding]) -> str | None:
    """The message of a failed test, or None when nothing failed."""
    bad = failing(findings)
    if not bad:
        return None
    return "\n\n".join(format_finding(f) for f in bad)


def assert_held(findings: list[Finding]) -> None:
    """Fail the current test with the evidence when any finding failed (no Python traceback)."""
    import pytest

    text = failure_text(findings)
    if text:
        pytest.fail(text, pytrace=False)
