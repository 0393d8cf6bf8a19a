"""Self-tests of `face_conformance.reporting.failures`: the one failure block, wherever a failure is shown.

The block a user reads (row, expected, found, sent, received, reproduce) is pinned here, the key
is shown as *** in it whatever carried the key, every output (pytest, terminal, JUnit, HTML) lays
a failure out with the same function, and README's "Reading a failure" has the same shape.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml
from rich.console import Console

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import Outcome
from face_conformance.evidence import redaction
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest
from face_conformance.judging.findings import Finding
from face_conformance.judging.ledger import Ledger
from face_conformance.reporting import write_reports
from face_conformance.reporting.failures import (
    LABELS,
    RECEIVED_CHARS,
    assert_held,
    evidence_record,
    failing,
    failure_text,
    format_failure,
    format_finding,
)
from face_conformance.reporting.terminal import STYLE, print_summary

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
# Shaped like an Azure key (32 hex digits), so a pattern that only knows key-like text would catch it too.
KEY = "5f0c3a9e7b2d4c1f8e6a0b9d3c7e1f24"
BASE = "https://face.test/face/v1.0"
BAD_GROUP_URL = f"{BASE}/persongroups/bad!group/persons/p1/persistedFaces/f1"
WRONG_CODE = b'{"error":{"code":"BadArgument","message":"bad group"}}'
NOTE = "expected HTTP 404 with error.code 'PersonGroupNotFound'; got HTTP 400 code 'BadArgument'"


@pytest.fixture(autouse=True)
def _no_registered_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty secret registry, and leaves none behind for other tests."""
    monkeypatch.setattr(redaction, "_SECRETS", set())
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def exchange(url: str = BAD_GROUP_URL, answer: Answer | None = None, error: str | None = None,
             headers: tuple[tuple[str, str], ...] = ()) -> Exchange:
    """A PATCH carrying the key in its key header, and what came back."""
    sent = SentRequest("PATCH", url, (("Ocp-Apim-Subscription-Key", KEY), ("Content-Type", "application/json"),
                                      *headers), b'{"userData": "x"}')
    if answer is None and error is None:
        answer = Answer(400, (("Content-Type", "application/json"),), WRONG_CODE)
    return Exchange(sent, answer, error)


def wrong_group(**kwargs: Any) -> Finding:
    """The README's failure: a malformed group answered 400 BadArgument instead of 404."""
    return Finding("404.group-invalid", "fail", NOTE, exchange(**kwargs))


def labels(block: str) -> list[str]:
    """The labels of a block's lines under its heading (`found`, `received`, ...)."""
    return [line.split(":", 1)[0].strip() for line in block.splitlines()[1:]]


def value(block: str, label: str) -> str:
    """The text after `label:` on its line."""
    line = next(x for x in block.splitlines() if x.startswith(f"  {label}:"))
    return line.split(":", 1)[1].strip()


# ---- the block a user reads -----------------------------------------------------------------------


def test_the_block_names_row_expected_found_sent_received_and_reproduce() -> None:
    block = format_finding(wrong_group())
    lines = block.splitlines()
    assert lines[0] == "FAIL 404.group-invalid (MUST): personGroupId breaks the format"
    assert labels(block) == list(LABELS)
    assert lines[1] == "  expected:  HTTP 404 with error.code 'PersonGroupNotFound'"
    assert lines[2] == f"  found:     {NOTE}"
    assert lines[3] == f"  sent:      PATCH {BAD_GROUP_URL}"
    assert lines[4] == f"  received:  HTTP 400: {WRONG_CODE.decode()!r}"
    assert lines[5].startswith(f"  reproduce: curl -i -X PATCH '{BAD_GROUP_URL}' ")
    assert "-H 'Ocp-Apim-Subscription-Key: ***'" in lines[5]
    # Values line up under each other, as in the README.
    assert len({len(line) - len(line.split(":", 1)[1].lstrip()) for line in lines[1:]}) == 1


