"""Helpers for the live-mode tests: loopback servers (reference, slow, hostile) and CLI subprocesses.

Every server here binds 127.0.0.1 on a free port, runs in a daemon thread of the test process and
is stopped by its fixture. `HostileServer` is a raw HTTP/1.1 server on asyncio streams, so that it
can misbehave below HTTP (drop a connection mid-answer, lie in Content-Length, never answer); it
forwards what it does not sabotage to an in-process `ReferenceService`, so set-up can succeed
while the PATCH is attacked.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService
from face_conformance.reference.service import Reject

CLI = str(Path(sys.executable).with_name("face-conformance"))
REPORT_FILES = ("conformance.json", "junit.xml", "report.html", "summary.md")
FACE = "/face/v1.0"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
MAX_REQUEST_BYTES = 1 << 20  # a request body the hostile server reads at most


# -- the CLI as a subprocess -----------------------------------------------------------------------


@dataclass
class Run:
    """One finished `face-conformance` process."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    report_dir: Path | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def report(self) -> dict[str, Any]:
        """conformance.json of the run."""
        assert self.report_dir is not None
        return json.loads((self.report_dir / "conformance.json").read_text(encoding="utf-8"))

    def rows(self) -> dict[str, dict[str, Any]]:
        return {row["id"]: row for row in self.report["rows"]}

    def outcome(self, row_id: str) -> str:
        return self.rows()[row_id]["outcome"]

    def describe(self) -> str:
        """What a failed assertion shows: the command, exit status and the output's tail."""
        return (f"$ {' '.join(self.args)}\nexit {self.returncode} after {self.elapsed:.1f} s\n"
                f"--- stdout (tail)\n{self.stdout[-3000:]}\n--- stderr (tail)\n{self.stderr[-3000:]}")


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: no FACE_* from the caller, no colour, no CI step summary."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FACE_", "GITHUB_", "PYTEST_")) and k not in ("CI", "NO_PROXY", "no_proxy")}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1",
                # loopback must never go through a proxy the environment names
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    env.update(extra or {})
    return env


def start_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `face-conformance ARGS` in its own process group; output goes to pipes."""
    return subprocess.Popen([CLI, *args], cwd=cwd, env=cli_env(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                            start_new_session=True)


def finish(proc: subprocess.Popen[str], args: list[str], started: float, timeout: float,
           report_dir: Path | None) -> Run:
    """Wait for a started CLI process (killing its group after `timeout` s) and collect it."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"face-conformance {' '.join(args)} did not end within {timeout} s\n"
                             f"stdout: {out[-2000:]}\nstderr: {err[-2000:]}") from None
    return Run([CLI, *args], proc.returncode, out, err, time.monotonic() - started, report_dir)


def run_cli(*args: str, cwd: Path, timeout: float = 120.0, env: dict[str, str] | None = None) -> Run:
    """Run `face-conformance ARGS` to its end."""
    report_dir = _report_dir(args, cwd)
    started = time.monotonic()
    return finish(start_cli(*args, cwd=cwd, env=env), list(args), started, timeout, report_dir)


def run_many(jobs: dict[str, list[str]], *, cwd: Path, timeout: float = 150.0, parallel: int = 3
             ) -> dict[str, Any]:
    """Run several CLI invocations in the order given, at most `parallel` at a time (2 cores here).

    A job that fails (does not finish in time, cannot start) leaves its exception in place of its
    Run, re-raised by `get`, so that one bad job does not hide the others' results.
    """
    queue = list(jobs.items())
    lock = threading.Lock()
    results: dict[str, Any] = {}

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                name, args = queue.pop(0)
            try:
                results[name] = run_cli(*args, cwd=cwd, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - handed back to the test through get()
                results[name] = exc

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def get(results: dict[str, Any], name: str) -> Run:
    """One job's Run from `run_many`, raising its failure if it had one."""
    result = results[name]
    if isinstance(result, BaseException):
        raise result
    return result


def _report_dir(args: tuple[str, ...] | list[str], cwd: Path) -> Path | None:
    args = list(args)
    if "--report-dir" in args:
        path = Path(args[args.index("--report-dir") + 1])
        return path if path.is_absolute() else cwd / path
    return None


def live_args(base_url: str, key: str, report_dir: Path, *extra: str, profile: str = "smoke") -> list[str]:
    """`run` arguments for a live run against a loopback server."""
    return ["run", "--endpoint", base_url, "--key", key, "--report-dir", str(report_dir), "--profile", profile,
            *extra]


# -- talking to a server directly ----------------------------------------------------------------


def api(base_url: str, key: str, timeout: float = 10.0) -> httpx.Client:
    """A plain httpx client for the Face API of a loopback server (set-up and checks by hand)."""
    return httpx.Client(base_url=base_url + FACE, headers={KEY_HEADER: key}, timeout=timeout, trust_env=False)


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
    """Broken: an update answered 400 (too long, wrong type) still stores its userData (x.no-change-on-error)."""

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


class TrimsUserData(ReferenceService):
    """Broken: stored userData loses its leading and trailing whitespace (x.read-after-write)."""

    def store_user_data(self, face: Any, value: str | None) -> None:
        super().store_user_data(face, value.strip() if isinstance(value, str) else value)


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


class OkWithBody(ReferenceService):
    """Broken: a successful update answers 200 with a JSON body (the page says: empty)."""

    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        response = super().update_face(request, group_id, person_id, face_id)
        if response.status_code == 200:
            return self.json_response(200, {"status": "updated"})
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


# -- checks shared by the test modules -----------------------------------------------------------

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*File \".*\", line \d+", re.MULTILINE)


def assert_no_traceback(run: Run) -> None:
    assert not TRACEBACK.search(run.output), f"a traceback reached the output\n{run.describe()}"


def assert_reports_written(run: Run, max_json_bytes: int = 2 << 20) -> dict[str, Any]:
    """Every report file exists and is non-empty; conformance.json parses and stays small."""
    assert run.report_dir is not None
    for name in REPORT_FILES:
        path = run.report_dir / name
        assert path.is_file() and path.stat().st_size > 0, f"{name} missing or empty\n{run.describe()}"
    size = (run.report_dir / "conformance.json").stat().st_size
    assert size < max_json_bytes, f"conformance.json is {size} bytes\n{run.describe()}"
    report = run.report
    assert {r["id"] for r in report["rows"]} and len(report["rows"]) == report.get("row_count", len(report["rows"]))
    return report


@dataclass
class Leak:
    """Where a secret was found."""

    where: str
    offset: int
    context: bytes = field(repr=True, default=b"")


def find_secret(secret: str, run: Run | None, root: Path | None = None) -> list[Leak]:
    """Every occurrence of `secret` in the run's output, in every byte of its report directory, and
    in every file under `root` (say, the run's working directory)."""
    needle = secret.encode()
    leaks = []
    blobs: list[tuple[str, bytes]] = []
    dirs = [root] if root is not None else []
    if run is not None:
        blobs += [("stdout", run.stdout.encode()), ("stderr", run.stderr.encode())]
        dirs.append(run.report_dir)
    for folder in dirs:
        if folder is not None and folder.exists():
            blobs += [(str(p), p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()]
    for where, blob in blobs:
        start = 0
        while (found := blob.find(needle, start)) >= 0:
            leaks.append(Leak(where, found, blob[max(0, found - 80): found + len(needle) + 40]))
            start = found + 1
    return leaks
