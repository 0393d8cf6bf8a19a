"""The reference service as a real HTTP server (uvicorn), blocking or in a background thread.

uvicorn binds the socket itself: a socket bound by hand without `IPPROTO_TCP` loses
TCP_NODELAY on loopback, and every answer with a body then stalls about 40 ms.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from face_conformance.reference.asgi import asgi_app
from face_conformance.reference.service import ReferenceService

STARTUP_TIMEOUT_S = 10.0


def _config(
    service: ReferenceService, host: str, port: int, log_level: str, access_log: bool
) -> uvicorn.Config:
    return uvicorn.Config(
        asgi_app(service),
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )


def serve(host: str, port: int, service: ReferenceService, *, log_level: str = "info") -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM); blocks."""
    uvicorn.Server(_config(service, host, port, log_level, access_log=True)).run()


class BackgroundServer:
    """uvicorn on 127.0.0.1 in a daemon thread, for tests: `with BackgroundServer() as srv: srv.base_url`."""

    def __init__(
        self, service: ReferenceService | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.service = service or ReferenceService()
        self.host = host
        self._server = uvicorn.Server(_config(self.service, host, port, "warning", access_log=False))
        self._thread = threading.Thread(target=self._server.run, name="reference-server", daemon=True)
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`, with the port uvicorn really bound."""
        if self.port is None:
            raise RuntimeError("the server is not running")
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        """Start serving; returns once the socket listens."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the reference server failed to start on {self.host}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the reference server did not start within {STARTUP_TIMEOUT_S} s")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=STARTUP_TIMEOUT_S)
        self.port = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