def test_the_key_never_appears_whatever_carried_it() -> None:
    """The key in the key header, a URL query, an Authorization header and echoed in the body."""
    redaction.register_secret(KEY)  # the client registers the run's key; an echo is caught by it
    echo = Answer(401, (("Content-Type", "application/json"),),
                  b'{"error":{"code":"401","message":"Access denied for key ' + KEY.encode() + b'"}}')
    finding = Finding("401.invalid-key", "fail", "expected code Unspecified; got '401'",
                      exchange(url=f"{BASE}/persongroups/g?subscription-key={KEY}", answer=echo,
                               headers=(("Authorization", f"Bearer {KEY}"),)))
    block = format_finding(finding)
    assert KEY not in block and KEY[:12] not in block and KEY[-12:] not in block
    assert "Ocp-Apim-Subscription-Key: ***" in block and "subscription-key=***" in block
    assert "Access denied for key ***" in value(block, "received")


def test_the_key_in_a_header_is_hidden_even_when_nobody_registered_it() -> None:
    block = format_finding(wrong_group())
    assert KEY not in block
    assert value(block, "reproduce").count("***") == 1


def test_a_cross_cutting_row_has_no_expected_line_its_heading_is_the_rule() -> None:
    finding = Finding("x.error-envelope", "fail", "Content-Type is 'text/plain', not application/json",
                      exchange(answer=Answer(404, (("Content-Type", "text/plain"),), b"nope")))
    block = format_finding(finding)
    assert block.splitlines()[0] == f"FAIL x.error-envelope (MUST): {catalogue.row('x.error-envelope').when}"
    assert labels(block) == ["found", "sent", "received", "reproduce"]


def test_no_answer_says_why() -> None:
    block = format_finding(Finding("415.media-type", "fail", "no answer for text/plain",
                                   exchange(error="no answer within 30 s (timeout)")))
    assert value(block, "received") == "no answer (no answer within 30 s (timeout))"


def test_an_empty_body_is_said_in_words() -> None:
    block = format_finding(Finding("200.ok", "fail", "x", exchange(answer=Answer(200, (), b""))))
    assert value(block, "received") == "HTTP 200 with an empty body"


def test_a_long_hostile_body_is_cut_and_its_controls_stay_visible() -> None:
    body = b"\x1b[31m<script>\x00" + b"A" * 5000
    block = format_finding(Finding("200.ok", "fail", "x", exchange(answer=Answer(200, (), body))))
    received = value(block, "received")
    assert "\x1b" not in block and "\x00" not in block
    assert received.startswith("HTTP 200: '\\x1b[31m<script>\\x00AAA") and received.endswith("'…")
    assert received.count("A") <= RECEIVED_CHARS


def test_a_finding_without_an_exchange_shows_its_note() -> None:
    block = format_finding(Finding("x.concurrent-writes", "error", "a parallel update did not finish"))
    assert block.splitlines()[0].startswith("ERROR x.concurrent-writes (MUST): ")
    assert labels(block) == ["found"] and value(block, "found") == "a parallel update did not finish"


def test_a_row_without_evidence_shows_its_summary() -> None:
    row = {"id": "x.concurrent-writes", "outcome": "error", "summary": "suite error: KeyError 'persistedFaceId'"}
    assert value(format_failure(row), "found") == "suite error: KeyError 'persistedFaceId'"


def test_an_unknown_row_still_formats_from_what_the_record_carries() -> None:
    row = {"id": "499.future", "level": "MUST", "when": "a row of a later version", "status": 499, "code": "Later"}
    block = format_failure(row, evidence_record(wrong_group()))
    assert block.splitlines()[0] == "FAIL 499.future (MUST): a row of a later version"
    assert value(block, "expected") == "HTTP 499 with error.code 'Later'"


# ---- which findings fail a test -------------------------------------------------------------------


def test_failing_keeps_must_failures_and_errors_not_should_rows_or_passes() -> None:
    must, error = wrong_group(), Finding("x.concurrent-writes", "error", "broke")
    should = Finding("x.lookup-order", "fail", "person checked before group")
    assert failing([must, error, should, Finding("200.ok", "pass", "ok"), Finding("200.ok", "warn", "w")]) == \
        [must, error]
    assert failure_text([should]) is None


def test_assert_held_fails_the_test_with_the_blocks_and_no_traceback() -> None:
    with pytest.raises(pytest.fail.Exception) as caught:
        assert_held([wrong_group(), Finding("200.ok", "pass", "ok")])
    assert str(caught.value) == format_finding(wrong_group())
    assert caught.value.pytrace is False
    assert_held([Finding("200.ok", "pass", "ok")])  # nothing failed: nothing raised


# ---- one formatter, every output ------------------------------------------------------------------


