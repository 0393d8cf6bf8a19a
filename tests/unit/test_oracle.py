"""Self-tests of `face_conformance.judging.oracle`: `expect()` and `judge()` over hand-built probes and answers.

One test (or one parametrized family) per settled point of docs/contract.md; no request is sent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from face_conformance.cases import catalogue
from face_conformance.cases.probes import Probe, explicit_cases, from_row_data, user_data_body
from face_conformance.cases.world import FaceRef, World
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest
from face_conformance.judging import oracle
from face_conformance.judging.findings import Finding
from face_conformance.judging.oracle import envelope_faults, expect, judge

GROUP, OTHER_GROUP, MISSING_GROUP = "conformance-g1", "conformance-g2", "conformance-missing"
PERSON = "11111111-1111-4111-8111-111111111111"
SIBLING_PERSON = "22222222-2222-4222-8222-222222222222"
OTHER_PERSON = "33333333-3333-4333-8333-333333333333"
FACE = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
SIBLING_FACE = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
UNKNOWN = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"

ERRORS = {
    "400": (400, {"error": {"code": "BadArgument", "message": "Request body is invalid."}}),
    "401": (401, {"error": {"code": "Unspecified", "message": "Access denied due to invalid subscription key."}}),
    "403": (403, {"error": {"statusCode": 403, "message": "Out of call volume quota."}}),
    "group": (404, {"error": {"code": "PersonGroupNotFound", "message": "Person group not found."}}),
    "person": (404, {"error": {"code": "PersonNotFound", "message": "Person not found."}}),
    "face": (404, {"error": {"code": "PersistedFaceNotFound", "message": "Face not found."}}),
    "409": (409, {"error": {"code": "PersonGroupTrainingNotFinished", "message": "Training."}}),
    "415": (415, {"error": {"code": "BadArgument", "message": "Invalid Media Type"}}),
    "429": (429, {"error": {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}}),
}


def world() -> World:
    """Two groups; the first has the face under test and a sibling person's face."""
    return World(
        face=FaceRef(GROUP, PERSON, FACE),
        missing_group=MISSING_GROUP,
        sibling=FaceRef(GROUP, SIBLING_PERSON, SIBLING_FACE),
        other_group=OTHER_GROUP,
        other_person=OTHER_PERSON,
    )


def probe(user_data: Any = "hello", **kw: Any) -> Probe:
    """A valid update of the face under test, with changes."""
    kw.setdefault("body", user_data_body(user_data))
    base = {"label": "test", "group": GROUP, "person": PERSON, "face": FACE}
    return Probe(**{**base, **kw})


def exchange(status: int | None, body: Any = b"", *, content_type: str | None = "application/json",
             error: str | None = None) -> Exchange:
    """An exchange whose answer has this status and body (a dict is sent as JSON); None: no answer."""
    sent = SentRequest("PATCH", "https://face.test/x", (("Ocp-Apim-Subscription-Key", "***"),), b"{}")
    if status is None:
        return Exchange(sent, None, error or "no answer within 30 s (timeout)")
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = (("Content-Type", content_type),) if content_type and raw else ()
    return Exchange(sent, Answer(status, headers, raw))


def answered(name: str, **kw: Any) -> Exchange:
    """An exchange with one of the documented error answers (ERRORS), or "200" for an empty 200."""
    if name == "200":
        return exchange(200)
    status, body = ERRORS[name]
    return exchange(status, body, **kw)


def size_id(value: str) -> str:
    """A short test ID for a long userData: its sizes."""
    return f"{len(value)}points-{len(value.encode())}bytes"


def verdicts(findings: list[Finding]) -> dict[str, set[str]]:
    """Row ID -> the verdicts the findings give it."""
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f.row, set()).add(f.verdict)
    return out


def outcome(p: Probe, answer: Exchange, **kw: Any) -> dict[str, set[str]]:
    """The verdicts judge() gives an answer to a probe."""
    return verdicts(judge(answer, expect(p, world()), **kw))


# ---- point 1: 1KB ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["x" * 1024, "é" * 512, "界" * 341 + "x", "😀" * 256], ids=size_id)
def test_1024_utf8_bytes_must_be_accepted(value: str) -> None:
    assert len(value.encode("utf-8")) <= 1024
    p = probe(value)
    assert expect(p, world()).primary == "200.ok"
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert "fail" in outcome(p, answered("400"))["200.ok"]


