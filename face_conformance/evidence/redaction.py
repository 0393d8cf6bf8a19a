"""Redaction: the one place that decides what a key looks like and how it is hidden.

Every text the suite shows or writes (evidence records, curl lines, failure messages, reports)
passes through here, so a credential is masked the same way in a terminal, a JUnit file and a
browser. Two layers: the engine masks credential headers and every registered secret as it
records an exchange (`redact_headers`, `hide_secrets`); the reports mask again, by pattern, what a
bug upstream might have let through (`redact_text`, `redacted_copy`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from face_conformance.cases.wire import KEY_HEADER

#: What stands in for every hidden value.
REDACTED = "***"
#: Characters of a body kept in an evidence record and shown in a report.
BODY_EXCERPT_CHARS = 2000

#: Header names (lower case) whose values may carry credentials, whatever the server, a proxy or a
#: gateway in front of the service calls them.
SECRET_HEADERS = frozenset(
    {
        KEY_HEADER.lower(),
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "api-key",
        "x-api-key",
        "subscription-key",
        "key",
    }
)

# The names a key is spotted by in free text. A bare `key` is left out: it would match the tail of
# ordinary words (`401.invalid-key: fail`) and mask what a reader needs.
_NAMES_IN_TEXT = "|".join(re.escape(name) for name in sorted(SECRET_HEADERS - {"key"}, key=len, reverse=True))
_SECRET_IN_TEXT = (
    # `Ocp-Apim-Subscription-Key: abc` inside a curl line or a header dump (`X-Api-Key` too: names
    # match inside longer ones)
    re.compile(
        rf"(?i)((?:{_NAMES_IN_TEXT})\s*:\s*(?:(?:bearer|basic)\s+)?)"
        r"(?!\*\*\*)[^'\"\s\\]+"
    ),
    # `?subscription-key=abc` in a URL (Azure accepts the key as a query parameter)
    re.compile(r"(?i)([?&]subscription-key=)(?!\*\*\*)[^&#\s'\"]+"),
)

#: A quick first look: text that names none of these holds no header line or query key to mask.
_MAY_HOLD_SECRET = re.compile(rf"(?i){_NAMES_IN_TEXT}|subscription-key=")

_SECRETS: set[str] = set()
_LONGEST_FIRST: tuple[str, ...] = ()


def is_secret_header(name: Any) -> bool:
    """Whether a header (or record key) of this name carries a credential."""
    return isinstance(name, str) and name.strip().lower() in SECRET_HEADERS


def register_secret(secret: str | None) -> None:
    """Never render this value: every excerpt, header and message shows *** in its place."""
    if secret and len(secret) >= 3:  # shorter is no secret, and masking it would garble every text
        _SECRETS.add(secret)


def _longest_first() -> tuple[str, ...]:
    """The secrets, longest first: a near-miss key (a prefix of the real one) must not eat the real
    key's start and leave its tail showing. Sorted again only when the set has changed."""
    global _LONGEST_FIRST
    if len(_LONGEST_FIRST) != len(_SECRETS) or not _SECRETS.issuperset(_LONGEST_FIRST):
        _LONGEST_FIRST = tuple(sorted(_SECRETS, key=len, reverse=True))
    return _LONGEST_FIRST


def hide_secrets(text: str, secret: str | None = None) -> str:
    """Text with every registered secret, and `secret` when given, replaced by ***.

    `secret` covers a key that is not registered (yet): the client hides its own key in exception
    messages and echoed headers with it, whatever its length.
    """
    secrets = _longest_first()
    if secret and secret not in _SECRETS:
        secrets = tuple(sorted((*secrets, secret), key=len, reverse=True))
    for value in secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def hide_secret_bytes(data: bytes) -> bytes:
    """Bytes with every registered secret (as UTF-8) replaced by ***: for bodies kept as bytes."""
    for value in _longest_first():
        data = data.replace(value.encode("utf-8"), REDACTED.encode("ascii"))
    return data


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict with every credential-bearing value replaced by ***."""
    return {k: (REDACTED if is_secret_header(k) else hide_secrets(v)) for k, v in headers}


def redact_text(text: str) -> str:
    """Text with a key in a header line or URL query, and every registered secret, shown as ***."""
    if _MAY_HOLD_SECRET.search(text):
        for pattern in _SECRET_IN_TEXT:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return hide_secrets(text)  # and the run's own key, wherever a server echoed it


def redacted_copy(result: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a result dict with every credential-named value and every key in text masked.

    Every dict and list is rebuilt on the way (strings and numbers are immutable), so nothing of
    the copy is shared with `result`.
    """
    return _redact_value(dict(result))


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    if isinstance(value, dict):
        return {
            key: (REDACTED if is_secret_header(key) and value[key] not in (None, "") else _redact_value(value[key]))
            for key in value
        }
    return value


def as_text(value: Any) -> str:
    """A body or header value as text: strings as they are, bytes decoded, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return json.dumps(value, ensure_ascii=False)


class Excerpt(NamedTuple):
    """The start of a text, and the whole text's length when the start is all that is kept."""

    text: str
    full: int | None = None  # None: `text` is the whole

    @property
    def cut(self) -> int:
        """How many characters were left out."""
        return 0 if self.full is None else self.full - len(self.text)

    def marked(self) -> str:
        """The excerpt with a marker saying how much was cut (the text itself when nothing was)."""
        return self.text if self.full is None else f"{self.text}… [{self.cut} more characters cut]"


def excerpt(value: Any, limit: int = BODY_EXCERPT_CHARS) -> Excerpt:
    """The first `limit` characters of `value` as text (bytes decoded, secrets hidden)."""
    # Hide before cutting: a cut through the middle of a key would leave its start unmatched.
    text = hide_secrets(as_text(value))
    if len(text) <= limit:
        return Excerpt(text)
    return Excerpt(text[:limit], len(text))
