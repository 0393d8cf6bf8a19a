"""How a server must read the request under test: its body, its media type, the size of its userData."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Body:
    """The request body as a server must read it."""

    kind: str  # "object" | "empty" | "bad" (unparsable or not an object) | "undecodable" (not UTF-8)
    user_data: Any = None
    has_user_data: bool = False
    keys: tuple[str, ...] = ()  # an object's member names


def read_body(raw: bytes | None) -> Body:
    """Classify a body: empty, not a JSON object, or an object with or without userData."""
    if not raw:
        return Body("empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # JSON must be UTF-8, but lenient parsers replace bad bytes and read on: either answer.
        return Body("undecodable")
    try:
        data = json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return Body("bad")
    if not isinstance(data, dict):
        return Body("bad")
    return Body("object", data.get("userData"), "userData" in data, tuple(data))


def _not_json(name: str) -> Any:
    # Python's json module takes NaN and Infinity; JSON (RFC 8259) has no such values.
    raise ValueError(f"{name} is not JSON")


MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$")


def media_kind(content_type: str | None) -> str:
    """How the page reads a Content-Type.

    'json' must be accepted; 'json-case' (other letter case) and 'absent' SHOULD be; 'json-like'
    and 'malformed' (not a media type at all: a server may ignore it or refuse it) go either way;
    'rejected' (any well-formed non-JSON type) MUST get 415.
    """
    if content_type is None or not content_type.strip():
        return "absent"
    essence = content_type.split(";", 1)[0].strip()
    if essence == "application/json":
        return "json"
    if essence.lower() == "application/json":
        return "json-case"
    if not MEDIA_TYPE.fullmatch(essence):
        return "malformed"
    if essence.lower() == "text/json" or essence.lower().endswith("+json"):
        return "json-like"
    return "rejected"


def user_data_size(value: str) -> tuple[int, int]:
    """(UTF-8 bytes, code points) of a userData string."""
    return len(value.encode("utf-8", errors="surrogatepass")), len(value)
