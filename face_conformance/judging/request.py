"""How a server must read the request under test: its body, its media type, the size of its userData."""

from __future__ import annotations

import json
import re
import sys
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Body:
    """The request body as a server must read it."""

    kind: str  # "object" | "empty" | "bad" (unparsable or not an object) | "undecodable" (not in its charset)
    user_data: Any = None
    has_user_data: bool = False
    keys: tuple[str, ...] = ()  # an object's member names, each once
    #: How else a conformant server may read it (docs/contract.md points 14, 18): "bom" (a byte order
    #: mark it may ignore or refuse), "charset" (declared in another charset: decode or refuse),
    #: "duplicate" (a member given twice: first or last wins).
    readings: tuple[str, ...] = ()
    #: Every userData a conformant server may take from the body (two for a duplicated member).
    user_data_choices: tuple[Any, ...] = ()


UTF8_BOM = b"\xef\xbb\xbf"
#: Integers longer than this are read as decimals: Python refuses to convert longer digit strings.
MAX_INT_DIGITS = 4000
#: A body nested deeper than the interpreter's default recursion allows is read with this limit.
MAX_DEPTH = 20_000
_depth_lock = threading.Lock()


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type, lower-cased; None without one."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower() or None
    return None


def read_body(raw: bytes | None, content_type: str | None = None) -> Body:
    """Classify a body: empty, not a JSON object, or an object with or without userData.

    JSON is UTF-8 (RFC 8259): without a charset, or with charset=utf-8, bytes that are not UTF-8
    make the body bad (docs/contract.md point 14). A byte order mark, another declared charset and
    a duplicated member are readings a server may take either way (`readings`).
    """
    if not raw:
        return Body("empty")
    charset = charset_of(content_type)
    readings: list[str] = []
    if charset in (None, "utf-8", "utf8"):
        if raw.startswith(UTF8_BOM):
            raw, readings = raw[len(UTF8_BOM):], ["bom"]
        codec = "utf-8"
    else:
        codec, readings = charset, ["charset"]
    try:
        text = raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return Body("undecodable", readings=tuple(readings))
    members: list[list[tuple[str, Any]]] = []
    try:
        data = _loads(text, members)
    except ValueError:
        return Body("bad", readings=tuple(readings))
    if not isinstance(data, dict):
        return Body("bad", readings=tuple(readings))
    top = members[-1]
    choices = [v for k, v in top if k == "userData"]
    if len(choices) > 1 or any(len({k for k, _ in m}) < len(m) for m in members):
        readings.append("duplicate")
    picked = (choices[0], choices[-1]) if choices else ()
    return Body("object", data.get("userData"), "userData" in data, tuple(data), tuple(readings),
                tuple(dict.fromkeys(picked)) if all(isinstance(c, str) for c in picked) else picked[-1:])


def _loads(text: str, members: list[list[tuple[str, Any]]]) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        members.append(items)
        return dict(items)

    def parse() -> Any:
        members.clear()
        return json.loads(text, parse_constant=_not_json, object_pairs_hook=pairs, parse_int=_int)

    try:
        return parse()
    except RecursionError:
        # Deep nesting is valid JSON: read it with a higher limit (bounded: a body is at most 64 KiB
        # of the suite's own making, so at most about 32,000 levels).
        with _depth_lock:
            old = sys.getrecursionlimit()
            sys.setrecursionlimit(max(old, MAX_DEPTH + 1000))
            try:
                return parse()
            except RecursionError as exc:
                raise ValueError("nested too deeply to read") from exc
            finally:
                sys.setrecursionlimit(old)


def _int(digits: str) -> int | Decimal:
    return int(digits) if len(digits.lstrip("-")) <= MAX_INT_DIGITS else Decimal(digits)


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
