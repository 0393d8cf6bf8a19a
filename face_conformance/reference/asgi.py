"""A raw ASGI callable around `ReferenceService.handle`, for uvicorn.

No framework routing: Starlette's path routes do not match decoded paths holding `%0A`, and the
service must answer such fuzzed IDs with its own JSON 404. The raw path goes to the service
untouched, so it decodes each segment itself.

A zoo service may also ask for misbehaviour below HTTP semantics (hang, drop the connection,
a wrong Content-Length) by putting a `WireFault` in the answer's `extensions` under
`WIRE_FAULT`; the reference never does, so its answers go out unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import anyio
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

#: The key of `httpx.Response.extensions` under which a service asks for a `WireFault`.
WIRE_FAULT = "face_conformance.wire_fault"
#: The key of `httpx.Response.extensions` under which a service gives a body in a content coding:
#: `(encoded bytes, coding name)`, sent as they are with a Content-Encoding header.
ENCODED_BODY = "face_conformance.encoded_body"
#: A hang (or a wait for the close) ends after this long at the latest: no server task is pinned for ever.
HANG_CAP_S = 120.0


@dataclass(frozen=True)
class WireFault:
    """A misbehaviour below HTTP semantics, for the zoo's hostile variants (at most one field set).

    `hang`: never answer; wait until the client gives up and closes. `drop_after`: write only this
    many bytes of the answer, then close the connection (0: close without a byte).
    `content_length`: declare this Content-Length whatever the body's size, then close.
    `drip_s`: send the status line, headers and body one byte at a time, `drip_s` seconds apart.
    """

    hang: bool = False
    drop_after: int | None = None
    content_length: int | None = None
    drip_s: float | None = None  # send the whole answer one byte at a time, this long between bytes


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
        fault = response.extensions.get(WIRE_FAULT)
        if fault is None:
            await _send_response(send, response)
        else:
            await _misbehave(fault, response, receive, send)

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
    encoded = response.extensions.get(ENCODED_BODY)
    if encoded is not None:
        # An httpx.Response decodes a body it holds; an encoded one travels beside it.
        body, encoding = encoded
        headers.append((b"content-encoding", encoding.encode("ascii")))
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _misbehave(fault: WireFault, response: httpx.Response, receive: Receive, send: Send) -> None:
    if fault.hang:
        # Returns on http.disconnect: the client timed out and closed, and uvicorn sends nothing.
        with anyio.move_on_after(HANG_CAP_S):
            await receive()
        return
    raw = _wire_bytes(response, fault.content_length)
    if fault.drop_after is not None:
        raw = raw[: fault.drop_after]
    transport = _transport(send)
    if transport is None:
        # Not uvicorn's h11 cycle: the nearest ASGI can do is start the answer and never finish it.
        await send({"type": "http.response.start", "status": response.status_code, "headers": []})
        return
    if fault.drip_s is not None:
        # Each byte comes well within any per-read timeout; only a total deadline ends the wait.
        with anyio.move_on_after(HANG_CAP_S):
            for index in range(len(raw)):
                if transport.is_closing():
                    return
                transport.write(raw[index:index + 1])
                await anyio.sleep(fault.drip_s)
    else:
        transport.write(raw)
    transport.close()
    with anyio.move_on_after(HANG_CAP_S):
        await receive()  # wait for uvicorn to see the close, so that it does not answer a 500 itself


def _transport(send: Send) -> Any:
    # ASGI has no way to write raw bytes or close a connection unanswered; uvicorn's h11
    # protocol keeps the asyncio transport on the request cycle whose bound `send` we were given.
    return getattr(getattr(send, "__self__", None), "transport", None)


def _wire_bytes(response: httpx.Response, content_length: int | None) -> bytes:
    body = response.content
    declared = len(body) if content_length is None else content_length
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}".encode("ascii")]
    lines += [k + b": " + v for k, v in response.headers.raw if k.lower() != b"content-length"]
    lines += [b"content-length: " + str(declared).encode("ascii"), b"connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
