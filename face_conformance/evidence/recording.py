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
from dataclasses import dataclass, field, fields, replace
from typing import Any

from face_conformance.cases import nearmiss
from face_conformance.cases.probes import Probe
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


# -- a probe as data (a step of the recording) -------------------------------------------------

def encode_arg(value: Any) -> Any:
    """A step argument as JSON: a probe as its fields, bodies as text or base64."""
    return probe_record(value) if isinstance(value, Probe) else value


#: A probe's `key` is recorded as `key_sent`: reports mask every field named like a credential.
RECORDED_NAMES = {"key": "key_sent"}


def probe_record(probe: Probe) -> dict[str, Any]:
    """A probe's fields as JSON."""
    out: dict[str, Any] = {}
    for f in fields(Probe):
        value = getattr(probe, f.name)
        if f.name == "body":
            value = body_record(value)
        elif isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        out[RECORDED_NAMES.get(f.name, f.name)] = value
    return out


def probe_from_record(record: Any) -> Probe:
    """The probe a record describes; ValueError naming what is wrong with it."""
    if not isinstance(record, dict):
        raise ValueError("a probe is not an object")
    names = {RECORDED_NAMES.get(f.name, f.name) for f in fields(Probe)}
    unknown = set(record) - names
    if unknown:
        raise ValueError(f"a probe has unknown field(s) {', '.join(sorted(unknown))}")
    kw: dict[str, Any] = {}
    for name in ("label", "group", "person", "face", "key"):
        recorded = RECORDED_NAMES.get(name, name)
        if not isinstance(record.get(recorded), str):
            raise ValueError(f"a probe's {recorded!r} is not a string")
        kw[name] = record[recorded]
    kw["body"] = body_bytes(record.get("body"))
    for name in ("content_type", "force", "framing", "header_case"):
        if record.get(name) is not None and not isinstance(record[name], str):
            raise ValueError(f"a probe's {name!r} is not a string")
        kw[name] = record.get(name)
    _check_key(kw["key"])
    rows = record.get("rows", [])
    if not isinstance(rows, list) or not all(isinstance(r, str) for r in rows):
        raise ValueError("a probe's 'rows' is not a list of strings")
    headers = record.get("extra_headers", [])
    if not isinstance(headers, list) or not all(
            isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers):
        raise ValueError("a probe's 'extra_headers' is not a list of [name, value] pairs")
    query = record.get("query", [])
    if not isinstance(query, list) or not all(
            isinstance(q, list) and len(q) == 2 and all(isinstance(x, str) for x in q) for q in query):
        raise ValueError("a probe's 'query' is not a list of [name, value] pairs")
    return Probe(**kw, rows=tuple(rows), extra_headers=tuple((h[0], h[1]) for h in headers),
                 generated=bool(record.get("generated", False)), query=tuple((q[0], q[1]) for q in query))


def _check_key(key: str) -> None:
    """A key descriptor the client can send: valid, wrong, missing, or a near miss by a known rule."""
    if key in ("valid", "wrong", "missing", "empty"):
        return
    if key.startswith(nearmiss.NEAR_KEY):
        try:
            nearmiss.derive("key", key[len(nearmiss.NEAR_KEY):], "0123456789abcdef" * 8)  # as long as any key
            return
        except (nearmiss.UnknownRule, ValueError, IndexError):
            pass
    raise ValueError(f"a probe's key {key!r} is none the suite sends (valid, wrong, missing, empty, near:RULE)")
