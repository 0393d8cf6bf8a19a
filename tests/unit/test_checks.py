"""Self-tests of `face_conformance.judging.checks` on hand-built exchanges: each check passes on what the
page allows and fails on what it forbids, in milliseconds and with no server."""

from __future__ import annotations

import json
from typing import Any

from face_conformance.cases.world import FaceRef
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest
from face_conformance.judging import checks
from face_conformance.judging.checks import Pending

FACE = FaceRef("conformance-g", "4b1c1f4e-0000-4000-8000-000000000001", "4b1c1f4e-0000-4000-8000-000000000002")
CONFLICT = {"error": {"code": "ConcurrentOperationConflict", "message": "There is a conflict operation."}}


def exchange(status: int | None, body: Any = b"", method: str = "PATCH", content_type: str = "application/json"
             ) -> Exchange:
    """An exchange with this answer (a dict is sent as JSON); None: no answer at all."""
    sent = SentRequest(method, "https://face.test/x", (("Ocp-Apim-Subscription-Key", "***"),), b"{}")
    if status is None:
        return Exchange(sent, None, "connection reset")
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    return Exchange(sent, Answer(status, (("Content-Type", content_type),) if raw else (), raw))


def verdicts(findings: list, row: str | None = None) -> list[tuple[str, str]]:
    return [(f.row, f.verdict) for f in findings if row is None or f.row == row]


# ---- x.read-after-write ---------------------------------------------------------------------------


def test_read_after_write_passes_on_exactly_the_value_and_fails_on_any_other() -> None:
    got = exchange(200, {"persistedFaceId": FACE.face, "userData": "a\r\nb"}, method="GET")
    assert verdicts(checks.read_after_write("a\r\nb", "a\r\nb", got)) == [("x.read-after-write", "pass")]
    for stored in ("a\nb", "a\r\nb ", None, "A\r\nB"):
        finding, = checks.read_after_write("a\r\nb", stored, got)
        assert finding.verdict == "fail" and repr(stored) in finding.note and finding.exchange is got


def test_read_after_write_of_an_empty_string_accepts_an_absent_user_data_only() -> None:
    got = exchange(200, {}, method="GET")
    assert verdicts(checks.read_after_write("", None, got)) == [("x.read-after-write", "pass")]
    assert verdicts(checks.read_after_write("", " ", got)) == [("x.read-after-write", "fail")]
    assert checks.read_after_write(None, "anything", got) == []  # no string written: an observation


# ---- x.no-change-on-error -------------------------------------------------------------------------


def test_no_change_passes_each_error_answer_when_the_face_held_its_value() -> None:
    errors = [Pending(FACE, exchange(400, {"error": {"code": "BadArgument", "message": "m"}}), f"v{i}")
              for i in range(3)]
    assert verdicts(checks.unchanged("before", "before", errors)) == [("x.no-change-on-error", "pass")] * 3
    assert verdicts(checks.unchanged(None, "", errors)) == [("x.no-change-on-error", "pass")] * 3


def test_no_change_names_the_request_whose_marker_the_face_now_holds() -> None:
    first, second = exchange(401, {"error": {"code": "401", "message": "m"}}), exchange(415, b"")
    pending = [Pending(FACE, first, "marker-1"), Pending(FACE, second, "marker-2")]
    finding, = checks.unchanged("before", "marker-1", pending)
    assert finding.verdict == "fail" and finding.exchange is first and "this request" in finding.note
    finding, = checks.unchanged("before", "something else", pending)
    assert finding.verdict == "fail" and finding.exchange is second and "one of 2 error answers" in finding.note


def test_an_update_without_answer_may_have_written_its_value() -> None:
    lost = Pending(FACE, exchange(None), "marker-lost", may_write=True)
    error = Pending(FACE, exchange(404, {"error": {"code": "PersistedFaceNotFound", "message": "m"}}), "marker-e")
    assert verdicts(checks.unchanged("before", "marker-lost", [lost, error])) == [("x.no-change-on-error", "pass")]
    assert verdicts(checks.unchanged("before", "marker-e", [lost, error])) == [("x.no-change-on-error", "fail")]


# ---- 403, 409, 429 met on the way -----------------------------------------------------------------


