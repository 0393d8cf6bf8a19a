"""A total deadline per request: a loopback server that drips its answer byte by byte is cut off by
--timeout; and a whole run past --run-deadline ends inconclusive (the CLI in a subprocess).

The deadline's scope (this thread, this block) and the run deadline on a mock transport are the
unit tier's (`tests/unit/test_deadline.py`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from harness import run_cli

from face_conformance.live.client import FaceClient
from face_conformance.live.deadline import deadline_transport

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


def test_a_run_past_its_deadline_ends_inconclusive_with_every_report(tmp_path: Path) -> None:
    run = run_cli("run", "--run-deadline", "1", "--variant", "slow-answers", "--report-dir", "reports",
                  cwd=tmp_path, timeout=120)
    assert run.returncode == 3, run.describe()
    assert "--run-deadline" in run.report["verdict_reason"]
    assert {p.name for p in (tmp_path / "reports").iterdir()} >= {"conformance.json", "junit.xml", "report.html"}
