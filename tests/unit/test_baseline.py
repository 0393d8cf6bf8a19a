"""Self-tests of `face_conformance.judging.baseline`: loading, applying, staleness, and writing a starting file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from sample_result import evidence, sample_result

from face_conformance.cases import catalogue
from face_conformance.judging.baseline import (
    ACCEPTED_PREFIX,
    BaselineError,
    apply_baseline,
    baseline_from_result,
    load_baseline,
    parse_baseline,
)

AZURE = Path(__file__).parents[2] / "baselines" / "azure-current.yaml"
BODY_401 = {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}}
BODY_429 = {"error": {"code": "429", "message": "Rate limit is exceeded. Try again in 2 seconds."}}


def failing_row(row_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    """A failed result row with the given evidence."""
    return {"id": row_id, "level": "MUST", "outcome": "fail", "summary": "it broke", "evidence": list(items)}


def baseline_of(*entries: dict[str, Any]) -> Any:
    """A Baseline from entry dicts, as if read from a file."""
    return parse_baseline({"entries": list(entries)}, "test.yaml")


def write(tmp_path: Path, text: str) -> Path:
    """A baseline file with this text."""
    path = tmp_path / "baseline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---- the shipped Azure baseline -----------------------------------------------------------------


def test_azure_baseline_loads_and_names_its_sources() -> None:
    baseline = load_baseline(AZURE)
    assert [e.row for e in baseline.entries] == ["401.invalid-key", "429.rate-limit", "x.error-envelope"]
    assert all(e.why and e.source and "Face" in e.source for e in baseline.entries)
    assert [e.seen.as_dict() for e in baseline.entries] == [
        {"status": 401, "code": "401"},
        {"status": 429, "code": "429"},
        {"status": 429, "code": "429"},
    ]


def test_azure_baseline_accepts_azures_401_and_429_answers() -> None:
    rows = [
        failing_row("401.invalid-key", evidence("fail", "code '401'", 401, BODY_401)),
        failing_row("429.rate-limit", evidence("fail", "no statusCode", 429, BODY_429)),
        failing_row("x.error-envelope", evidence("fail", "no statusCode", 429, BODY_429)),
    ]
    new_rows, stale = apply_baseline(rows, load_baseline(AZURE))
    assert [r["outcome"] for r in new_rows] == ["accepted"] * 3
    assert stale == []
    assert new_rows[0]["summary"] == ACCEPTED_PREFIX + "it broke"
    assert "Unspecified" in new_rows[0]["accepted_reason"]
    assert "azure-rest-api-specs" in new_rows[0]["accepted_source"]


# ---- applying -----------------------------------------------------------------------------------


def test_accepts_only_when_every_failing_answer_matches() -> None:
    baseline = baseline_of({"row": "401.invalid-key", "seen": {"status": 401, "code": "401"}, "why": "Azure"})
    good = failing_row(
        "401.invalid-key", evidence("fail", "a", 401, BODY_401), evidence("pass", "b", 401, {})
    )
    mixed = failing_row(
        "401.invalid-key",
        evidence("fail", "a", 401, BODY_401),
        evidence("fail", "403 to a wrong key", 403, {"error": {"code": "401", "message": "x"}}),
    )
    rows, stale = apply_baseline([good, mixed], baseline)
    assert [r["outcome"] for r in rows] == ["accepted", "fail"]
    assert rows[0]["accepted_reason"] == "Azure"
    assert stale == []  # it explained the first row


def test_input_rows_are_left_untouched() -> None:
    rows = [failing_row("401.invalid-key", evidence("fail", "a", 401, BODY_401))]
    before = copy.deepcopy(rows)
    apply_baseline(rows, load_baseline(AZURE))
    assert rows == before


def test_a_failure_without_an_answer_is_never_accepted() -> None:
    baseline = baseline_of({"row": "415.media-type", "seen": {}, "why": "anything goes"})
    timeout = failing_row("415.media-type", evidence("fail", "no answer", None, error="timeout after 30 s"))
    no_evidence = failing_row("415.media-type")
    rows, stale = apply_baseline([timeout, no_evidence], baseline)
    assert [r["outcome"] for r in rows] == ["fail", "fail"]
    assert [e["row"] for e in stale] == ["415.media-type"]


def test_message_regex_is_searched_in_error_message() -> None:
    entry = {"row": "401.invalid-key", "seen": {"code": "401", "message": "^Access denied"}, "why": "gateway"}
    other = {"error": {"code": "401", "message": "Key expired."}}
    rows, stale = apply_baseline(
        [
            failing_row("401.invalid-key", evidence("fail", "a", 401, BODY_401)),
            failing_row("401.invalid-key", evidence("fail", "b", 401, other)),
        ],
        baseline_of(entry),
    )
    assert [r["outcome"] for r in rows] == ["accepted", "fail"]


def test_code_and_message_keys_do_not_match_a_body_that_is_not_json() -> None:
    baseline = baseline_of(
        {"row": "429.rate-limit", "seen": {"status": 429, "code": "429"}, "why": "a"},
        {"row": "429.rate-limit", "seen": {"status": 503}, "why": "b"},
    )
    text_body = failing_row("429.rate-limit", evidence("fail", "html", 429, "<html>busy</html>"))
    rows, stale = apply_baseline([text_body], baseline)
    assert rows[0]["outcome"] == "fail"
    assert len(stale) == 2


def test_entries_for_one_row_combine_to_cover_different_answers() -> None:
    baseline = baseline_of(
        {"row": "x.error-envelope", "seen": {"status": 429, "code": "429"}, "why": "429 drift"},
        {"row": "x.error-envelope", "seen": {"status": 403, "code": "403"}, "why": "403 drift"},
    )
    row = failing_row(
        "x.error-envelope",
        evidence("fail", "a", 429, BODY_429),
        evidence("fail", "b", 403, {"error": {"code": "403", "message": "Out of quota"}}),
    )
    rows, stale = apply_baseline([row], baseline)
    assert rows[0]["outcome"] == "accepted"
    assert rows[0]["accepted_reason"] == "429 drift; 403 drift"
    assert stale == []


def test_stale_entries_are_reported_in_the_report_shape() -> None:
    baseline = baseline_of(
        {"row": "401.invalid-key", "seen": {"status": 401, "code": "401"}, "why": "Azure", "source": "docs"},
        {"row": "404.face-missing", "seen": {"message": "gone"}, "why": "old"},
    )
    passing = {
        "id": "401.invalid-key",
        "outcome": "pass",
        "evidence": [evidence("pass", "ok", 401, BODY_401)],
    }
    rows, stale = apply_baseline([passing], baseline)
    assert rows == [passing]
    assert stale == [
        {"row": "401.invalid-key", "seen": {"status": 401, "code": "401"}, "why": "Azure", "source": "docs"},
        {"row": "404.face-missing", "seen": {"message": "gone"}, "why": "old"},
    ]


def test_only_fail_rows_are_accepted_and_none_means_no_baseline() -> None:
    warn = {"id": "x.lookup-order", "outcome": "warn", "evidence": [evidence("warn", "order", 404, {})]}
    baseline = baseline_of({"row": "x.lookup-order", "seen": {"status": 404}, "why": "x"})
    rows, stale = apply_baseline([warn], baseline)
    assert rows[0]["outcome"] == "warn" and len(stale) == 1
    assert apply_baseline([warn], None) == ([warn], [])


# ---- loading errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("entries: [\n  - row: 401", "not valid YAML"),
        ("", "expected a mapping"),
        ("- row: 401.invalid-key", "expected a mapping"),
        ("entries: {}", "'entries' must be a list"),
        ("entries: []\nextra: 1", "unknown key(s) 'extra'"),
        ("entries: [{row: 999.nope, why: x}]", "unknown row ID '999.nope'"),
        ("entries: [{row: 401.invalid-key}]", "entries[0].why"),
        (
            "entries: [{row: 401.invalid-key, why: x, seen: {status: '401'}}]",
            "seen.status: expected an integer",
        ),
        (
            "entries: [{row: 401.invalid-key, why: x, seen: {status: true}}]",
            "seen.status: expected an integer",
        ),
        ("entries: [{row: 401.invalid-key, why: x, seen: {code: 401}}]", 'quote numbers: code: "401"'),
        ("entries: [{row: 401.invalid-key, why: x, seen: {message: '(unclosed'}}]", "invalid regex"),
        ("entries: [{row: 401.invalid-key, why: x, seen: {body: 1}}]", "unknown key(s) 'body'"),
        ("entries: [{row: 401.invalid-key, why: x, seen: [401]}]", "seen: expected a mapping"),
        ("entries: [{row: 401.invalid-key, why: x, source: 3}]", "source: expected a string"),
    ],
)
def test_invalid_files_name_the_file_and_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BaselineError) as info:
        load_baseline(path)
    assert str(path) in str(info.value)
    assert problem in str(info.value)


def test_a_missing_file_is_a_baseline_error(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read the baseline file"):
        load_baseline(tmp_path / "absent.yaml")


def test_an_entry_without_seen_matches_any_answer(tmp_path: Path) -> None:
    baseline = load_baseline(write(tmp_path, "entries: [{row: 401.invalid-key, why: any answer}]"))
    rows, _ = apply_baseline([failing_row("401.invalid-key", evidence("fail", "a", 401, BODY_401))], baseline)
    assert rows[0]["outcome"] == "accepted"


# ---- writing a starting baseline ----------------------------------------------------------------


def test_baseline_from_result_lists_each_answered_failure(tmp_path: Path) -> None:
    result = sample_result()
    text = baseline_from_result(result)
    assert text.startswith("# face-conformance baseline")
    assert 'code: "401"' in text or "code: '401'" in text  # a string, so it loads back
    assert "415.media-type" in text.split("entries:", 1)[1].split("\n# ", 1)[1]  # timeout: in the comment
    data = yaml.safe_load(text)
    assert [e["row"] for e in data["entries"]] == ["400.userdata-too-long", "401.invalid-key"]
    assert data["entries"][1] == {
        "row": "401.invalid-key",
        "seen": {"status": 401, "code": "401"},
        "why": "TODO: say why this deviation is accepted",
    }


def test_a_generated_baseline_loads_and_accepts_what_it_was_made_from(tmp_path: Path) -> None:
    result = sample_result()
    baseline = load_baseline(write(tmp_path, baseline_from_result(result)))
    rows, stale = apply_baseline(result["rows"], baseline)
    outcomes = {r["id"]: r["outcome"] for r in rows}
    assert outcomes["401.invalid-key"] == "accepted"
    assert outcomes["400.userdata-too-long"] == "accepted"  # body not JSON: matched on status alone
    assert outcomes["415.media-type"] == "fail"  # a timeout cannot be baselined
    assert stale == []
    assert [r["id"] for r in rows] == list(catalogue.row_ids())


def test_baseline_from_a_passing_result_is_empty_but_valid(tmp_path: Path) -> None:
    result = sample_result()
    for row in result["rows"]:
        if row["outcome"] == "fail":
            row["outcome"] = "pass"
    baseline = load_baseline(write(tmp_path, baseline_from_result(result)))
    assert baseline.entries == ()
