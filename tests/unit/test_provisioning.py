"""Supporting calls: retried after connection faults a retry can cure, and only where a retry is safe."""

from __future__ import annotations

from typing import Any

import pytest

from face_conformance.cases.world import FaceRef
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest
from face_conformance.live.provisioning import RETRY_PAUSES_S, SetupError, Supporting

RESET = "connection closed or broken mid-answer: Server disconnected without sending a response."
REFUSED = "cannot connect: [Errno 111] Connection refused"
TIMEOUT = "no answer within 3 s (timeout)"


class Scripted:
    """A stand-in for FaceClient: answers each send from a script (an error text, or a status and body)."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.sent: list[str] = []

    def send(self, method: str, path: str, **_: Any) -> Exchange:
        self.sent.append(method)
        step = self.script.pop(0)
        request = SentRequest(method, "http://x" + path, ())
        if isinstance(step, str):
            return Exchange(request, None, step)
        status, body = step
        return Exchange(request, Answer(status, (("Content-Type", "application/json"),), body))


def supporting(*script: Any, answered: bool = True) -> tuple[Supporting, Scripted, list[float]]:
    """Supporting calls over a scripted client; by default the endpoint has answered before."""
    client, pauses = Scripted(*script), []
    calls = Supporting(client, sleep=pauses.append, answered=answered)  # type: ignore[arg-type]
    return calls, client, pauses


def test_an_endpoint_that_never_answered_is_not_retried() -> None:
    """The first call's connection fault means unreachable: the run ends at once (exit 3), no retries."""
    calls, client, _ = supporting(REFUSED, answered=False)
    with pytest.raises(SetupError):
        calls.create_group("g")
    assert client.sent == ["PUT"] and not calls.retries


FACE = FaceRef("g", "p", "f")


def test_an_idempotent_call_is_retried_after_a_reset_and_reported() -> None:
    calls, client, pauses = supporting(RESET, (200, b'{"persistedFaceId": "f", "userData": "x"}'))
    assert calls.get_face(FACE)[0] == "x"
    assert client.sent == ["GET", "GET"] and pauses == [RETRY_PAUSES_S[0]]
    assert len(calls.retries) == 1 and "GET" in calls.retries[0] and "retried" in calls.retries[0]


def test_retries_stop_after_three_and_the_fault_is_a_setup_error() -> None:
    calls, client, pauses = supporting(RESET, RESET, RESET, RESET)
    with pytest.raises(SetupError):
        calls.create_group("g")
    assert client.sent == ["PUT"] * 4 and pauses == list(RETRY_PAUSES_S)


def test_a_post_that_may_have_reached_the_server_is_not_retried() -> None:
    calls, client, _ = supporting(RESET)
    with pytest.raises(SetupError):
        calls.create_person("g", "name")
    assert client.sent == ["POST"] and not calls.retries


def test_a_post_that_never_connected_is_retried() -> None:
    calls, client, _ = supporting(REFUSED, (200, b'{"personId": "p"}'))
    assert calls.create_person("g", "name") == "p"
    assert client.sent == ["POST", "POST"]


@pytest.mark.parametrize("first", [TIMEOUT, (404, b'{"error": {"code": "NotFound", "message": "no"}}')])
def test_a_timeout_or_an_answer_is_not_retried(first: Any) -> None:
    calls, client, _ = supporting(first)
    with pytest.raises(SetupError):
        calls.get_face(FACE)
    assert client.sent == ["GET"] and not calls.retries


@pytest.mark.parametrize("reset", [RESET, "connection broken while reading: [Errno 104] Connection reset by peer",
                                   "cannot connect: [Errno 104] Connection reset by peer"])
def test_a_reset_on_the_very_first_request_is_retried(reset: str) -> None:
    """A reset shows a server on the other end: the first call (a PUT) is retried like any other."""
    calls, client, pauses = supporting(reset, (200, b""), answered=False)
    calls.create_group("g")
    assert client.sent == ["PUT", "PUT"] and pauses == [RETRY_PAUSES_S[0]]
    assert calls.answered and len(calls.retries) == 1 and "PUT" in calls.retries[0]


def test_a_post_that_connected_before_any_answer_is_still_not_retried() -> None:
    calls, client, _ = supporting(RESET, answered=False)
    with pytest.raises(SetupError):
        calls.create_person("g", "name")
    assert client.sent == ["POST"] and not calls.retries