@pytest.mark.parametrize("value", ["x" * 1025, "界" * 1025, "😀" * 1025], ids=size_id)
def test_over_1024_code_points_must_be_rejected(value: str) -> None:
    p = probe(value)
    assert expect(p, world()).primary == "400.userdata-too-long"
    assert outcome(p, answered("400"))["400.userdata-too-long"] == {"pass"}
    assert outcome(p, answered("200"))["400.userdata-too-long"] == {"fail"}


@pytest.mark.parametrize("value", ["é" * 600, "界" * 1024, "😀" * 1024], ids=size_id)
def test_between_bytes_and_code_points_either_answer_conforms_as_info(value: str) -> None:
    assert len(value) <= 1024 < len(value.encode("utf-8"))
    p = probe(value)
    accepted = outcome(p, answered("200"))
    rejected = outcome(p, answered("400"))
    assert accepted["200.ok"] == {"pass"}
    assert rejected["400.userdata-too-long"] == {"info"}
    assert not any("fail" in v for v in [*accepted.values(), *rejected.values()])


def test_info_note_says_which_reading_the_server_follows() -> None:
    findings = judge(answered("400"), expect(probe("é" * 600), world()))
    note = next(f.note for f in findings if f.row == "400.userdata-too-long")
    assert "600 code points" in note and "1200 UTF-8 bytes" in note and "bytes" in note


@pytest.mark.parametrize(("value", "status", "reading"), [
    ("é" * 600, "200", "chars"), ("é" * 600, "400", "bytes"), ("😀" * 1024, "400", "bytes"),
    ("x" * 1024, "200", None), ("x" * 1025, "400", None), ("é" * 600, "415", None)])
def test_only_an_answer_between_the_two_readings_tells_which_one(value: str, status: str, reading: str | None
                                                                  ) -> None:
    """The INFO on the reading of 1KB: from a size between the readings, answered 200 or 400, and only then."""
    found = oracle.user_data_reading(expect(probe(value), world()), answered(status))
    assert (found[0] if found else None) == reading
    if found:
        assert f"{len(value)} code points" in found[1]


def test_a_request_with_another_fault_tells_no_reading() -> None:
    """A wrong key's 400 says nothing about the size."""
    assert oracle.user_data_reading(expect(probe("é" * 600, key="wrong"), world()), answered("400")) is None


def test_empty_string_is_valid_user_data() -> None:
    p = probe("")
    assert expect(p, world()).primary == "200.ok"
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert "fail" in outcome(p, answered("400"))["200.ok"]


# ---- point 2: missing userData, null, empty body --------------------------------------------------


@pytest.mark.parametrize("body", [b"{}", b'{"userData": null}'])
def test_missing_or_null_user_data_should_be_accepted(body: bytes) -> None:
    p = probe(body=body)
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert outcome(p, answered("400"))["200.ok"] == {"warn"}


def test_empty_body_may_be_accepted_or_rejected_as_bad_json() -> None:
    p = probe(body=b"")
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    rejected = outcome(p, answered("400"))
    assert rejected["400.bad-json"] == {"info"}
    assert not any("fail" in v for v in rejected.values())


# ---- point 3: a userData that is not a string -------------------------------------------------------


@pytest.mark.parametrize("value", [42, 1.5, True, ["a"], {"a": 1}])
def test_non_string_user_data_should_be_bad_json(value: Any) -> None:
    p = probe(value)
    assert expect(p, world()).primary == "400.bad-json"
    assert outcome(p, answered("400"))["400.bad-json"] == {"pass"}
    coerced = outcome(p, answered("200"))
    assert coerced["400.bad-json"] == {"warn"}
    assert "200.ok" not in coerced


@pytest.mark.parametrize("body", [b'{"userData": "unterminated', b'["userData"]', b"null", b'"text"', b"[1]"])
def test_body_that_is_not_a_json_object_must_be_bad_json(body: bytes) -> None:
    p = probe(body=body)
    assert expect(p, world()).primary == "400.bad-json"
    assert outcome(p, answered("200"))["400.bad-json"] == {"fail"}


