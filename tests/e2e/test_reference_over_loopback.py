"""The reference service on a socket: uvicorn over loopback (`BackgroundServer`).

The ASGI callable without a server is the unit tier's (`tests/unit/test_reference_asgi.py`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from face_conformance.cases import catalogue
from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService

KEY = "reference-key"


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    config = ReferenceConfig(seed=11, write_hold_seconds=0.05, training_seconds=0.3)
    with BackgroundServer(ReferenceService(config)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: BackgroundServer) -> Iterator[httpx.Client]:
    headers = {"Ocp-Apim-Subscription-Key": KEY}
    with httpx.Client(base_url=server.base_url + "/face/v1.0", headers=headers, timeout=5) as http:
        yield http


@pytest.fixture(scope="module")
def face(client: httpx.Client) -> str:
    """The path of a face in group `loop`, made through the supporting calls over the socket."""
    assert client.put("/persongroups/loop", json={"name": "loop"}).status_code == 200
    person = client.post("/persongroups/loop/persons", json={"name": "p"}).json()["personId"]
    added = client.post(
        f"/persongroups/loop/persons/{person}/persistedFaces", json={"url": "https://x.test/a.jpg"}
    )
    return f"/persongroups/loop/persons/{person}/persistedFaces/{added.json()['persistedFaceId']}"


def error_code(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["error"]["code"]


def test_base_url_is_the_bound_port(server: BackgroundServer) -> None:
    assert server.port and server.port > 0
    assert server.base_url == f"http://127.0.0.1:{server.port}"


def test_update_and_read_back_tricky_unicode_over_loopback(client: httpx.Client, face: str) -> None:
    value = "  e\u0301 😀 nul\x00 \ufeff  "
    answer = client.patch(face, json={"userData": value})
    assert answer.status_code == 200
    assert answer.content == b""
    assert "content-type" not in answer.headers
    assert answer.headers["content-length"] == "0"
    assert answer.headers["apim-request-id"]
    assert client.get(face.replace("persistedFaces", "persistedfaces")).json()["userData"] == value


def test_encoded_newline_in_group_id_is_json_404_group_invalid(client: httpx.Client, face: str) -> None:
    answer = client.patch(face.replace("/loop/", "/bad%0Agroup/"), json={"userData": "x"})
    assert answer.status_code == 404
    assert error_code(answer) == catalogue.row("404.group-invalid").code
    assert answer.json()["error"]["message"] == catalogue.row("404.group-invalid").example["error"]["message"]


def test_raw_path_reaches_the_service_encoded(
    server: BackgroundServer, client: httpx.Client, face: str
) -> None:
    client.patch(face.replace("/loop/", "/a%2Fb/"), json={"userData": "x"})
    last = server.service.request_log[-1]
    assert "/persongroups/a%2Fb/" in last.raw_path and last.status == 404


def test_wrong_method_is_405_with_allow(client: httpx.Client, face: str) -> None:
    trace = client.request("TRACE", face, headers={"Ocp-Apim-Subscription-Key": "wrong"})
    assert trace.status_code == 405 and trace.headers["allow"] == "GET, PATCH"
    assert error_code(trace) == "MethodNotAllowed"
    head = client.head(face)
    assert head.status_code == 405 and head.content == b""


def test_wrong_key_and_unknown_route(client: httpx.Client, face: str) -> None:
    answer = client.patch(face, json={"userData": "x"}, headers={"Ocp-Apim-Subscription-Key": "wrong"})
    assert answer.status_code == 401 and error_code(answer) == "Unspecified"
    unknown = client.get("/nothing/here")
    assert unknown.status_code == 404 and error_code(unknown) == "NotFound"


def test_forced_rate_limit_with_retry_after_over_loopback(
    server: BackgroundServer, client: httpx.Client, face: str
) -> None:
    server.service.force("rate-limit-retry-after")
    answer = client.patch(face, json={"userData": "x"})
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "1"
    assert answer.json() == {
        "error": {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}
    }


def test_concurrent_updates_overlap_in_worker_threads(client: httpx.Client, face: str) -> None:
    barrier = threading.Barrier(6)
    results: dict[str, int] = {}

    def update(value: str) -> None:
        barrier.wait()
        results[value] = client.patch(face, json={"userData": value}).status_code

    threads = [threading.Thread(target=update, args=(f"v{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = {v for v, status in results.items() if status == 200}
    assert winners and 409 in results.values()
    assert set(results.values()) <= {200, 409}
    assert client.get(face).json()["userData"] in winners


def test_training_runs_then_succeeds_over_loopback(client: httpx.Client, face: str) -> None:
    assert client.post("/persongroups/loop/train").status_code == 202
    assert client.get("/persongroups/loop/training").json()["status"] == "running"
    blocked = client.patch(face, json={"userData": "x"})
    assert blocked.status_code == 409 and error_code(blocked) == "PersonGroupTrainingNotFinished"
    status = None
    for _ in range(40):
        status = client.get("/persongroups/loop/training").json()["status"]
        if status == "succeeded":
            break
        time.sleep(0.05)
    assert status == "succeeded"
    assert client.patch(face, json={"userData": "after"}).status_code == 200


def test_server_stops_on_exit() -> None:
    with BackgroundServer() as running:
        url = running.base_url + "/face/v1.0/persongroups"
        assert httpx.get(url, headers={"Ocp-Apim-Subscription-Key": KEY}).json() == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=1)
    with pytest.raises(RuntimeError):
        _ = running.base_url
