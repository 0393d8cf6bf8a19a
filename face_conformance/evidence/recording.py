"""The run as it happened: every request in the order sent, and the runner step each one served.

The client adds an `Entry` for every request it sends (set-up, probes, read-backs, the 429s
waited out, teardown); the runner opens a step for each call the suite makes of it (`run`,
`recover_after`, `concurrent_writes`, ...), with that call's arguments. `har` writes both into
`exchanges.har`, and `replay` re-drives the same steps against the recorded answers.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from face_conformance.evidence.exchange import Exchange

#: Bytes of a body kept in the recording: enough for any answer a judgement reads, bounded
#: however big a hostile server's answers are (the original size is kept beside it).
RECORDED_BODY_BYTES = 64 * 1024

@dataclass(frozen=True)
class Entry:
    """One request as sent and what came back, with what it was for."""

    exchange: Exchange
    purpose: str  # the client's tag: setup, read-back, teardown, or the row a probe aims at
    key: str  # what the request carried: valid, missing, wrong, or near:RULE
    started: float  # wall-clock seconds since the epoch
    step: int
    request_size: int
    answer_size: int | None


@dataclass
class Recording:
    """The run's steps and entries, filled from every thread."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _depth: int = 0

    @contextmanager
    def step(self, call: str, args: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
        """Open a step for a call the suite made; calls the runner makes of itself stay inside it."""
        with self._lock:
            self._depth += 1
            record = None
            if self._depth == 1:
                record = {"call": call, **args}
                self.steps.append(record)
        try:
            yield record
        finally:
            with self._lock:
                self._depth -= 1

    def add(self, exchange: Exchange, *, purpose: str, key: str, started: float) -> None:
        """Record one exchange (its bodies bounded to RECORDED_BODY_BYTES)."""
        answer = exchange.answer
        entry = Entry(
            exchange=_bounded(exchange), purpose=purpose, key=key, started=started,
            step=len(self.steps) - 1, request_size=len(exchange.request.body),
            answer_size=None if answer is None else len(answer.body),
        )
        with self._lock:
            self.entries.append(entry)

    def in_order(self) -> list[Entry]:
        """The entries in the order their requests were sent."""
        with self._lock:
            return sorted(self.entries, key=lambda e: (e.exchange.entry is None, e.exchange.entry or 0))


def _bounded(exchange: Exchange) -> Exchange:
    request, answer = exchange.request, exchange.answer
    if len(request.body) > RECORDED_BODY_BYTES:
        request = replace(request, body=request.body[:RECORDED_BODY_BYTES])
    if answer is not None and len(answer.body) > RECORDED_BODY_BYTES:
        answer = replace(answer, body=answer.body[:RECORDED_BODY_BYTES], truncated=True)
    if request is exchange.request and answer is exchange.answer:
        return exchange
    return replace(exchange, request=request, answer=answer)


# -- bodies as data ------------------------------------------------------------------------

def body_record(body: bytes | None) -> dict[str, str] | None:
    """Bytes as HAR holds a body: {"text"} when UTF-8, else {"text", "encoding": "base64"}."""
    if body is None:
        return None
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def body_bytes(record: Any) -> bytes | None:
    """The bytes a body record holds (the inverse of `body_record`); ValueError saying what is wrong."""
    if record is None:
        return None
    if not isinstance(record, dict):
        raise ValueError("a body is not an object")
    text = record.get("text", "")
    if not isinstance(text, str):
        raise ValueError("a body's text is not a string")
    if record.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            raise ValueError("a base64 body does not decode") from None
    return text.encode("utf-8", "surrogatepass")


def wall_clock() -> float:
    """Seconds since the epoch (for the HAR's startedDateTime)."""
    return time.time()