@pytest.mark.parametrize("bad", [b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82"])
@pytest.mark.parametrize("content_type", [None, "application/json", "application/json; charset=utf-8"])
def test_body_that_is_not_utf8_must_be_rejected(bad: bytes, content_type: str | None) -> None:
    """Point 14: JSON text is UTF-8; without another charset, bytes that are not UTF-8 are bad JSON."""
    p = probe(body=b'{"userData": "a' + bad + b'z"}', content_type=content_type)
    assert expect(p, world()).primary == "400.bad-json"
    assert outcome(p, answered("200"))["400.bad-json"] == ({"warn"} if content_type is None else {"fail"})
    assert outcome(p, answered("400"))["400.bad-json"] == {"pass"}


def test_a_byte_order_mark_may_be_ignored_or_rejected() -> None:
    p = probe(body=b"\xef\xbb\xbf" + user_data_body("bom"))
    assert expect(p, world()).user_data == "bom"
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert outcome(p, answered("400"))["400.bad-json"] == {"info"}


def test_another_charset_may_be_decoded_or_refused() -> None:
    p = probe(body='{"userData": "é"}'.encode("utf-16"), content_type="application/json; charset=utf-16")
    assert expect(p, world()).user_data == "é"
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert outcome(p, answered("400"))["400.bad-json"] == {"info"}
    assert outcome(p, answered("415"))["415.media-type"] == {"info"}


def test_a_duplicated_member_may_be_read_first_or_last() -> None:
    p = probe(body=b'{"userData": "first", "userData": "last"}')
    assert expect(p, world()).user_data_choices == ("first", "last")
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}


@pytest.mark.parametrize("body", [
    b'{"userData": "x", "deep": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}",
    b'{"userData": "x", "big": ' + b"9" * 5000 + b"}",
    b'{"userData": "x", "huge": 1e400, "tiny": 1e-400, "int64": 18446744073709551616}',
], ids=["nested-5000", "5000-digits", "beyond-double"])
def test_values_at_the_edges_are_valid_json_a_server_should_accept(body: bytes) -> None:
    """Point 18: deep nesting and big numbers in an unknown member are JSON; refusing them is a warning."""
    p = probe(body=body)
    assert expect(p, world()).primary == "200.ok"
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert outcome(p, answered("400"))["200.ok"] == {"warn"}


def test_deeply_nested_body_is_read_as_bad_json_not_a_crash() -> None:
    p = probe(body=b"[" * 100_000 + b"]" * 100_000)
    assert expect(p, world()).primary == "400.bad-json"


# ---- point 4: Content-Type --------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/json;charset=UTF-8",
                                          "application/json"])
def test_json_with_parameters_must_be_accepted(content_type: str) -> None:
    p = probe(content_type=content_type)
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert outcome(p, answered("415"))["200.ok"] == {"fail"}


@pytest.mark.parametrize("content_type", ["Application/JSON", "APPLICATION/JSON; charset=utf-8", None])
def test_other_case_or_absent_content_type_should_be_accepted(content_type: str | None) -> None:
    p = probe(content_type=content_type)
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert outcome(p, answered("415"))["415.media-type"] == {"warn"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded",
                                          "multipart/form-data", "application/octet-stream"])
def test_non_json_media_types_must_get_415(content_type: str) -> None:
    p = probe(content_type=content_type)
    assert expect(p, world()).primary == "415.media-type"
    assert outcome(p, answered("415"))["415.media-type"] == {"pass"}
    assert outcome(p, answered("200"))["415.media-type"] == {"fail"}


@pytest.mark.parametrize("content_type", ["text/json", "application/merge-patch+json"])
def test_json_like_media_types_may_go_either_way(content_type: str) -> None:
    p = probe(content_type=content_type)
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert outcome(p, answered("415"))["415.media-type"] == {"info"}


@pytest.mark.parametrize(("content_type", "kind"), [
    ("application/json", "json"), ("application/json ; charset=utf-8", "json"), ("Application/Json", "json-case"),
    (None, "absent"), ("", "absent"), ("text/plain", "rejected"), ("image/png", "rejected"),
    ("json", "malformed"), ("application/json/x", "malformed"),
    ("text/json", "json-like"), ("application/vnd.api+json", "json-like"),
])
def test_media_kind_classifies_content_types(content_type: str | None, kind: str) -> None:
    assert oracle.media_kind(content_type) == kind


def test_malformed_content_type_may_be_accepted_or_refused() -> None:
    p = probe(content_type="json")
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert outcome(p, answered("415"))["415.media-type"] == {"info"}
    assert outcome(p, answered("400"))["400.bad-json"] == {"info"}


# ---- point 5: extra fields ----------------------------------------------------------------------------


def test_unknown_extra_fields_should_be_ignored() -> None:
    p = probe(body=b'{"userData": "x", "name": "extra", "n": 1}')
    assert outcome(p, answered("200"))["200.ok"] == {"pass"}
    assert outcome(p, answered("400"))["200.ok"] == {"warn"}


