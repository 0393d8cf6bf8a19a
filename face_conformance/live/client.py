"""The suite's HTTP client: paced, bounded, redacting, and a good citizen on 429 and 403.

Every request of the suite, probes and supporting calls alike, goes through `FaceClient.send`.
It never raises for what a server does: a timeout, a dropped connection or a huge body becomes
an `Exchange` with its evidence. It raises only `Inconclusive`, for a quota or access answer that
ends the run (docs/contract.md point 9), and the caller's own bugs.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import replace

import httpx

from face_conformance.cases import nearmiss
from face_conformance.cases.wire import KEY_HEADER
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest
from face_conformance.evidence.recording import Recording, wall_clock
from face_conformance.evidence.redaction import REDACTED, hide_secrets, register_secret
from face_conformance.live.deadline import request_deadline
from face_conformance.live.pacing import PacerChain

MAX_BODY_BYTES = 1 << 20  # keep at most 1 MiB of any answer: evidence, not an archive
MAX_429_RETRIES = 6
MAX_429_WAIT_S = 90.0
WRONG_KEY = "00000000000000000000000000000000"
#: A derived key this short is no secret worth masking (a real key's first half is 16 characters):
#: masking it would garble innocent text, as a 6-letter half of the mock key would.
MIN_DERIVED_SECRET = 8


#: A server counts as unresponsive once it left this many requests in a row without an answer
#: (whatever their kind), or this many of the last SILENT_WINDOW requests of one kind of call.
MAX_SILENT_IN_A_ROW = 3
#: How many of the latest requests of one kind (the updates, or the supporting calls) are looked back on.
SILENT_WINDOW = 10
#: A transport that answers from a recording names, in the request's extensions, the recorded
#: entry it answered with: a replayed exchange keeps the number it had in the recording.
RECORDED_ENTRY = "face_conformance.entry"


class NotRecorded(httpx.TransportError):
    """Raised by a transport that answers from a recording, for a request the recording has no answer to.

    The exchange says so; it is not the server falling silent (it neither counts towards
    Unresponsive nor is retried): a replayed run whose recording was edited takes another path.
    """


NOT_RECORDED = "not in the recording"


class Inconclusive(Exception):
    """The run cannot reach a verdict (quota, no access, unreachable): exit status 3."""

    kind = "inconclusive"

    def __init__(self, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.exchange = exchange


class Unresponsive(Inconclusive):
    """The server stopped answering: the run ends; rows failed so far still count."""

    kind = "unresponsive"


def call_kind(method: str) -> str:
    """The kind of call a request is, for counting silence: the update under test, or a supporting call."""
    return "PATCH" if method.upper() == "PATCH" else "supporting"


_KIND_WORDS = {"PATCH": "PATCH requests", "supporting": "supporting calls"}


class Silence:
    """The requests a server left without an answer, counted two ways (pure bookkeeping, no I/O).

    - In a row, whatever their kind: a server gone quiet altogether is given up on after
      MAX_SILENT_IN_A_ROW requests.
    - Per kind of call (`call_kind`: the PATCH updates, the supporting calls), among the last
      SILENT_WINDOW requests of that kind; an answer to the other kind resets nothing. A server
      whose every PATCH stalls while its Get Face read-backs answer is given up on at its
      MAX_SILENT_IN_A_ROW-th stall (the read-backs between the stalls would reset a count in a
      row), and so is one that stalls on a few of every SILENT_WINDOW updates (on each error answer,
      say). One slow answer among many, or two among SILENT_WINDOW of a kind, stops nothing.

    `record` returns why the server counts as unresponsive, or None while it does not.
    """

    def __init__(self, limit: int = MAX_SILENT_IN_A_ROW, window: int = SILENT_WINDOW) -> None:
        self.limit = limit
        self.in_a_row = 0
        self.window = window
        self.recent: dict[str, deque[bool]] = {}  # per kind: answered (False) or not (True), latest last

    def record(self, method: str, silent: bool, what: str = "") -> str | None:
        """Count one request (`silent`: it got no whole answer); `what` is its error, quoted in the reason."""
        kind = call_kind(method)
        recent = self.recent.setdefault(kind, deque(maxlen=self.window))
        recent.append(silent)
        self.in_a_row = self.in_a_row + 1 if silent else 0
        last = f" (last: {what})" if what else ""
        if self.in_a_row >= self.limit:
            return f"the server did not answer {self.in_a_row} requests in a row{last}"
        unanswered = sum(recent)
        if unanswered >= self.limit:
            return f"the server did not answer {unanswered} of its last {len(recent)} {_KIND_WORDS[kind]}{last}"
        return None

    def reset(self) -> None:
        """Forget every count (the teardown starts afresh)."""
        self.in_a_row = 0
        self.recent.clear()


def near_key(real: str, kind: str) -> str:
    """The key a "near:RULE" probe carries; registered as a secret, since it shows most of the real key."""
    derived = nearmiss.derive("key", kind[len(nearmiss.NEAR_KEY):], real)
    if len(derived) >= MIN_DERIVED_SECRET:
        register_secret(derived)
    return derived


#: Hints a probe gives the client about how to put the request on the wire (docs/contract.md point 15:
#: neither may change the answer); they are taken out of the headers, never sent. FRAMING_HEADER
#: "chunked" sends the body with chunked transfer coding instead of Content-Length; CASE_HEADER
#: "lower" or "upper" spells every header name in that case, the key header's too.
FRAMING_HEADER = "X-Face-Conformance-Framing"
CASE_HEADER = "X-Face-Conformance-Header-Case"


def framed(body: bytes | None, headers: dict[str, str] | None) -> bytes | Iterator[bytes] | None:
    """The body as httpx should send it: bytes (Content-Length), or an iterator (chunked) when asked."""
    if body is not None and (headers or {}).get(FRAMING_HEADER) == "chunked":
        return iter([body[: len(body) // 2], body[len(body) // 2:]])
    return body


def retry_delay(exchange: Exchange, attempt: int) -> float:
    """How long to wait after a 429: Retry-After, else the seconds in the message, else back-off."""
    answer = exchange.answer
    assert answer is not None
    header = answer.header("Retry-After")
    if header and header.strip().isdigit():
        return min(float(header.strip()), MAX_429_WAIT_S)
    message = answer.error_field("message")
    if isinstance(message, str):
        found = re.search(r"(\d+(?:\.\d+)?)\s*second", message)
        if found:
            return min(float(found.group(1)), MAX_429_WAIT_S)
    return min(2.0 ** attempt, MAX_429_WAIT_S)


def ends_the_run(exchange: Exchange) -> str | None:
    """Why a 403 answer ends the run as inconclusive, or None when it is judged like any answer."""
    answer = exchange.answer
    if answer is None or answer.status != 403:
        return None
    code = answer.error_field("code")
    message = hide_secrets(str(answer.error_field("message") or ""))
    if answer.error_field("statusCode") in (403, "403") or code == "QuotaExceeded":
        return f"the call volume quota is used up (403: {message})"
    if code == "UnsupportedFeature":
        return (
            "the resource has no access to person groups (403 UnsupportedFeature): Face identification "
            f"features need Limited Access approval for this resource ({message})"
        )
    return None


class FaceClient:
    """Sends requests through the target's httpx client and turns every outcome into an Exchange."""

    def __init__(
        self,
        client: httpx.Client,
        key: str,
        *,
        pacer: PacerChain | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        run_deadline: float | None = None,
        recording: Recording | None = None,
    ) -> None:
        self._client = client
        self.recording = recording if recording is not None else Recording()
        self._key = key
        register_secret(key)
        self._pacer = pacer or PacerChain([])
        self._timeout = timeout
        self._met: list[Exchange] = []  # 429s waited out and 403s, until the runner takes them
        self._sleep = sleep
        self._lock = threading.Lock()
        self.sent = 0
        self.sent_by_tag: Counter[str] = Counter()
        self.silence = Silence()
        self.halted: Inconclusive | None = None
        self._run_deadline = run_deadline
        self._ends = None if run_deadline is None else time.monotonic() + run_deadline

    def reopen(self) -> None:
        """Allow requests again after a halt (for teardown: what was created must still be deleted)."""
        self.halted = None
        self.silence.reset()
        self._ends = None  # teardown's few calls, each bounded by --timeout, must still go out

    @property
    def silent_in_a_row(self) -> int:
        """Requests in a row, of any kind, that the server left without an answer."""
        return self.silence.in_a_row

    def _halt(self, exc: Inconclusive) -> Inconclusive:
        # Once halted, every further send fails at once: no request is wasted on a server
        # that is out of quota or not answering (Hypothesis would otherwise replay and shrink).
        self.halted = exc
        return exc

    def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        key: str = "valid",
        tag: str = "setup",
        forced_403: bool = False,
    ) -> Exchange:
        """Send one request, repeating it after 429s; return the final exchange.

        `key` is "valid", "wrong" or "missing". A quota or access 403 raises Inconclusive unless the
        suite forced it on purpose (`forced_403`).
        """
        if self.halted is not None:
            raise self.halted
        if self._ends is not None and time.monotonic() >= self._ends:
            raise self._halt(Unresponsive(f"the run's deadline of {self._run_deadline:g} s passed "
                                          "(--run-deadline); the rows not reached are not observed"))
        exchange = self._send_once(method, path, headers, body, key, tag)
        for attempt in range(MAX_429_RETRIES):
            if exchange.status != 429:
                break
            self._meet(exchange)
            self._sleep(retry_delay(exchange, attempt))
            exchange = self._send_once(method, path, headers, body, key, tag)
        if exchange.status == 403:
            self._meet(exchange)
            reason = ends_the_run(exchange)
            if reason and not forced_403:
                raise self._halt(Inconclusive(reason, exchange))
        self._count_silence(method, exchange)
        return exchange

    def _meet(self, exchange: Exchange) -> None:
        with self._lock:
            self._met.append(exchange)

    def take_met(self) -> list[Exchange]:
        """The 429s waited out and the 403s met since the last call, in the order met (the caller judges them)."""
        with self._lock:
            met, self._met = self._met, []
        return met

    def _count_silence(self, method: str, exchange: Exchange) -> None:
        with self._lock:
            # No answer, or one that broke off or stalled mid-body: either way the server is not talking.
            if (exchange.error or "").startswith(NOT_RECORDED):
                return
            reason = self.silence.record(method, exchange.error is not None, exchange.error or "")
        if reason is not None:
            raise self._halt(Unresponsive(reason, exchange))

    def _headers(self, headers: dict[str, str] | None, key: str) -> dict[str, str]:
        out = dict(headers or {})
        out.pop(FRAMING_HEADER, None)
        case = out.pop(CASE_HEADER, None)
        out = self._with_key(out, key)
        if case in ("lower", "upper"):
            out = {getattr(k, case)(): v for k, v in out.items()}
        return out

    def _with_key(self, out: dict[str, str], key: str) -> dict[str, str]:
        if key == "valid":
            out[KEY_HEADER] = self._key
        elif key == "wrong":
            out[KEY_HEADER] = WRONG_KEY
        elif key == "empty":
            out[KEY_HEADER] = ""
        elif key.startswith(nearmiss.NEAR_KEY):
            out[KEY_HEADER] = near_key(self._key, key)
        return out

    def _send_once(
        self, method: str, path: str, headers: dict[str, str] | None, body: bytes | None, key: str, tag: str
    ) -> Exchange:
        self._pacer.acquire()
        try:
            with self._lock:
                number = self.sent
                self.sent += 1
                self.sent_by_tag[tag] += 1
            started = wall_clock()
            request = self._client.build_request(method, path, headers=self._headers(headers, key),
                                                 content=framed(body, headers))
            sent = SentRequest(
                method=method,
                url=hide_secrets(str(request.url), self._key),
                headers=tuple((k, REDACTED if k.lower() == KEY_HEADER.lower() else hide_secrets(v, self._key))
                              for k, v in request.headers.items()),
                body=body or b"",
            )
            with request_deadline(self._timeout):
                exchange = self._exchange(request, sent)
            exchange = replace(exchange, entry=request.extensions.get(RECORDED_ENTRY, number))
            self.recording.add(exchange, purpose=tag, key=key, started=started)
            return exchange
        finally:
            # The request counts against the rate from its answer on: it arrived before that.
            self._pacer.release()

    def _exchange(self, request: httpx.Request, sent: SentRequest) -> Exchange:
        started = time.monotonic()
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            return Exchange(sent, None, f"no answer within {self._timeout:g} s (timeout)")
        except httpx.HTTPError as exc:
            return Exchange(sent, None, self._describe(exc))
        try:
            body, truncated, error = self._read_bounded(response, started)
        finally:
            response.close()
        answer = Answer(
            status=response.status_code,
            headers=tuple((k, hide_secrets(v, self._key)) for k, v in response.headers.items()),
            # A server may echo the request (key header included) in its body: evidence keeps ***.
            body=body,  # judged as sent; every rendering of it hides the key (redaction.excerpt)
            truncated=truncated,
            elapsed_s=time.monotonic() - started,
        )
        return Exchange(sent, answer, error)

    def _read_bounded(self, response: httpx.Response, started: float) -> tuple[bytes, bool, str | None]:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    return b"".join(chunks)[:MAX_BODY_BYTES], True, None
                if time.monotonic() - started > self._timeout:
                    return b"".join(chunks), True, f"answer still arriving after {self._timeout:g} s (timeout)"
        except httpx.TimeoutException:
            return b"".join(chunks), True, f"answer body stalled for {self._timeout:g} s (timeout)"
        except httpx.HTTPError as exc:
            return b"".join(chunks), True, self._describe(exc)
        return b"".join(chunks), False, None

    def _describe(self, exc: Exception) -> str:
        kind = {
            NotRecorded: NOT_RECORDED,
            httpx.ConnectError: "cannot connect",
            httpx.RemoteProtocolError: "connection closed or broken mid-answer",
            httpx.ReadError: "connection broken while reading",
            httpx.WriteError: "connection broken while sending",
        }.get(type(exc), type(exc).__name__)
        detail = hide_secrets(str(exc), self._key) or "no detail"
        return f"{kind}: {detail}"