def test_shape_of_a_rate_limit_answer() -> None:
    good = exchange(429, {"error": {"statusCode": 429, "message": "Rate limit is exceeded."}})
    assert verdicts(checks.shape("429.rate-limit", good)) == [("429.rate-limit", "pass"), ("x.error-envelope", "pass")]
    bad = exchange(429, {"error": {"code": "429", "message": "Rate limit is exceeded."}})
    findings = checks.shape("429.rate-limit", bad)
    assert verdicts(findings) == [("429.rate-limit", "fail"), ("x.error-envelope", "fail")]
    assert "statusCode" in findings[0].note


def test_shape_under_strict_messages_compares_the_page_example() -> None:
    other = exchange(403, {"error": {"statusCode": 403, "message": "Kontingent erschöpft."}})
    assert verdicts(checks.shape("403.quota", other), "403.quota") == [("403.quota", "pass")]
    findings = checks.shape("403.quota", other, strict_messages=True)
    assert verdicts(findings, "403.quota") == [("403.quota", "fail")] and "--strict-messages" in findings[0].note


def test_conflict_is_the_409_with_its_code_only() -> None:
    assert checks.is_conflict(exchange(409, CONFLICT))
    assert not checks.is_conflict(exchange(409, {"error": {"code": "PersonGroupTrainingNotFinished", "message": "m"}}))
    assert not checks.is_conflict(exchange(400, CONFLICT))


# ---- x.concurrent-writes --------------------------------------------------------------------------


def test_parallel_answers_may_be_200_or_a_documented_conflict() -> None:
    findings = checks.parallel_answers([exchange(200), exchange(409, CONFLICT), exchange(200)])
    assert not [f for f in findings if f.verdict != "pass"]
    assert ("409.concurrent", "pass") in verdicts(findings)


def test_parallel_answers_fail_on_a_500_another_409_or_no_answer() -> None:
    findings = checks.parallel_answers([exchange(500, b"oops", content_type="text/plain")])
    assert {("x.concurrent-writes", "fail"), ("x.documented-status", "fail")} <= set(verdicts(findings))
    other = checks.parallel_answers([exchange(409, {"error": {"code": "Conflict", "message": "m"}})])
    assert ("409.concurrent", "fail") in verdicts(other) and ("x.concurrent-writes", "fail") in verdicts(other)
    assert verdicts(checks.parallel_answers([None])) == [("x.concurrent-writes", "error")]


def test_parallel_outcome_is_one_of_the_values_that_got_200() -> None:
    values, results = ["v1", "v2"], [exchange(200), exchange(409, CONFLICT)]
    got = exchange(200, {"userData": "v1"}, method="GET")
    assert checks.parallel_outcome(values, results, "old", "v1", got).verdict == "pass"
    assert checks.parallel_outcome(values, results, "old", "v2", got).verdict == "fail"  # its write got 409
    assert checks.parallel_outcome(values, results, "old", "old", got).verdict == "fail"
    none_won = [exchange(409, CONFLICT), exchange(409, CONFLICT)]
    assert checks.parallel_outcome(values, none_won, "old", "old", got).verdict == "pass"


# ---- state after state ----------------------------------------------------------------------------


def test_a_state_is_stuck_only_while_its_own_answer_comes_back() -> None:
    training = exchange(409, {"error": {"code": "PersonGroupTrainingNotFinished", "message": "m"}})
    assert checks.stuck("409.training", training)
    assert not checks.stuck("409.training", exchange(200))
    assert not checks.stuck("409.training", exchange(409, CONFLICT))
    assert not checks.stuck("409.training", None)
    finding = checks.stuck_finding("409.training", "training finished", training, 3)
    assert finding.verdict == "fail" and "stuck" in finding.note and "3 tries" in finding.note


def test_a_batch_is_bisected_only_when_no_marker_explains_a_change_among_several_errors() -> None:
    one = Pending(FACE, exchange(415, b""), "marker-1")
    two = Pending(FACE, exchange(400, b""), "marker-2")
    assert checks.needs_bisect("before", "mangled", [one, two])
    assert not checks.needs_bisect("before", "marker-2", [one, two])  # the marker names the request
    assert not checks.needs_bisect("before", "before", [one, two])  # nothing changed
    assert not checks.needs_bisect("before", "mangled", [one])  # one error answer: it is the one
    finding = checks.changed_alone("known", "mangled", one.exchange)
    assert finding.verdict == "fail" and "replayed alone" in finding.note and finding.exchange is one.exchange