# ---- x.auth-first and 401 ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["wrong", "missing"])
def test_bad_key_on_a_valid_request_is_401_and_shows_auth_first(key: str) -> None:
    p = probe(key=key)
    exp = expect(p, world())
    assert exp.primary == "401.invalid-key"
    got = outcome(p, answered("401"))
    assert got["401.invalid-key"] == {"pass"} and got["x.auth-first"] == {"pass"}
    assert outcome(p, answered("200"))["401.invalid-key"] == {"fail"}


@pytest.mark.parametrize("other", ["group", "400", "415", "face"])
def test_bad_key_plus_other_faults_only_401_conforms(other: str) -> None:
    p = probe(key="wrong", group="bad!group", body=b"not json", content_type="text/plain")
    assert expect(p, world()).primary == "x.auth-first"
    assert outcome(p, answered("401"))["x.auth-first"] == {"pass"}
    assert outcome(p, answered(other))["x.auth-first"] == {"fail"}


def test_403_to_a_wrong_key_fails_401() -> None:
    assert outcome(probe(key="wrong"), answered("403"))["401.invalid-key"] == {"fail"}


def test_429_to_a_bad_key_request_does_not_fail_auth_first() -> None:
    p = probe(key="wrong", group="bad!group")
    assert "fail" not in outcome(p, answered("429")).get("x.auth-first", set())


def test_429_never_counts_against_the_expected_row() -> None:
    got = outcome(probe(), answered("429"))
    assert "fail" not in got.get("200.ok", set())


# ---- lookup order: group -> person -> face -> body -----------------------------------------------------


@pytest.mark.parametrize(("kw", "primary"), [
    ({"group": "bad!group"}, "404.group-invalid"),
    ({"group": MISSING_GROUP}, "404.group-missing"),
    ({"person": "not-a-guid"}, "404.person-invalid"),
    ({"person": UNKNOWN}, "404.person-missing"),
    ({"person": OTHER_PERSON}, "404.person-missing"),
    ({"face": "not-a-guid"}, "404.face-invalid"),
    ({"face": UNKNOWN}, "404.face-missing"),
    ({"face": SIBLING_FACE}, "404.face-missing"),
    ({"group": "g" * 65}, "404.group-invalid"),
    ({"group": "bad%21group"}, "404.group-invalid"),
])
def test_path_faults_expect_their_row(kw: dict[str, str], primary: str) -> None:
    assert expect(probe(**kw), world()).primary == primary


def test_guid_case_does_not_matter_for_lookup() -> None:
    p = probe(person=PERSON.upper(), face=FACE.upper())
    exp = expect(p, world())
    assert exp.primary == "200.ok" and exp.face_id == FACE


@pytest.mark.parametrize(("kw", "first", "later"), [
    ({"group": "bad!group", "person": "not-a-guid"}, "404.group-invalid", "person"),
    ({"group": MISSING_GROUP, "face": "not-a-guid"}, "404.group-missing", "face"),
    ({"person": "not-a-guid", "face": "not-a-guid"}, "404.person-invalid", "face"),
    ({"face": UNKNOWN, "body": b"not json"}, "404.face-missing", "400"),
    ({"face": "not-a-guid", "content_type": "text/plain"}, "404.face-invalid", "415"),
])
def test_out_of_order_answer_warns_lookup_order_and_still_passes_the_row(
        kw: dict[str, Any], first: str, later: str) -> None:
    p = probe(**kw)
    assert expect(p, world()).primary == first
    got = outcome(p, answered(later))
    assert got["x.lookup-order"] == {"warn"}
    assert got[first] == {"pass"}


def test_in_order_answer_passes_lookup_order() -> None:
    got = outcome(probe(group="bad!group", person="not-a-guid"), answered("group"))
    assert got["404.group-invalid"] == {"pass"} and got["x.lookup-order"] == {"pass"}


def test_order_of_body_errors_is_open() -> None:
    p = probe(body=b"not json", content_type="text/plain")
    for name in ("400", "415"):
        got = outcome(p, answered(name))
        assert "x.lookup-order" not in got and not any("fail" in v for v in got.values())


def test_training_group_expects_409_for_a_valid_body() -> None:
    p = probe()
    exp = expect(p, world(), training=True)
    assert exp.primary == "409.training"
    assert verdicts(judge(answered("409"), exp))["409.training"] == {"pass"}


