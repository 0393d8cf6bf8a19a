"""The reference's raw ASGI wrapper (`face_conformance.reference.asgi`), called without a server.

The same service served by uvicorn over loopback is the end-to-end tier's
(`tests/e2e/test_reference_over_loopback.py`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from face_conformance.reference import ReferenceService, asgi_app
from face_conformance.reference.asgi import build_request

KEY = "reference-key"


def scope(raw_path: bytes, method: str = "GET", query: bytes = b"") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:9"), (b"ocp-apim-subscription-key", KEY.encode())],
        "server": ("127.0.0.1", 9),
        "scheme": "http",
    }


def call_asgi(app: Any, http_scope: dict[str, Any], body: bytes = b"") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    chunks = [body[:1], body[1:]]

    async def receive() -> dict[str, Any]:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(http_scope, receive, send))
    return sent


def test_build_request_keeps_escapes_and_encodes_raw_utf8() -> None:
    request = build_request(scope(b"/face/v1.0/persongroups/caf\xc3\xa9%0A", query=b"top=2"), b"")
    assert request.url.raw_path == b"/face/v1.0/persongroups/caf%C3%A9%0A?top=2"
    assert request.headers["ocp-apim-subscription-key"] == KEY


def test_asgi_app_reads_a_chunked_body_and_sends_the_answer() -> None:
    service = ReferenceService()
    sent = call_asgi(asgi_app(service), scope(b"/face/v1.0/persongroups/chunked", "PUT"), b'{"name": "n"}')
    assert sent[0]["status"] == 200
    assert (b"content-length", b"0") in sent[0]["headers"]
    assert sent[1]["body"] == b""
    assert service.model.group("chunked") is not None


def test_asgi_app_turns_a_crash_into_a_json_500() -> None:
    class Broken(ReferenceService):
        def list_groups(self, request: httpx.Request) -> httpx.Response:
            raise RuntimeError("boom")

    sent = call_asgi(asgi_app(Broken()), scope(b"/face/v1.0/persongroups"))
    assert sent[0]["status"] == 500
    assert (b"content-type", b"application/json; charset=utf-8") in sent[0]["headers"]
    assert b"InternalServerError" in sent[1]["body"]
