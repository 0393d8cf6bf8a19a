"""Self-tests of `face_conformance.live.client`: retries on 429, 403 handling, transport errors, bounds, redaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from face_conformance.cases.wire import KEY_HEADER, face_path, segment
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest
from face_conformance.evidence.redaction import REDACTED
from face_conformance.live.client import (
    MAX_429_RETRIES,
    MAX_429_WAIT_S,
    MAX_BODY_BYTES,
    WRONG_KEY,
    FaceClient,
    Inconclusive,
    retry_delay,
)

SECRET = "secret-key-0123456789abcdef"
PATH = face_path("g1", "11111111-1111-4111-8111-111111111111", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
Handler = Callable[[httpx.Request], httpx.Response]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """A JSON answer."""
    return httpx.Response(status, headers={"Content-Type": "application/json", **(headers or {})},
                          content=json.dumps(body).encode())


def rate_limited(message: str = "Rate limit is exceeded.", headers: dict[str, str] | None = None) -> httpx.Response:
    """A 429 in the page's shape."""
    return json_response(429, {"error": {"statusCode": 429, "message": message}}, headers)


class Recorder:
    """Answers requests from a script (the last answer repeats) and remembers what it saw."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def make(handler: Handler, **kw: Any) -> tuple[FaceClient, list[float], Any]:
    """A FaceClient over a mock transport, with a fake sleep, and what it met on the way (429s, 403s)."""
    sleeps: list[float] = []
    http = httpx.Client(base_url="https://face.test", transport=httpx.MockTransport(handler))
    client = FaceClient(http, SECRET, sleep=sleeps.append, **kw)
    return client, sleeps, client.take_met


# ---- 429: wait and repeat -----------------------------------------------------------------------------


def test_429_then_200_is_retried_and_observed() -> None:
    rec = Recorder(rate_limited(), httpx.Response(200))
    client, sleeps, seen = make(rec)
    exchange = client.send("PATCH", PATH, body=b"{}")
    assert exchange.status == 200
    assert len(rec.requests) == 2 and len(sleeps) == 1
    met = seen()
    assert [e.status for e in met] == [429] and seen() == []  # taken once


def test_wait_comes_from_retry_after_first() -> None:
    rec = Recorder(rate_limited("Try again in 26 seconds.", {"Retry-After": "3"}), httpx.Response(200))
    client, sleeps, _ = make(rec)
    client.send("PATCH", PATH)
    assert sleeps == [3.0]


def test_wait_comes_from_the_message_without_retry_after() -> None:
    rec = Recorder(rate_limited("Rate limit is exceeded. Try again in 7 seconds."), httpx.Response(200))
    client, sleeps, _ = make(rec)
    client.send("PATCH", PATH)
    assert sleeps == [7.0]


def test_wait_backs_off_exponentially_without_a_hint() -> None:
    rec = Recorder(rate_limited("slow down"), rate_limited("slow down"), rate_limited("slow down"),
                   httpx.Response(200))
    client, sleeps, _ = make(rec)
    assert client.send("PATCH", PATH).status == 200
    assert sleeps == [1.0, 2.0, 4.0]


def test_waits_are_capped() -> None:
    rec = Recorder(rate_limited(headers={"Retry-After": "86400"}), httpx.Response(200))
    client, sleeps, _ = make(rec)
    client.send("PATCH", PATH)
    assert sleeps == [MAX_429_WAIT_S]


def test_retries_stop_after_the_limit_and_return_the_last_429() -> None:
    rec = Recorder(rate_limited(headers={"Retry-After": "0"}))
    client, sleeps, seen = make(rec)
    exchange = client.send("PATCH", PATH)
    assert exchange.status == 429
    assert len(rec.requests) == MAX_429_RETRIES + 1 and len(sleeps) == MAX_429_RETRIES
    assert len(seen()) == MAX_429_RETRIES


def test_retry_delay_ignores_a_date_retry_after_and_reads_the_message() -> None:
    body = json.dumps({"error": {"statusCode": 429, "message": "Try again in 12 seconds"}}).encode()
    answer = Answer(429, (("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),), body)
    exchange = Exchange(SentRequest("PATCH", "https://face.test/x", ()), answer)
    assert retry_delay(exchange, 0) == 12.0
    assert retry_delay(Exchange(exchange.request, Answer(429, (), b"")), 3) == 8.0


# ---- 403: quota and access end the run ----------------------------------------------------------------

QUOTA_STATUSCODE = {"error": {"statusCode": 403, "message": "Out of call volume quota. Quota will be replenished "
                                                           "in 2.12 days."}}
QUOTA_CODE = {"error": {"code": "QuotaExceeded", "message": "Quota exceeded."}}
UNSUPPORTED = {"error": {"code": "UnsupportedFeature", "message": "Feature is not supported."}}


@pytest.mark.parametrize(("body", "words"), [(QUOTA_STATUSCODE, "quota"), (QUOTA_CODE, "quota"),
                                             (UNSUPPORTED, "Limited Access")])
def test_quota_and_access_403_raise_inconclusive(body: dict[str, Any], words: str) -> None:
    client, _, seen = make(lambda r: json_response(403, body))
    with pytest.raises(Inconclusive, match=words) as info:
        client.send("PATCH", PATH)
    assert info.value.exchange is not None and info.value.exchange.status == 403
    assert body["error"]["message"] in str(info.value)
    assert [e.status for e in seen()] == [403]


@pytest.mark.parametrize("body", [QUOTA_STATUSCODE, QUOTA_CODE, UNSUPPORTED])
def test_forced_403_is_returned_not_raised(body: dict[str, Any]) -> None:
    client, _, _ = make(lambda r: json_response(403, body))
    assert client.send("PATCH", PATH, forced_403=True).status == 403


@pytest.mark.parametrize("body", [{"error": {"code": "Forbidden", "message": "no"}}, {"message": "denied"}])
def test_other_403_is_returned_to_be_judged(body: dict[str, Any]) -> None:
    client, _, _ = make(lambda r: json_response(403, body))
    assert client.send("PATCH", PATH).status == 403


def test_quota_403_with_a_string_status_code_still_ends_the_run() -> None:
    """A misshapen quota answer is still the quota answer: the run stops (its shape is judged on 403.quota)."""
    client, _, _ = make(lambda r: json_response(403, {"error": {"statusCode": "403", "message": "quota"}}))
    with pytest.raises(Inconclusive):
        client.send("PATCH", PATH)


def test_plain_text_403_is_returned_to_be_judged() -> None:
    client, _, _ = make(lambda r: httpx.Response(403, content=b"Forbidden"))
    assert client.send("PATCH", PATH).status == 403


# ---- no answer ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("exc", "words"), [
    (httpx.ReadTimeout("timed out"), "timeout"),
    (httpx.ConnectTimeout("timed out"), "timeout"),
    (httpx.ConnectError("connection refused"), "cannot connect"),
    (httpx.RemoteProtocolError("peer closed connection"), "connection closed"),
    (httpx.ReadError("reset by peer"), "connection broken"),
])
def test_transport_errors_become_exchanges_without_an_answer(exc: Exception, words: str) -> None:
    client, _, _ = make(Recorder(exc), timeout=5)
    exchange = client.send("PATCH", PATH, body=b"{}")
    assert exchange.answer is None and exchange.status is None
    assert exchange.error and words in exchange.error
    assert exchange.request.method == "PATCH" and exchange.request.body == b"{}"


def test_timeout_error_states_the_timeout() -> None:
    client, _, _ = make(Recorder(httpx.ReadTimeout("timed out")), timeout=2.5)
    assert client.send("GET", PATH).error == "no answer within 2.5 s (timeout)"


def test_error_text_never_carries_the_key() -> None:
    client, _, _ = make(Recorder(httpx.ConnectError(f"refused for key {SECRET}")))
    exchange = client.send("GET", PATH)
    assert exchange.error and SECRET not in exchange.error and REDACTED in exchange.error


class _BrokenStream(httpx.SyncByteStream):
    def __iter__(self):  # type: ignore[no-untyped-def]
        yield b'{"error": '
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def test_body_broken_mid_answer_keeps_what_came_and_says_so() -> None:
    client, _, _ = make(lambda r: httpx.Response(404, stream=_BrokenStream()))
    exchange = client.send("GET", PATH)
    assert exchange.answer is not None and exchange.answer.truncated
    assert exchange.answer.body == b'{"error": '
    assert exchange.error and "connection closed" in exchange.error


# ---- bounds ------------------------------------------------------------------------------------------


def test_huge_body_is_cut_and_marked_truncated() -> None:
    client, _, _ = make(lambda r: httpx.Response(200, content=b"z" * (MAX_BODY_BYTES + 4096)))
    answer = client.send("GET", PATH).answer
    assert answer is not None and answer.truncated and len(answer.body) == MAX_BODY_BYTES
    assert answer.json() is None


def test_huge_streamed_body_is_cut_without_reading_it_all() -> None:
    produced = []

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(64):
            produced.append(1)
            yield b"z" * 65536

    client, _, _ = make(lambda r: httpx.Response(200, content=chunks()))
    answer = client.send("GET", PATH).answer
    assert answer is not None and answer.truncated and len(answer.body) == MAX_BODY_BYTES
    assert len(produced) < 64


def test_normal_body_is_whole() -> None:
    client, _, _ = make(lambda r: json_response(404, {"error": {"code": "X", "message": "m"}}))
    answer = client.send("GET", PATH).answer
    assert answer is not None and not answer.truncated and answer.error_field("code") == "X"


# ---- the key -----------------------------------------------------------------------------------------


def test_the_server_gets_the_key_but_the_evidence_does_not() -> None:
    rec = Recorder(httpx.Response(200, headers={"X-Echo": SECRET}))
    client, _, _ = make(rec)
    exchange = client.send("PATCH", PATH, headers={"Content-Type": "application/json"}, body=b"{}")
    assert rec.requests[0].headers[KEY_HEADER] == SECRET
    assert exchange.request.header(KEY_HEADER) == REDACTED
    assert SECRET not in exchange.request.url and SECRET not in repr(exchange.request.headers)
    assert SECRET not in json.dumps(exchange.to_dict())
    assert exchange.answer is not None and exchange.answer.header("X-Echo") == REDACTED


def test_key_in_the_url_is_scrubbed() -> None:
    client, _, _ = make(Recorder(httpx.Response(200)))
    exchange = client.send("GET", f"/face/v1.0/persongroups?subscription-key={SECRET}")
    assert SECRET not in exchange.request.url


def test_wrong_key_and_missing_key() -> None:
    rec = Recorder(json_response(401, {"error": {"code": "Unspecified", "message": "m"}}))
    client, _, _ = make(rec)
    client.send("PATCH", PATH, key="wrong")
    client.send("PATCH", PATH, key="missing")
    assert rec.requests[0].headers[KEY_HEADER] == WRONG_KEY
    assert KEY_HEADER not in rec.requests[1].headers


# ---- counting ----------------------------------------------------------------------------------------


def test_sent_counts_every_attempt_by_tag() -> None:
    rec = Recorder(rate_limited(), httpx.Response(200))
    client, _, _ = make(rec)
    client.send("PATCH", PATH, tag="404.group-invalid")
    client.send("GET", PATH, tag="setup")
    client.send("GET", PATH, tag="setup")
    assert client.sent == 4
    assert dict(client.sent_by_tag) == {"404.group-invalid": 2, "setup": 2}


def test_face_path_puts_each_id_in_one_segment() -> None:
    assert face_path("g", "p", "f") == "/face/v1.0/persongroups/g/persons/p/persistedFaces/f"
    assert face_path("a b", "x/y", "f?#") == "/face/v1.0/persongroups/a%20b/persons/x%2Fy/persistedFaces/f%3F%23"
    assert face_path("g", tail="/train") == "/face/v1.0/persongroups/g/train"


def test_segment_keeps_values_encoded_on_purpose() -> None:
    assert segment("bad%21group") == "bad%21group"
    assert segment("bad!group") == "bad!group"
