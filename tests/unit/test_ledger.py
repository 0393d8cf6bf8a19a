"""Self-tests of `face_conformance.judging.ledger`: folding findings into one outcome per row, and the verdict."""

from __future__ import annotations

from typing import Any

import pytest

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import EXIT, OUTCOMES, SEVERITY, Exit, Outcome
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest
from face_conformance.judging.findings import Finding
from face_conformance.judging.ledger import EVIDENCE_KEPT, NOT_OBSERVED_WHY, Ledger, verdict


def ex(n: int = 0) -> Exchange:
    """A distinct exchange."""
    return Exchange(SentRequest("PATCH", f"https://face.test/{n}", ()), Answer(404, (), b""))


def folded(*findings: Finding) -> dict[str, Any]:
    """Row ID -> the row record after these findings."""
    ledger = Ledger()
    ledger.extend(list(findings))
    return {r["id"]: r for r in ledger.rows()}


def outcome_of(row_id: str, *verdicts: str) -> str:
    """The outcome a row folds to after findings with these verdicts."""
    return folded(*(Finding(row_id, v, f"note {v}", ex(i)) for i, v in enumerate(verdicts)))[row_id]["outcome"]


@pytest.mark.parametrize(("verdicts", "expected"), [
    (("pass", "fail", "warn", "error", "info"), "fail"),
    (("pass", "error", "warn", "info"), "error"),
    (("pass", "warn", "info"), "warn"),
    (("info", "pass"), "pass"),
    (("info",), "info"),
    ((), "not-observed"),
])
def test_outcome_folding_order(verdicts: tuple[str, ...], expected: str) -> None:
    assert outcome_of("404.group-invalid", *verdicts) == expected


def test_should_row_failure_is_a_warning() -> None:
    assert catalogue.row("x.lookup-order").level == "SHOULD"
    assert outcome_of("x.lookup-order", "pass", "fail") == "warn"


def test_not_applicable_row_is_reported_with_its_reason_whatever_was_found() -> None:
    row = folded(Finding("400.name-too-long", "fail", "x", ex()))["400.name-too-long"]
    assert row["outcome"] == "not-applicable"
    assert row["summary"] == catalogue.row("400.name-too-long").reason


def test_summary_counts_and_quotes_the_first_note() -> None:
    rows = folded(Finding("200.ok", "pass", "ok", ex(0)), Finding("200.ok", "fail", "first", ex(1)),
                  Finding("200.ok", "fail", "second", ex(2)))
    assert rows["200.ok"]["summary"] == "2 of 3 checks fail: first"
    held = folded(Finding("200.ok", "pass", "ok", ex(0)), Finding("200.ok", "pass", "ok", ex(1)))
    assert held["200.ok"]["summary"].startswith("held in 2 ")


def test_not_observed_explains_why_per_observe_kind() -> None:
    rows = folded()
    assert rows["429.rate-limit"]["summary"] == NOT_OBSERVED_WHY["when-seen"]
    assert rows["409.training"]["summary"] == NOT_OBSERVED_WHY["training"]
    assert rows["200.ok"]["summary"] == NOT_OBSERVED_WHY["always"]


def test_unreachable_reason_wins_and_the_first_is_kept() -> None:
    ledger = Ledger()
    ledger.unreachable("404.face-missing", "bring-your-own run: no sibling face")
    ledger.unreachable("404.face-missing", "later reason")
    ledger.stop("inconclusive", "quota")
    rows = {r["id"]: r for r in ledger.rows()}
    assert rows["404.face-missing"]["summary"] == "bring-your-own run: no sibling face"
    assert rows["200.ok"]["summary"] == "not reached: the run stopped early (see the verdict)"


def test_stop_keeps_the_first_reason() -> None:
    ledger = Ledger()
    ledger.stop("inconclusive", "quota")
    ledger.stop("unresponsive", "timeouts")
    assert (ledger.stop_kind, ledger.stop_reason) == ("inconclusive", "quota")


@pytest.mark.parametrize("kind", ["fail", "error", "warn", "info", "pass"])
def test_evidence_is_bounded_per_verdict(kind: str) -> None:
    rows = folded(*(Finding("200.ok", kind, f"n{i}", ex(i)) for i in range(20)))
    kept = rows["200.ok"]["evidence"]
    assert len(kept) == EVIDENCE_KEPT[kind]
    assert [e["note"] for e in kept] == [f"n{i}" for i in range(EVIDENCE_KEPT[kind])]


def test_evidence_of_each_verdict_is_kept_separately_worst_first() -> None:
    findings = [Finding("200.ok", "pass", "p", ex(i)) for i in range(5)]
    findings += [Finding("200.ok", "fail", "f", ex(9))]
    kept = folded(*findings)["200.ok"]["evidence"]
    assert [e["verdict"] for e in kept] == ["fail", "pass", "pass"]


def test_finding_without_an_exchange_keeps_one_note_unless_it_passes() -> None:
    rows = folded(Finding("x.read-after-write", "error", "could not read back"),
                  Finding("x.read-after-write", "error", "again"), Finding("200.ok", "pass", "held"))
    kept = rows["x.read-after-write"]["evidence"]
    assert len(kept) == 1 and kept[0]["note"] == "could not read back" and kept[0]["request"] is None
    assert rows["200.ok"]["evidence"] == []