def _result_with(finding: Finding) -> dict[str, Any]:
    """A result dict built the engine's way: the finding through the ledger."""
    ledger = Ledger()
    ledger.add(finding)
    return {"target": {"endpoint": BASE, "mode": "live", "profile": "smoke"}, "verdict": "non-conformant",
            "verdict_reason": "1 MUST row(s) failed", "requests": 1, "duration_s": 0.1, "exit_code": 1,
            "rows": ledger.rows()}


def _row(result: dict[str, Any], row_id: str) -> dict[str, Any]:
    return next(r for r in result["rows"] if r["id"] == row_id)


def test_terminal_junit_html_and_pytest_show_the_same_block(tmp_path: Path) -> None:
    redaction.register_secret(KEY)
    finding = wrong_group()
    result = _result_with(finding)
    expected = format_failure(_row(result, finding.row), _row(result, finding.row)["evidence"][0])
    assert failure_text([finding]) == format_finding(finding) == expected

    console = Console(record=True, width=400, force_terminal=False)
    print_summary(result, tmp_path, console)
    terminal = console.export_text()
    assert expected in terminal

    paths = write_reports(result, tmp_path / "reports")
    junit = {case.name: case for suite in JUnitXml.fromfile(str(paths["junit"])) for case in suite}
    assert junit[finding.row].result[0].text == expected

    page = paths["html"].read_text(encoding="utf-8")
    blocks = re.findall(r'<details class="as-text"><summary>As text</summary><pre>(.*?)</pre>', page, re.S)
    assert [html.unescape(b) for b in blocks] == [expected]

    written = {name: path.read_text(encoding="utf-8") for name, path in paths.items()}
    for name, text in {"terminal": terminal, **written}.items():
        assert KEY not in text, name
        if name != "markdown":  # the step summary lists rows, not evidence
            assert "Ocp-Apim-Subscription-Key: ***" in text, name


def test_the_terminal_does_not_read_a_server_body_as_markup(tmp_path: Path) -> None:
    answer = Answer(400, (), b'{"error":{"code":"[/red][bold]x"}}')
    finding = Finding("404.group-invalid", "fail", "got code '[/bold]'", exchange(answer=answer))
    result = _result_with(finding)
    console = Console(record=True, width=400, force_terminal=False)
    print_summary(result, tmp_path, console)
    terminal = console.export_text()
    assert "[/red][bold]x" in terminal  # the body, in the failure block
    assert terminal.count("got code '[/bold]'") == 2  # the note: in the table's summary and in the block


def test_every_outcome_has_a_terminal_style() -> None:
    assert set(STYLE) == set(Outcome)


# ---- README -----------------------------------------------------------------------------------------


def _readme_block() -> list[str]:
    section = README.split("## Reading a failure", 1)[1].split("\n## ", 1)[0]
    return [line[4:] for line in section.splitlines() if line.startswith("    ")]


def test_the_readme_block_has_the_formatters_heading_labels_and_layout() -> None:
    documented = _readme_block()
    printed = format_finding(wrong_group()).splitlines()
    assert documented, "README's 'Reading a failure' has no example block"
    # The heading is exactly what the formatter prints for the README's row.
    assert documented[0] == printed[0]
    # The same labels in the same order, each value starting in the same column.
    assert labels("\n".join(documented)) == labels("\n".join(printed)) == list(LABELS)
    for doc_line, printed_line in zip(documented[1:], printed[1:], strict=True):
        label = doc_line.split(":", 1)[0] + ":"
        assert printed_line.startswith(label)
        assert len(doc_line) - len(doc_line[len(label):].lstrip()) == len(printed_line) - len(
            printed_line[len(label):].lstrip()), doc_line


def test_the_readme_block_values_have_the_formatters_shapes() -> None:
    documented = "\n".join(_readme_block())
    printed = format_finding(wrong_group())
    assert value(documented, "expected") == value(printed, "expected")
    assert value(documented, "found") == value(printed, "found") == NOTE
    assert re.fullmatch(r"PATCH https://\S+", value(documented, "sent"))
    assert value(documented, "received") == value(printed, "received")
    reproduce = value(documented, "reproduce")
    assert reproduce.startswith("curl -i -X PATCH '") and value(printed, "reproduce").startswith("curl -i -X PATCH '")
    assert "-H 'Ocp-Apim-Subscription-Key: ***'" in reproduce
