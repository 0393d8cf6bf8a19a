"""When a server counts as unresponsive: the requests left without an answer, counted in a row and per kind of call.

Pure bookkeeping (`Silence`), then the same through `FaceClient.send` over a mock transport: no socket.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx
import pytest

from face_conformance.cases.wire import face_path
from face_conformance.live.client import (
    MAX_SILENT_IN_A_ROW,
    SILENT_WINDOW,
    FaceClient,
    Silence,
    Unresponsive,
    call_kind,
)

STALL = "no answer within 1 s (timeout)"
PATH = face_path("g1", "11111111-1111-4111-8111-111111111111", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")


def first_stop(calls: Iterable[tuple[str, bool]]) -> tuple[int | None, str | None]:
    """Feed (method, silent) pairs to a fresh Silence: the 1-based index of the request that stops the run, and why."""
    silence = Silence()
    for index, (method, silent) in enumerate(calls, 1):
        reason = silence.record(method, silent, STALL if silent else "")
        if reason is not None:
            return index, reason
    return None, None


def test_the_kinds_of_call() -> None:
    assert call_kind("PATCH") == call_kind("patch") == "PATCH"
    assert {call_kind(m) for m in ("GET", "PUT", "POST", "DELETE")} == {"supporting"}


def test_every_patch_stalling_stops_at_the_third_stall_whatever_the_read_backs_answer() -> None:
    """The bug: Get Face answers between the stalls reset a count in a row, and the run went on for ever."""
    calls = [("PATCH", True), ("GET", False), ("PATCH", True), ("PATCH", True), ("GET", False), ("PATCH", True)]
    index, reason = first_stop(calls)
    assert index == 4 and MAX_SILENT_IN_A_ROW == 3  # the third PATCH stall, however many GETs came between
    assert reason is not None and "3 of its last 3 PATCH requests" in reason and STALL in reason


def test_a_server_gone_quiet_stops_after_three_requests_in_a_row_of_any_kind() -> None:
    index, reason = first_stop([("PATCH", True), ("GET", True), ("PATCH", True)])
    assert index == 3 and reason is not None and "3 requests in a row" in reason


def test_one_slow_answer_among_many_stops_nothing() -> None:
    calls = [("PATCH", i % 7 == 3) for i in range(200)]  # one stall in seven, all run long
    calls += [("GET", i % 7 == 5) for i in range(200)]
    assert first_stop(calls) == (None, None)


def test_two_stalls_in_a_window_stop_nothing_and_old_stalls_are_forgotten() -> None:
    """Two stalls among SILENT_WINDOW PATCHes are tolerated; a third one only counts while the first is in view."""
    quiet = [("PATCH", False)] * (SILENT_WINDOW - 2)
    assert first_stop([("PATCH", True), ("PATCH", True), *quiet]) == (None, None)
    # The first stall leaves the window just as the third arrives: still two in view.
    assert first_stop([("PATCH", True), ("PATCH", True), *quiet, ("PATCH", True)]) == (None, None)
    index, reason = first_stop([("PATCH", True), ("PATCH", True), *quiet[1:], ("PATCH", True)])
    assert index == SILENT_WINDOW and f"3 of its last {SILENT_WINDOW} PATCH requests" in (reason or "")


def test_a_stall_on_every_error_answer_is_caught_though_the_updates_between_answer() -> None:
    """A server that hangs on every fourth update (its error answers, say) never stalls twice in a row."""
    index, reason = first_stop([("PATCH", i % 4 == 0) for i in range(40)])
    assert index == 9 and "3 of its last 9 PATCH requests" in (reason or "")


def test_the_supporting_calls_have_a_count_of_their_own() -> None:
    calls = [("GET", True), ("PATCH", False), ("GET", True), ("PATCH", False), ("DELETE", True)]
    index, reason = first_stop(calls)
    assert index == 5 and "3 of its last 3 supporting calls" in (reason or "")


def test_answers_of_one_kind_do_not_clear_the_other() -> None:
    silence = Silence()
    for method, silent in [("PATCH", True), ("GET", False), ("PATCH", True), ("GET", False)]:
        assert silence.record(method, silent) is None
    assert silence.in_a_row == 0 and sum(silence.recent["PATCH"]) == 2
    silence.reset()
    assert silence.in_a_row == 0 and not silence.recent


# ---- through the client ----------------------------------------------------------------------------


def test_the_client_halts_on_the_third_stalled_patch_and_stays_halted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            raise httpx.ReadTimeout("stalled", request=request)
        return httpx.Response(200, json={"persistedFaceId": "f", "userData": None})

    http = httpx.Client(base_url="https://face.test", transport=httpx.MockTransport(handler))
    client = FaceClient(http, "silence-key-0123456789", timeout=1.0)
    for _ in range(2):
        assert client.send("PATCH", PATH, body=b"{}").answer is None
        assert client.send("GET", PATH).status == 200
    assert client.silent_in_a_row == 0  # the read-backs answered: nothing in a row
    with pytest.raises(Unresponsive, match="3 of its last 3 PATCH requests") as info:
        client.send("PATCH", PATH, body=b"{}")
    assert info.value.exchange is not None and "timeout" in (info.value.exchange.error or "")
    sent = client.sent
    with pytest.raises(Unresponsive):
        client.send("GET", PATH)  # halted: nothing more is sent
    assert client.sent == sent
    client.reopen()  # the teardown still goes out, with the counts forgotten
    assert client.send("GET", PATH).status == 200
    assert client.send("PATCH", PATH, body=b"{}").answer is None  # one stall after reopening: no halt
