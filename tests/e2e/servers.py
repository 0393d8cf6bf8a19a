"""Loopback servers for the end-to-end tier: the reference (slow, recording, refusing) and hostile ones.

Every server here binds 127.0.0.1 on a free port, runs in a daemon thread of the test process and
is stopped by its fixture. `HostileServer` is a raw HTTP/1.1 server on asyncio streams, so that it
can misbehave below HTTP (drop a connection mid-answer, lie in Content-Length, never answer); it
forwards what it does not sabotage to an in-process `ReferenceService`, so set-up can succeed
while the PATCH is attacked. Broken servers the zoo already has are taken from the zoo
(`face_conformance.zoo.VARIANTS`); running the CLI against them is `harness.py`'s.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from face_conformance.cases.wire import FACE_BASE, KEY_HEADER
from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService
from face_conformance.reference.service import Reject

MAX_REQUEST_BYTES = 1 << 20  # a request body the hostile server reads at most


# -- talking to a server directly ----------------------------------------------------------------


def api(base_url: str, key: str, timeout: float = 10.0) -> httpx.Client:
    """A plain httpx client for the Face API of a loopback server (set-up and checks by hand)."""
    return httpx.Client(base_url=base_url + FACE_BASE, headers={KEY_HEADER: key}, timeout=timeout, trust_env=False)


def list_group_ids(base_url: str, key: str) -> list[str]:
    """List Person Groups, through the API."""
    with api(base_url, key) as client:
        response = client.get("/persongroups")
        response.raise_for_status()
        return [g["personGroupId"] for g in response.json()]


def model_group_ids(service: ReferenceService) -> list[str]:
    """The groups the service holds, read from its model (no request sent, so none is logged)."""
    return [g.group_id for g in service.model.list_groups(None, 100_000)]


def conformance_groups(ids: list[str]) -> list[str]:
    return [g for g in ids if g.startswith("conformance-")]


# -- reference services --------------------------------------------------------------------------


class SlowReference(ReferenceService):
    """The reference, answering every request `delay` seconds late (for interrupts)."""

    def __init__(self, config: ReferenceConfig | None = None, delay: float = 0.1) -> None:
        super().__init__(config)
        self.delay = delay

    def handle(self, request: httpx.Request) -> httpx.Response:
        time.sleep(self.delay)
        return super().handle(request)


class StoresOnError(ReferenceService):
    """Broken: an update answered 400 (too long, wrong type) still stores its userData (x.no-change-on-error).

    Not a zoo variant: the zoo's `stores-before-size-check` and `stores-before-media-check` each store
    on one error only; this one stores on every 400 that carries a userData, so a bring-your-own run
    has the most to put back.
    """

    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        try:
            return super().update_face(request, group_id, person_id, face_id)
        except Reject as reject:
            if reject.response.status_code == 400:
                try:
                    value = json.loads(request.content).get("userData")
                except (ValueError, AttributeError):
                    value = None
                if value is not None:
                    self.resolve_face(group_id, person_id, face_id).face.user_data = str(value)
            raise


class Recording(ReferenceService):
    """The reference, keeping every request it gets: `seen` (method, raw path with query, body) in
    order of arrival, and `timed` the same with the arrival time and the status answered."""

    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(config)
        self.seen: list[tuple[str, str, bytes]] = []
        self.timed: list[tuple[float, str, str, bytes, int]] = []
        self._seen_lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        arrived = time.monotonic()
        request.read()
        what = (request.method, request.url.raw_path.decode("ascii", "replace"), request.content)
        with self._seen_lock:
            self.seen.append(what)
        response = super().handle(request)
        with self._seen_lock:
            self.timed.append((arrived, *what, response.status_code))
        return response


class UnsupportedFeature(ReferenceService):
    """A resource without Limited Access approval: every person-group call gets 403 UnsupportedFeature."""

    def dispatch(self, request: httpx.Request) -> httpx.Response:
        return self.json_response(403, {"error": {
            "code": "UnsupportedFeature",
            "message": "Feature is not supported, missing approval for one or more of the following features: "
                       "Identification,Verification. Please apply for access at https://aka.ms/facerecognition"}})


@contextmanager
def reference(config: ReferenceConfig | None = None, cls: type[ReferenceService] = ReferenceService,
              **kw: Any) -> Iterator[BackgroundServer]:
    """A reference (or a subclass) on uvicorn, on a free loopback port."""
    with BackgroundServer(cls(config or ReferenceConfig(), **kw)) as server:
        yield server


# -- the hostile server --------------------------------------------------------------------------


@dataclass
class RawRequest:
    """One HTTP/1.1 request as it arrived."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