def test_every_row_appears_once_in_catalogue_order_with_its_fields() -> None:
    rows = Ledger().rows({"200.ok": 3})
    assert [r["id"] for r in rows] == list(catalogue.row_ids())
    first = rows[0]
    assert first["requests"] == 3 and rows[1]["requests"] == 0
    assert {"id", "level", "outcome", "summary", "evidence", "status", "code", "page"} <= set(first)
    assert all(r["outcome"] in catalogue.OUTCOMES for r in rows)


def test_rows_carry_outcomes_as_plain_strings_of_the_one_vocabulary() -> None:
    """Plain `str`, not enum members: the rows go to JSON and YAML writers as they are."""
    rows = folded(Finding("200.ok", "fail", "f", ex()), Finding("x.lookup-order", "fail", "w", ex()))
    assert {type(r["outcome"]) for r in rows.values()} == {str}
    assert {r["outcome"] for r in rows.values()} <= set(OUTCOMES)


def test_the_outcome_vocabulary_is_the_catalogues() -> None:
    assert OUTCOMES == catalogue.OUTCOMES
    assert set(SEVERITY) == set(Outcome) and len(SEVERITY) == len(Outcome)


def test_evidence_is_ordered_by_severity_unknown_verdicts_last() -> None:
    findings = [Finding("200.ok", v, v, ex(i)) for i, v in enumerate(["pass", "later", "info", "warn", "error",
                                                                        "fail"])]
    kept = folded(*findings)["200.ok"]["evidence"]
    assert [e["verdict"] for e in kept] == ["fail", "error", "warn", "info", "pass", "later"]


def test_observations_are_recorded_once_per_id() -> None:
    ledger = Ledger()
    ledger.observe("info.casing", "200.ok", "first sighting")
    ledger.observe("info.casing", "200.ok", "second sighting")
    assert ledger.observations["info.casing"].summary == "first sighting"
    assert ledger.observations["info.casing"].evidence == []


# ---- verdict -----------------------------------------------------------------------------------------


def rows_with(**outcomes: str) -> list[dict[str, Any]]:
    """MUST rows (as ledger.rows() makes them) with the given outcomes by ID."""
    return [{"id": k, "level": "MUST", "outcome": v} for k, v in outcomes.items()]


def test_all_passing_is_conformant() -> None:
    assert verdict(rows_with(a="pass", b="info", c="not-applicable"), strict=False,
                   stop_kind=None, stop_reason=None) == ("conformant", "every MUST row held")


def test_unobserved_must_rows_do_not_fail_the_run_but_are_named() -> None:
    name, reason = verdict(rows_with(a="pass", quota="not-observed"), strict=True, stop_kind=None,
                           stop_reason=None)
    assert name == "conformant" and "quota" in reason


def test_a_failure_is_non_conformant_and_named() -> None:
    name, reason = verdict(rows_with(a="pass", b="fail"), strict=False, stop_kind=None, stop_reason=None)
    assert name == "non-conformant" and "b" in reason


def test_warnings_are_conformant_unless_strict() -> None:
    rows = rows_with(a="pass", lookup="warn")
    name, reason = verdict(rows, strict=False, stop_kind=None, stop_reason=None)
    assert name == "conformant" and "warnings on lookup" in reason
    assert verdict(rows, strict=True, stop_kind=None, stop_reason=None)[0] == "non-conformant"


def test_accepted_deviation_does_not_fail() -> None:
    assert verdict(rows_with(a="accepted"), strict=True, stop_kind=None, stop_reason=None)[0] == "conformant"


def test_failures_win_over_an_inconclusive_stop() -> None:
    """A row seen broken stays broken when the run then stops (a misshapen quota 403, say)."""
    name, reason = verdict(rows_with(a="fail"), strict=False, stop_kind="inconclusive", stop_reason="quota")
    assert name == "non-conformant" and "failed: a;" in reason and reason.endswith("stopped: quota")


def test_an_inconclusive_stop_without_failures_is_inconclusive() -> None:
    assert verdict(rows_with(a="pass"), strict=False, stop_kind="inconclusive", stop_reason="quota") == \
        ("inconclusive", "quota")


def test_suite_errors_make_the_run_inconclusive() -> None:
    name, reason = verdict(rows_with(a="pass", b="error"), strict=False, stop_kind=None, stop_reason=None)
    assert name == "inconclusive" and "b" in reason


def test_unresponsive_server_is_inconclusive_but_failures_still_count() -> None:
    assert verdict(rows_with(a="pass"), strict=False, stop_kind="unresponsive", stop_reason="timeouts") == \
        ("inconclusive", "timeouts")
    assert verdict(rows_with(a="fail"), strict=False, stop_kind="unresponsive", stop_reason="t")[0] == \
        "non-conformant"


def test_exit_codes_follow_the_contract() -> None:
    assert {v: EXIT[v] for v in ("conformant", "non-conformant", "inconclusive")} == {
        "conformant": 0, "non-conformant": 1, "inconclusive": 3}
    assert {v: EXIT[v] for v in ("no regression", "regression")} == {"no regression": 0, "regression": 1}
    assert [int(e) for e in Exit] == [0, 1, 2, 3]
