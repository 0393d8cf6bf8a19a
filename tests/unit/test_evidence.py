"""Self-tests of `face_conformance.evidence.exchange`: redaction, excerpts, curl lines and tolerant JSON."""

from __future__ import annotations

import json

import pytest

from face_conformance.evidence import exchange as evidence
from face_conformance.evidence import redaction
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest, curl_line
from face_conformance.evidence.redaction import BODY_EXCERPT_CHARS, REDACTED, excerpt, hide_secrets, redact_headers

SECRET = "0123456789abcdef0123456789abcdef"
URL = "https://face.test/face/v1.0/persongroups/g/persons/p/persistedFaces/f"


def sent(*headers: tuple[str, str], body: bytes = b'{"userData": "x"}') -> SentRequest:
    """A PATCH as the suite sent it, with these headers."""
    return SentRequest("PATCH", URL, tuple(headers), body)


@pytest.mark.parametrize("name", ["Ocp-Apim-Subscription-Key", "ocp-apim-subscription-key",
                                  "OCP-APIM-SUBSCRIPTION-KEY", "Authorization", "authorization", "Cookie",
                                  "Set-Cookie", "Proxy-Authorization"])
def test_credential_headers_are_redacted_in_any_case(name: str) -> None:
    redacted = redact_headers([(name, SECRET), ("Content-Type", "application/json")])
    assert redacted == {name: REDACTED, "Content-Type": "application/json"}


def test_curl_line_shows_the_key_as_stars_and_reproduces_the_request() -> None:
    line = curl_line(sent(("ocp-apim-subscription-key", SECRET), ("Content-Type", "application/json"),
                          ("Host", "face.test"), ("Content-Length", "17")))
    assert SECRET not in line
    assert "'ocp-apim-subscription-key: ***'" in line
    assert line.startswith(f"curl -i -X PATCH {URL}")
    assert "'Content-Type: application/json'" in line
    assert "Host:" not in line and "Content-Length" not in line  # curl sets these itself
    assert "--data-binary '{\"userData\": \"x\"}'" in line


def test_curl_line_quotes_shell_characters_in_the_body() -> None:
    line = curl_line(sent(body=b"it's $HOME `x`"))
    assert "--data-binary 'it'\"'\"'s $HOME `x`'" in line


def test_curl_line_without_a_body_has_no_data() -> None:
    assert "--data-binary" not in curl_line(sent(body=b""))


def test_curl_line_body_is_bounded() -> None:
    line = curl_line(sent(body=b"x" * 100_000))
    assert len(line) < 5_000 and "more characters cut" in line


def test_exchange_to_dict_redacts_request_and_response_headers() -> None:
    answer = Answer(401, (("Content-Type", "application/json"), ("Set-Cookie", f"k={SECRET}")), b"{}")
    record = Exchange(sent(("Authorization", f"Bearer {SECRET}")), answer).to_dict("fail", "why")
    assert SECRET not in json.dumps(record)
    assert record["request"]["headers"] == {"Authorization": REDACTED}
    assert record["response"]["headers"]["Set-Cookie"] == REDACTED
    assert (record["verdict"], record["note"], record["response"]["status"]) == ("fail", "why", 401)
    assert record["curl"].startswith("curl ")


def test_exchange_to_dict_without_an_answer_keeps_the_error() -> None:
    record = Exchange(sent(), None, "no answer within 30 s (timeout)").to_dict("fail")
    assert record["response"] is None and record["error"] == "no answer within 30 s (timeout)"


def test_excerpts_in_the_evidence_record_are_bounded_and_marked() -> None:
    big = b"y" * (BODY_EXCERPT_CHARS * 3)
    record = Exchange(sent(body=big), Answer(400, (), big)).to_dict()
    for part in (record["request"]["body"], record["response"]["body"]):
        assert len(part) < BODY_EXCERPT_CHARS + 60
        assert part.endswith(f"[{BODY_EXCERPT_CHARS * 2} more characters cut]")
    assert record["response"]["truncated"] is True


def test_short_bodies_are_kept_whole() -> None:
    record = Exchange(sent(), Answer(400, (), b'{"error": {}}')).to_dict()
    assert record["response"]["body"] == '{"error": {}}' and record["response"]["truncated"] is False


def test_excerpt_replaces_bytes_that_are_not_utf8() -> None:
    assert excerpt(b"ok\xff").marked() == "ok\ufffd"
    assert excerpt(b"abcdef", 3).marked() == "abc… [3 more characters cut]"


def test_excerpt_gives_the_kept_text_and_the_whole_length() -> None:
    assert excerpt(b"abcdef", 3) == ("abc", 6) and excerpt(b"abcdef", 3).cut == 3
    assert excerpt("short") == ("short", None) and excerpt(None) == ("", None)
    assert excerpt({"a": 1}).text == '{"a": 1}'  # a parsed body is shown as JSON


def test_excerpt_hides_a_secret_before_cutting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_SECRETS", set())
    redaction.register_secret(SECRET)
    cut = excerpt(f"ab{SECRET}", 10)
    assert cut.text == "ab***" and SECRET[:8] not in cut.text


# ---- Answer.json() never raises ------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"not json", b'{"error": ', b"\xff\xfe{}", b"{'a': 1}", b"NaN-ish"])
def test_answer_json_is_none_for_bodies_that_are_not_json(body: bytes) -> None:
    assert Answer(400, (), body).json() is None