# ---- status and envelope checks -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_fails_documented_status_and_the_expected_row(status: int) -> None:
    got = outcome(probe(), exchange(status, b"oops", content_type="text/plain"))
    assert got["x.documented-status"] == {"fail"}
    assert got["200.ok"] == {"fail"}


def test_undocumented_4xx_fails_documented_status() -> None:
    got = outcome(probe(face="not-a-guid"), exchange(422, {"error": {"code": "X", "message": "m"}}))
    assert got["x.documented-status"] == {"fail"} and got["404.face-invalid"] == {"fail"}


def test_documented_status_passes_for_documented_answers() -> None:
    assert outcome(probe(), answered("200"))["x.documented-status"] == {"pass"}


def test_conforming_4xx_passes_error_envelope() -> None:
    assert outcome(probe(face="not-a-guid"), answered("face"))["x.error-envelope"] == {"pass"}


def test_error_envelope_with_json_charset_parameter_is_fine() -> None:
    ex = answered("face", content_type="application/json; charset=utf-8")
    assert outcome(probe(face="not-a-guid"), ex)["x.error-envelope"] == {"pass"}


@pytest.mark.parametrize(("answer", "fragment"), [
    (exchange(404, {"error": {"code": "PersistedFaceNotFound", "message": "m"}}, content_type="text/plain"),
     "Content-Type"),
    (exchange(404, {"error": {"code": "PersistedFaceNotFound"}}), "error.message"),
    (exchange(404, {"error": {"code": "PersistedFaceNotFound", "message": ""}}), "error.message"),
    (exchange(404, {"error": {"code": 404, "message": "m"}}), "error.code"),
    (exchange(404, {"code": "PersistedFaceNotFound", "message": "m"}), "'error' object"),
    (exchange(404, b"Face not found", content_type="application/json"), "'error' object"),
])
def test_error_envelope_faults_fail_x_error_envelope(answer: Exchange, fragment: str) -> None:
    findings = judge(answer, expect(probe(face="not-a-guid"), world()))
    bad = [f for f in findings if f.row == "x.error-envelope"]
    assert [f.verdict for f in bad] == ["fail"]
    assert fragment in bad[0].note


@pytest.mark.parametrize(("status", "status_code"), [(403, "403"), (403, 404), (403, None), (403, True),
                                                     (429, "429"), (429, 403), (429, 429.5)])
def test_403_and_429_need_an_integer_status_code_equal_to_the_status(status: int, status_code: Any) -> None:
    body = {"error": {"statusCode": status_code, "message": "m"}}
    faults = envelope_faults(exchange(status, body), "403.quota" if status == 403 else "429.rate-limit")
    assert any("statusCode" in f for f in faults), faults
    if status == 403:
        findings = judge(exchange(status, body), expect(probe(force="quota"), world()))
        bad = [f for f in findings if f.row == "x.error-envelope"]
        assert [f.verdict for f in bad] == ["fail"] and "statusCode" in bad[0].note


def test_forced_quota_answer_in_the_page_shape_passes_403_quota() -> None:
    got = outcome(probe(force="quota"), answered("403"))
    assert got["403.quota"] == {"pass"} and got["x.error-envelope"] == {"pass"}


def test_forced_conflict_expects_409_concurrent() -> None:
    body = {"error": {"code": "ConcurrentOperationConflict", "message": "conflict"}}
    assert outcome(probe(force="concurrent"), exchange(409, body))["409.concurrent"] == {"pass"}


# ---- point 7: the 200 body ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{}", b" ", b'{"persistedFaceId": "x"}'])
def test_200_with_a_body_fails_200_ok(body: bytes) -> None:
    findings = judge(exchange(200, body), expect(probe(), world()))
    fails = [f for f in findings if f.row == "200.ok" and f.verdict == "fail"]
    assert fails and f"{len(body)} bytes" in fails[0].note


# ---- point 6: --strict-messages ----------------------------------------------------------------------


def test_messages_only_need_to_be_non_empty_by_default() -> None:
    ex = exchange(401, {"error": {"code": "Unspecified", "message": "Zugriff verweigert."}})
    assert outcome(probe(key="wrong"), ex)["401.invalid-key"] == {"pass"}


def test_strict_messages_fails_a_message_unlike_the_page() -> None:
    ex = exchange(401, {"error": {"code": "Unspecified", "message": "Zugriff verweigert."}})
    findings = judge(ex, expect(probe(key="wrong"), world()), strict_messages=True)
    fails = [f for f in findings if f.row == "401.invalid-key" and f.verdict == "fail"]
    assert fails and "--strict-messages" in fails[0].note