Writer = asyncio.StreamWriter
# A behaviour writes (or withholds) an answer; it returns False when the connection must close.
Behaviour = Callable[[RawRequest, Writer, "HostileServer"], Awaitable[bool]]


def head(status: int, headers: list[tuple[str, str]], *, reason: str | None = None) -> bytes:
    """A status line and headers, ready to write."""
    phrase = reason if reason is not None else httpx.codes.get_reason_phrase(status)
    lines = [f"HTTP/1.1 {status} {phrase}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def answer(writer: Writer, status: int, body: bytes, content_type: str | None = None,
                 extra: list[tuple[str, str]] | None = None) -> bool:
    headers = [("Content-Length", str(len(body)))] + (extra or [])
    if content_type:
        headers.append(("Content-Type", content_type))
    writer.write(head(status, headers) + body)
    await writer.drain()
    return True


HTML_502 = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway"
            b"</h1></center><hr><center>nginx</center></body></html>\n")


async def html_502(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """A gateway's HTML error page."""
    return await answer(writer, 502, HTML_502, "text/html")


async def not_json(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """Claims JSON, sends something else (a 400, so it must be an error envelope)."""
    return await answer(writer, 400, b"<error>this is not {json</error>\x00\xff\xfe", "application/json")


async def huge_body(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """A 400 'JSON' body of `server.huge_bytes` bytes, written in 64 KiB chunks."""
    size = server.huge_bytes
    writer.write(head(400, [("Content-Type", "application/json"), ("Content-Length", str(size))]))
    chunk = b'{"error":{"code":"BadArgument","message":"' + b"A" * (65536 - 41)
    sent = 0
    try:
        while sent < size:
            piece = chunk[: size - sent]
            writer.write(piece)
            sent += len(piece)
            await writer.drain()
            chunk = b"A" * 65536
    except (ConnectionError, OSError):
        pass
    server.huge_sent.append(sent)
    return False  # the body is not valid JSON either way: never reuse the connection


async def close_mid_answer(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """Headers promise 1000 bytes, 20 arrive, then the connection closes."""
    writer.write(head(400, [("Content-Type", "application/json"), ("Content-Length", "1000")]))
    writer.write(b'{"error":{"code":"Bad')
    await writer.drain()
    return False


async def reset_connection(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """Read the request, then reset the connection (a TCP RST: SO_LINGER 0) without a byte of answer."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.resets += 1
    return False


def first_requests(count: int = 1) -> Callable[[RawRequest], bool]:
    """A `sabotage` predicate: true for the first `count` requests the server gets, false after."""
    seen = [0]

    def first(request: RawRequest) -> bool:
        seen[0] += 1
        return seen[0] <= count

    return first


async def never_answer(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """Read the request, then say nothing until the server stops."""
    server.hung += 1
    await server.stopping.wait()
    return False


async def length_too_long(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """Content-Length 4096, a short body, and the connection kept open: the reader waits for the rest."""
    body = b'{"error":{"code":"BadArgument","message":"short"}}'
    writer.write(head(400, [("Content-Type", "application/json"), ("Content-Length", "4096")]) + body)
    await writer.drain()
    await server.stopping.wait()
    return False


async def length_too_short(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """Content-Length 10 for a longer body, connection kept: the rest poisons the next answer."""
    body = b'{"error":{"code":"BadArgument","message":"The rest of this body is beyond Content-Length"}}'
    writer.write(head(400, [("Content-Type", "application/json"), ("Content-Length", "10")]) + body)
    await writer.drain()
    return True


async def trickle(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """A chunked 400 body arriving one byte every 0.2 s, for ever: no read ever times out."""
    writer.write(head(400, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]))
    try:
        while not server.stopping.is_set():
            writer.write(b"1\r\n \r\n")
            await writer.drain()
            await asyncio.sleep(0.2)
    except (ConnectionError, OSError):
        pass
    return False


async def echo_headers(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """A 400 whose body, a header and the reason phrase echo the request's headers (the key too)."""
    dump = {k: v for k, v in request.headers}
    body = json.dumps({"error": {"code": "BadArgument", "message": f"bad request; you sent {dump}",
                                 "headers": dump, "raw": "\r\n".join(f"{k}: {v}" for k, v in request.headers)}})
    key = request.header(KEY_HEADER) or ""
    extra = [("X-Echo-Key", key), ("Set-Cookie", f"session={key}"), ("WWW-Authenticate", f'Key realm="{key}"')]
    payload = body.encode()
    writer.write(head(400, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))] + extra,
                      reason=f"Bad key {key}") + payload)
    await writer.drain()
    return True


async def echo_quota(request: RawRequest, writer: Writer, server: HostileServer) -> bool:
    """A quota 403 in the page's shape whose message quotes the request's key."""
    key = request.header(KEY_HEADER) or ""
    body = json.dumps({"error": {"statusCode": 403, "message": f"Out of call volume quota for key {key}. "
                                 "Quota will be replenished in 2 days."}}).encode()
    return await answer(writer, 403, body, "application/json", [("X-Key-Seen", key)])


class HostileServer:
    """A raw HTTP/1.1 server on 127.0.0.1 in a daemon thread.

    Requests for which `sabotage(request)` is true get `behaviour`; the others go to `backend` (a
    ReferenceService, in process) when there is one, else get `behaviour` too.
    """

    def __init__(self, behaviour: Behaviour, *, backend: ReferenceService | None = None,
                 sabotage: Callable[[RawRequest], bool] | None = None, huge_bytes: int = 20 << 20) -> None:
        self.behaviour = behaviour
        self.backend = backend
        self.sabotage = sabotage or (lambda request: True)
        self.huge_bytes = huge_bytes
        self.huge_sent: list[int] = []
        self.hung = 0
        self.resets = 0
        self.connections = 0
        self.requests: list[RawRequest] = []
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="hostile-server", daemon=True)
        self.stopping: asyncio.Event
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        assert self.port is not None, "not started"
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HostileServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the hostile server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.stopping.set)
            self._thread.join(10)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self.stopping.wait()
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while not self.stopping.is_set():
                request = await self._read(reader)
                if request is None:
                    break
                self.requests.append(request)
                if self.backend is not None and not self.sabotage(request):
                    keep = await self._forward(request, writer)
                else:
                    keep = await self.behaviour(request, writer, self)
                if not keep:
                    break
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> RawRequest | None:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = raw.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0") or 0)
        body = await reader.readexactly(min(length, MAX_REQUEST_BYTES))
        return RawRequest(method, target, headers, body)  # type: ignore[arg-type]

    async def _forward(self, request: RawRequest, writer: Writer) -> bool:
        assert self.backend is not None
        url = httpx.URL(scheme="http", host="127.0.0.1", port=self.port,
                        raw_path=request.target.encode("ascii", "replace"))
        outgoing = httpx.Request(request.method, url, headers=request.headers, content=request.body)
        response = await asyncio.to_thread(self.backend.handle, outgoing)
        body = response.content
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
                   if k.lower() != b"content-length"]
        writer.write(head(response.status_code, headers + [("Content-Length", str(len(body)))]) + body)
        await writer.drain()
        return True


def is_patch(request: RawRequest) -> bool:
    return request.method == "PATCH"


@contextmanager
def hostile(behaviour: Behaviour, *, behind: ReferenceService | None = None, patch_only: bool = False,
            **kw: Any) -> Iterator[HostileServer]:
    """A hostile server; with `behind`, everything but (with `patch_only`) the PATCH reaches the reference."""
    server = HostileServer(behaviour, backend=behind, sabotage=is_patch if patch_only else None, **kw)
    with server:
        yield server