def test_answer_json_is_none_for_a_truncated_body() -> None:
    assert Answer(400, (), b'{"error": {"code": "X"}}', truncated=True).json() is None


def test_answer_json_parses_json() -> None:
    answer = Answer(404, (), b'{"error": {"code": "PersonNotFound", "message": "m"}}')
    assert answer.json() == {"error": {"code": "PersonNotFound", "message": "m"}}
    assert answer.error_field("code") == "PersonNotFound"
    assert answer.error_field("statusCode") is None


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b'{"error": "flat"}', b"null"])
def test_error_field_is_none_when_there_is_no_error_object(body: bytes) -> None:
    assert Answer(400, (), body).error_field("code") is None


def test_answer_json_does_not_raise_on_a_deeply_nested_body() -> None:
    assert Answer(200, (), b"[" * 100_000 + b"]" * 100_000).json() is None


def test_headers_are_found_in_any_case() -> None:
    answer = Answer(429, (("retry-after", "3"),), b"")
    assert answer.header("Retry-After") == "3" and answer.header("X-Other") is None
    assert sent(("content-type", "text/plain")).header("Content-Type") == "text/plain"


# ---- describe_answer ----------------------------------------------------------------------------------


def test_describe_answer_names_status_and_code_or_body() -> None:
    assert Exchange(sent(), Answer(404, (), b'{"error": {"code": "PersonNotFound"}}')).describe_answer() == \
        "HTTP 404 code 'PersonNotFound'"
    assert Exchange(sent(), Answer(200, (), b"")).describe_answer() == "HTTP 200 with an empty body"
    assert Exchange(sent(), Answer(500, (), b"boom")).describe_answer() == "HTTP 500 body 'boom'"
    assert Exchange(sent(), None, "cannot connect").describe_answer() == "no answer (cannot connect)"
    assert Exchange(sent(), None, "x").status is None


# ---- hide_secrets --------------------------------------------------------------------------------------------


def test_hide_secrets_replaces_every_occurrence_of_the_secret() -> None:
    assert hide_secrets(f"key={SECRET}; again {SECRET}", SECRET) == "key=***; again ***"


def test_hide_secrets_is_the_redaction_modules() -> None:
    assert hide_secrets is redaction.hide_secrets is evidence.hide_secrets


def test_a_near_miss_key_registered_longer_than_the_key_is_hidden_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_SECRETS", set())
    redaction.register_secret(SECRET + "tail")
    assert hide_secrets(f"sent {SECRET}tail", SECRET) == "sent ***"


@pytest.mark.parametrize("secret", [None, ""])
def test_hide_secrets_without_a_secret_leaves_text_alone(secret: str | None) -> None:
    assert hide_secrets("nothing to hide", secret) == "nothing to hide"


# ---- the one redaction module -------------------------------------------------------------------------

# The names both the engine and the reports used to mask, each on its own: the one set is their union.
ENGINE_NAMES = ("ocp-apim-subscription-key", "authorization", "proxy-authorization", "cookie", "set-cookie")
REPORT_NAMES = ("ocp-apim-subscription-key", "authorization", "api-key", "x-api-key", "subscription-key", "cookie",
                "key")


@pytest.mark.parametrize("name", sorted({*ENGINE_NAMES, *REPORT_NAMES}))
def test_every_credential_header_is_masked_by_the_engine_and_the_reports(name: str) -> None:
    from face_conformance.reporting.common import headers_text

    assert redaction.is_secret_header(name.upper()) and redaction.is_secret_header(f" {name} ")
    assert redact_headers([(name, SECRET)]) == {name: REDACTED}
    assert headers_text({name: SECRET}) == f"{name}: {REDACTED}"
    assert redaction.redacted_copy({"headers": {name.title(): SECRET}}) == {"headers": {name.title(): REDACTED}}


@pytest.mark.parametrize(("text", "shown"), [
    (f"-H 'Ocp-Apim-Subscription-Key: {SECRET}'", "-H 'Ocp-Apim-Subscription-Key: ***'"),
    (f"X-Api-Key: {SECRET}", "X-Api-Key: ***"),
    (f"Authorization: Bearer {SECRET}", "Authorization: Bearer ***"),
    (f"https://face.test/x?subscription-key={SECRET}&a=1", "https://face.test/x?subscription-key=***&a=1"),
    ("401.invalid-key: fail | with a pipe", "401.invalid-key: fail | with a pipe"),
])
def test_redact_text_masks_a_key_by_where_it_stands(text: str, shown: str) -> None:
    assert redaction.redact_text(text) == shown


def test_redacted_copy_leaves_the_original_alone() -> None:
    result = {"rows": [{"curl": f"curl -H 'Ocp-Apim-Subscription-Key: {SECRET}'", "Cookie": "c=1", "key": None}]}
    clean = redaction.redacted_copy(result)
    assert clean == {"rows": [{"curl": "curl -H 'Ocp-Apim-Subscription-Key: ***'", "Cookie": REDACTED, "key": None}]}
    assert SECRET in result["rows"][0]["curl"]


def test_sent_and_received_share_one_header_lookup() -> None:
    assert SentRequest.header is Answer.header
