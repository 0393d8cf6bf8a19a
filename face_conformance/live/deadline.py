"""A total deadline per request, below httpx: connect, send, status line, headers and body.

httpx's timeouts are per socket operation, so a server that drip-feeds its status line one byte
a second never trips them. The live transport's connections go through `DeadlineBackend`, whose
streams give every read and write at most the time left before the current request's deadline
(set by `FaceClient` around each request with `request_deadline`), and raise httpcore's timeout
once it has passed. httpx then reports an ordinary timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

_local = threading.local()


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread ends by `seconds` from now, until the block ends."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.deadline = previous


def _left(timeout: float | None, timeout_error: type[Exception]) -> float | None:
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise timeout_error("the request's total deadline passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes end by the current request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read, within the time left."""
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write, within the time left."""
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        """Close the connection."""
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        """TLS on top, still bounded by the deadline."""
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                    _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        """The inner stream's extra info (socket, TLS object, ...)."""
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """A network backend whose connections are `DeadlineStream`s."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        """A TCP connection, within the time left."""
        stream = self._inner.connect_tcp(host, port, _left(timeout, httpcore.ConnectTimeout), local_address,
                                         socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        """A Unix socket connection, within the time left."""
        return DeadlineStream(self._inner.connect_unix_socket(path, _left(timeout, httpcore.ConnectTimeout),
                                                              socket_options))

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's retry pauses)."""
        self._inner.sleep(seconds)


def _bound(transport: httpx.BaseTransport | None) -> None:
    pool = getattr(transport, "_pool", None)  # httpx 0.28 builds its httpcore pools without a backend argument
    backend = getattr(pool, "_network_backend", None)
    if backend is not None and not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]


def deadline_transport(**kwargs: Any) -> httpx.HTTPTransport:
    """An httpx.HTTPTransport whose connections honour `request_deadline`."""
    transport = httpx.HTTPTransport(**kwargs)
    _bound(transport)
    return transport


def apply_deadlines(client: httpx.Client) -> httpx.Client:
    """The client, with its own transport and every proxy transport it mounted honouring `request_deadline`.

    (A transport passed to httpx.Client makes it ignore the environment's proxies: so the client
    builds its transports, and they are bounded afterwards.)
    """
    _bound(client._transport)
    for transport in client._mounts.values():
        _bound(transport)
    return client
