"""A total deadline per request: a server that drips its answer byte by byte is cut off by --timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from face_conformance.live.client import FaceClient
from face_conformance.live.deadline import deadline_transport, request_deadline

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}"


@pytest.fixture
def dripping_server() -> Iterator[str]:
    """A loopback server that sends its answer one byte every 0.08 s (at most 10 s, then it stops)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            for index in range(len(ANSWER)):
                if stop.is_set():
                    return
                try:
                    conn.sendall(ANSWER[index:index + 1])
                except OSError:
                    return
                time.sleep(0.08)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    thread.join(5)


def test_a_dripped_answer_is_cut_off_at_the_total_deadline(dripping_server: str) -> None:
    with httpx.Client(base_url=dripping_server, transport=deadline_transport(), timeout=5.0) as http:
        client = FaceClient(http, "deadline-key-0123", timeout=1.0)
        started = time.monotonic()
        exchange = client.send("PATCH", "/x", body=b"{}")
        took = time.monotonic() - started
    assert exchange.answer is None and "timeout" in (exchange.error or "")
    assert took < 2.5, f"each byte came within the read timeout, but the request took {took:.1f} s"


def test_without_a_deadline_the_same_answer_arrives_whole(dripping_server: str) -> None:
    """The control: each byte is within httpx's per-read timeout, so only the total deadline cuts it."""
    with httpx.Client(base_url=dripping_server, transport=deadline_transport(), timeout=5.0) as http:
        response = http.patch("/x", content=b"{}")
    assert response.status_code == 200 and response.content == b"{}"


def test_the_deadline_applies_to_this_thread_only_and_ends_with_the_block() -> None:
    from face_conformance.live import deadline

    with request_deadline(0.0):
        time.sleep(0.01)
        with pytest.raises(Exception, match="deadline"):
            deadline._left(5.0, TimeoutError)
        seen: list[float | None] = []
        worker = threading.Thread(target=lambda: seen.append(deadline._left(5.0, TimeoutError)))
        worker.start()
        worker.join()
        assert seen == [5.0]
    assert deadline._left(5.0, TimeoutError) == 5.0


def test_the_run_deadline_halts_the_client_and_teardown_may_still_send() -> None:
    from face_conformance.live.client import Unresponsive

    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with httpx.Client(base_url="http://x.test", transport=transport) as http:
        client = FaceClient(http, "deadline-key-0123", run_deadline=0.05)
        assert client.send("GET", "/a").status == 200
        time.sleep(0.06)
        with pytest.raises(Unresponsive, match="run's deadline of 0.05 s"):
            client.send("GET", "/b")
        client.reopen()
        assert client.send("DELETE", "/c").status == 200


def test_a_run_past_its_deadline_ends_inconclusive_with_every_report(tmp_path) -> None:  # noqa: ANN001
    from servers import run_cli

    run = run_cli("run", "--run-deadline", "1", "--variant", "slow-answers", "--report-dir", "reports",
                  cwd=tmp_path, timeout=120)
    assert run.returncode == 3, run.describe()
    assert "--run-deadline" in run.report["verdict_reason"]
    assert {p.name for p in (tmp_path / "reports").iterdir()} >= {"conformance.json", "junit.xml", "report.html"}
