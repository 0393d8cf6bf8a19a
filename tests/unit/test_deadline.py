"""`face_conformance.live.deadline` and the client's run deadline, in process.

A loopback server that drips its answer, and a whole run past --run-deadline, are the end-to-end
tier's (`tests/e2e/test_deadline_over_loopback.py`).
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from face_conformance.live.client import FaceClient
from face_conformance.live.deadline import request_deadline


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
