"""Evidence: what was sent and what came back, redacted, excerpted and reproducible with curl."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

KEY_HEADER = "Ocp-Apim-Subscription-Key"
REDACTED = "***"
BODY_EXCERPT_CHARS = 2000
# Headers whose values may carry credentials, whatever the server or a proxy calls them.
SECRET_HEADERS = frozenset({KEY_HEADER.lower(), "authorization", "proxy-authorization", "cookie", "set-cookie"})


@dataclass(frozen=True)
class SentRequest:
    """A request as the suite sent it; the key is never stored, only whether it was valid."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The value of a header (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass(frozen=True)
class Answer:
    """A response as it came back: status, headers and at most a bounded prefix of the body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool = False
    elapsed_s: float = 0.0

    def header(self, name: str) -> str | None:
        """The value of a header (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

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
            text += f" body {excerpt(self.answer.body, 120)!r}"
        else:
            text += " with an empty body"
        return text

    def curl(self) -> str:
        """A curl command that reproduces the request, with the key shown as ***."""
        return curl_line(self.request)

    def to_dict(self, verdict: str = "info", note: str = "") -> dict[str, Any]:
        """The JSON evidence record of CONTRACT.md, key redacted, bodies excerpted."""
        return {
            "verdict": verdict,
            "note": note,
            "request": {
                "method": self.request.method,
                "url": self.request.url,
                "headers": redact_headers(self.request.headers),
                "body": excerpt(self.request.body),
            },
            "response": None if self.answer is None else {
                "status": self.answer.status,
                "headers": redact_headers(self.answer.headers),
                "body": excerpt(self.answer.body),
                "truncated": self.answer.truncated or len(self.answer.body) > BODY_EXCERPT_CHARS,
            },
            "error": self.error,
            "curl": self.curl(),
        }


def redact_headers(headers: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict with every credential-bearing value replaced by ***."""
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else hide_secrets(v)) for k, v in headers}


_SECRETS: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Never render this value: every excerpt, header and message shows *** in its place."""
    if secret and len(secret) >= 3:  # shorter is no secret, and masking it would garble every text
        _SECRETS.add(secret)


def hide_secrets(text: str) -> str:
    """Text with every registered secret replaced by ***."""
    # Longest first: a near-miss key (a prefix of the real one) must not eat the real key's start
    # and leave its tail showing.
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def excerpt(body: bytes, limit: int = BODY_EXCERPT_CHARS) -> str:
    """A body as text (secrets hidden), cut to `limit` characters with a marker saying how much was cut."""
    text = hide_secrets(body.decode("utf-8", errors="replace"))
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters cut]"


def curl_line(request: SentRequest) -> str:
    """A curl command for a sent request, with credentials as ***."""
    parts = ["curl", "-i", "-X", request.method, shlex.quote(request.url)]
    for key, value in redact_headers(request.headers).items():
        if key.lower() in {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}:
            continue
        parts += ["-H", shlex.quote(f"{key}: {value}")]
    if request.body:
        parts += ["--data-binary", shlex.quote(excerpt(request.body, 4096))]
    return " ".join(parts)


def scrub(text: str, secret: str | None) -> str:
    """Text with the secret (and every registered one) replaced by *** (exception messages, logs)."""
    if secret:
        text = text.replace(secret, REDACTED)
    return hide_secrets(text)
