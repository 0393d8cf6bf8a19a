"""Evidence: what was sent and what came back, redacted, excerpted and reproducible with curl."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from face_conformance.evidence.record import EvidenceRecord
from face_conformance.evidence.redaction import BODY_EXCERPT_CHARS, excerpt, hide_secrets, redact_headers


class _Headers:
    """Case-insensitive header lookup, shared by what was sent and what came back."""

    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """The value of a header (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass(frozen=True)
class SentRequest(_Headers):
    """A request as the suite sent it; the key is never stored, only whether it was valid."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


@dataclass(frozen=True)
class Answer(_Headers):
    """A response as it came back: status, headers and at most a bounded prefix of the body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool = False
    elapsed_s: float = 0.0

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON (never raises)."""
        if self.truncated or not self.body:
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None

    def error_field(self, name: str) -> Any:
        """`error.<name>` of a JSON error body, or None."""
        data = self.json()
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            return data["error"].get(name)
        return None


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, or the transport error that stood in for an answer."""

    request: SentRequest
    answer: Answer | None
    error: str | None = None
    notes: tuple[str, ...] = field(default=())
    #: Its index among the run's requests: the entry of `exchanges.har` that holds it.
    entry: int | None = None

    @property
    def status(self) -> int | None:
        """The HTTP status, or None when no answer came."""
        return self.answer.status if self.answer else None

    def describe_answer(self) -> str:
        """A one-line account of what came back, for failure messages."""
        if self.answer is None:
            return f"no answer ({self.error})"
        code = self.answer.error_field("code")
        text = f"HTTP {self.answer.status}"
        if code is not None:
            text += f" code {hide_secrets(repr(code))}"
        elif self.answer.body:
            text += f" body {excerpt(self.answer.body, 120).marked()!r}"
        else:
            text += " with an empty body"
        return text

    def curl(self) -> str:
        """A curl command that reproduces the request, with the key shown as ***."""
        return curl_line(self.request)

    def to_dict(self, verdict: str = "info", note: str = "") -> EvidenceRecord:
        """The JSON evidence record of docs/contract.md, key redacted, bodies excerpted."""
        return {
            "verdict": verdict,
            "note": note,
            "request": {
                "method": self.request.method,
                "url": self.request.url,
                "headers": redact_headers(self.request.headers),
                "body": excerpt(self.request.body).marked(),
            },
            "response": None if self.answer is None else {
                "status": self.answer.status,
                "headers": redact_headers(self.answer.headers),
                "body": excerpt(self.answer.body).marked(),
                "truncated": self.answer.truncated or len(self.answer.body) > BODY_EXCERPT_CHARS,
            },
            "error": self.error,
            "curl": self.curl(),
            **({"entry": self.entry} if self.entry is not None else {}),
        }


def curl_line(request: SentRequest) -> str:
    """A curl command for a sent request, with credentials as ***."""
    parts = ["curl", "-i", "-X", request.method, shlex.quote(request.url)]
    for key, value in redact_headers(request.headers).items():
        if key.lower() in {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}:
            continue
        parts += ["-H", shlex.quote(f"{key}: {value}")]
    if request.body:
        parts += ["--data-binary", shlex.quote(excerpt(request.body, 4096).marked())]
    return " ".join(parts)