def test_strict_messages_accepts_the_page_message_with_other_ids() -> None:
    ex = exchange(404, {"error": {"code": "PersonGroupNotFound", "message": f"Person group '{MISSING_GROUP}' is "
                                                                            "not found"}})
    got = verdicts(judge(ex, expect(probe(group=MISSING_GROUP), world()), strict_messages=True))
    assert got["404.group-missing"] == {"pass"}


def test_strict_messages_ignores_rows_without_an_example_message() -> None:
    ex = exchange(404, {"error": {"code": "PersistedFaceNotFound", "message": "whatever"}})
    got = verdicts(judge(ex, expect(probe(face="not-a-guid"), world()), strict_messages=True))
    assert got["404.face-invalid"] == {"pass"}


# ---- point 11: no answer ------------------------------------------------------------------------------


def test_no_answer_fails_the_expected_row_with_the_error_as_evidence() -> None:
    ex = exchange(None, error="no answer within 30 s (timeout)")
    findings = judge(ex, expect(probe(face=UNKNOWN), world()))
    assert [(f.row, f.verdict) for f in findings] == [("404.face-missing", "fail")]
    assert "timeout" in findings[0].note and findings[0].exchange is ex


# ---- what an expectation carries ----------------------------------------------------------------------


def test_expectation_names_the_real_face_and_the_user_data_sent() -> None:
    exp = expect(probe("v"), world())
    assert (exp.face_id, exp.user_data, exp.has_user_data) == (FACE, "v", True)
    wrong_person = expect(probe(person=SIBLING_PERSON, face=FACE), world())
    assert wrong_person.primary == "404.face-missing" and wrong_person.face_id == FACE
    assert expect(probe(face=UNKNOWN), world()).face_id is None


def test_describe_lists_the_conforming_answers_in_words() -> None:
    text = expect(probe(body=b"{}"), world()).describe()
    assert text == "HTTP 200 with an empty body or HTTP 400 with error.code 'BadArgument'"
    assert catalogue.answer_text("429.rate-limit") == "HTTP 429 with error.statusCode 429"


# Which row each documented probe of the OpenAPI document is aimed at, in the oracle's reading.
DOCUMENTED_PROBE_PRIMARY = {
    "200.ok": "200.ok", "400.userdata-too-long": "400.userdata-too-long", "400.bad-json": "400.bad-json",
    "401.invalid-key": "401.invalid-key", "403.quota": "403.quota", "404.face-invalid": "404.face-invalid",
    "404.face-missing": "404.face-missing", "404.group-invalid": "404.group-invalid",
    "404.group-missing": "404.group-missing", "404.person-invalid": "404.person-invalid",
    "404.person-missing": "404.person-missing", "409.concurrent": "409.concurrent",
    "415.media-type": "415.media-type", "429.rate-limit": "200.ok", "x.read-after-write": "200.ok",
    "x.auth-first": "x.auth-first",
}


@pytest.mark.parametrize(("row_id", "index", "data"), explicit_cases(), ids=lambda v: str(v)[:40])
def test_documented_probes_expect_their_row(row_id: str, index: int, data: dict[str, Any]) -> None:
    p = from_row_data(catalogue.row(row_id), index, data, world())
    assert p is not None
    exp = expect(p, world())
    if row_id == "x.lookup-order":
        assert any(a.out_of_order for a in exp.allowed), "a lookup-order probe must have faults in a fixed order"
    else:
        assert exp.primary == DOCUMENTED_PROBE_PRIMARY[row_id]


PART_ROWS = [r for r in catalogue.rows() if r.trigger is not None and r.trigger.form == "part"]


@pytest.mark.parametrize("row", PART_ROWS, ids=[r.id for r in PART_ROWS])
def test_every_request_trigger_is_read_by_the_oracle(row: catalogue.Row) -> None:
    """Each row's declared trigger (part, fault) is what the oracle expects that row for, on the row's own probes."""
    probes = [from_row_data(row, index, data, world()) for row_id, index, data in explicit_cases() if row_id == row.id]
    expectations = [expect(p, world()) for p in probes if p is not None]
    assert expectations and all(e.primary == row.id for e in expectations)
    several = row.trigger.fault == "wrong-with-other-faults"
    for e in expectations:
        assert (len(e.faults) > 1) == several, (row.id, e.faults)
        assert e.miss_verdict == "fail"  # one fault (or, for x.auth-first, a wrong key before others): MUST
