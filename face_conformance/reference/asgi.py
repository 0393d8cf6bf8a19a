"""A raw ASGI callable around `ReferenceService.handle`, for uvicorn.

No framework routing: Starlette's path routes do not match decoded paths holding `%0A`, and the
service must answer such fuzzed IDs with its own JSON 404. The raw path goes to the service
untouched, so it decodes each segment itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
from anyio import to_thread

from face_conformance.reference.service import JSON_CONTENT_TYPE, ReferenceService

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger(__name__)

_CRASH_BODY = b'{"error":{"code":"InternalServerError","message":"The reference service failed."}}'


def asgi_app(service: ReferenceService) -> ASGIApp:
    """An ASGI application answering every HTTP request with `service.handle`."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        try:
            request = build_request(scope, body)
            # In a worker thread: handle() sleeps while it holds a write lock, and concurrent
            # requests must really overlap for the 409 ConcurrentOperationConflict to show.
            response = await to_thread.run_sync(service.handle, request)
        except Exception:
            logger.exception("reference service failed on %s %s", scope["method"], scope.get("raw_path"))
            response = httpx.Response(500, content=_CRASH_BODY, headers={"Content-Type": JSON_CONTENT_TYPE})
        await _send_response(send, response)

    return app


def build_request(scope: Scope, body: bytes) -> httpx.Request:
    """The httpx request for an ASGI HTTP scope, with the path exactly as it was sent."""
    raw_path = _ascii(scope.get("raw_path") or scope["path"].encode("utf-8"))
    query = _ascii(scope.get("query_string", b""))
    host, port = scope.get("server") or ("127.0.0.1", 80)
    url = httpx.URL(
        scheme=scope.get("scheme", "http"),
        host=host,
        port=port,
        raw_path=raw_path + (b"?" + query if query else b""),
    )
    return httpx.Request(scope["method"], url, headers=list(scope["headers"]), content=body)


def _ascii(raw: bytes) -> bytes:
    # httpx.URL takes ASCII only; a client sending raw UTF-8 in the path meant these escapes.
    return re.sub(rb"[\x80-\xff]", lambda m: b"%%%02X" % m.group()[0], raw)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_response(send: Send, response: httpx.Response) -> None:
    body = response.content
    headers = [(k.lower(), v) for k, v in response.headers.raw if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
