"""What every report format shares: redaction, excerpts, counts, target lines, one evidence formatter.

The writers (`json_report`, `html_report`, `junit_report`, `markdown_report`) only lay out what this
module hands them, so a row reads the same in a browser, in CI's test tab and in a step summary.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from face_conformance import catalogue
from face_conformance.evidence import hide_secrets

OUTCOMES: tuple[str, ...] = catalogue.OUTCOMES
MASK = "***"
BODY_LIMIT = 2000  # characters of a body shown in a report; conformance.json keeps what the engine gave
HEADERS_LIMIT = 2000  # a hostile server can send enormous headers too
EVIDENCE_LIMIT = 40  # evidence items per row laid out in the HTML and JUnit; the rest stay in the JSON
# Outcomes a reader has to look at: everything except a pass, an informational note and a row that
# does not apply to this endpoint by design.
ATTENTION = ("fail", "error", "warn", "accepted", "not-observed")

# Header names whose values are credentials. The engine already masks them; these are masked again
# so a bug upstream cannot put a key into a file that gets attached to a CI run or mailed around.
_SECRET_HEADERS = frozenset(
    {
        "ocp-apim-subscription-key",
        "authorization",
        "api-key",
        "x-api-key",
        "subscription-key",
        "cookie",
        "key",
    }
)
_SECRET_IN_TEXT = (
    # `Ocp-Apim-Subscription-Key: abc` inside a curl line or a header dump
    re.compile(
        r"(?i)((?:ocp-apim-subscription-key|api-key|authorization)\s*:\s*(?:(?:bearer|basic)\s+)?)"
        r"(?!\*\*\*)[^'\"\s\\]+"
    ),
    # `?subscription-key=abc` in a URL (Azure accepts the key as a query parameter)
    re.compile(r"(?i)([?&]subscription-key=)(?!\*\*\*)[^&#\s'\"]+"),
)
# XML 1.0 forbids most C0 controls even as character references, and a server's body may hold any.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def scrub(result: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `result` with every credential-looking header value and key in text masked."""
    return _scrub_value(copy.deepcopy(dict(result)))


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, list):
        return [_scrub_value(item) for item in value]
    if isinstance(value, dict):
        return {
            key: (MASK if _is_secret_name(key) and value[key] not in (None, "") else _scrub_value(value[key]))
            for key in value
        }
    return value


def _is_secret_name(name: Any) -> bool:
    return isinstance(name, str) and name.strip().lower() in _SECRET_HEADERS


def scrub_text(text: str) -> str:
    """`text` with a subscription key in a header line or URL query replaced by `***`."""
    for pattern in _SECRET_IN_TEXT:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return hide_secrets(text)  # and the run's own key, wherever a server echoed it


def xml_safe(text: str) -> str:
    """`text` with characters XML 1.0 cannot carry shown as `\\xNN`, so the file still parses."""
    return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def as_text(value: Any) -> str:
    """A body or header value as text: strings as they are, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return json.dumps(value, ensure_ascii=False)


def excerpt(value: Any, limit: int = BODY_LIMIT) -> tuple[str, int | None]:
    """The first `limit` characters of `value` as text, and its full length when it was cut."""
    text = as_text(value)
    if len(text) <= limit:
        return text, None
    return text[:limit], len(text)


def headers_text(headers: Any) -> str:
    """Headers, a mapping or a list of pairs, as `Name: value` lines."""
    if not headers:
        return ""
    pairs: Iterable[Any] = headers.items() if isinstance(headers, Mapping) else headers
    lines = []
    for pair in pairs:
        try:
            name, value = pair
        except (TypeError, ValueError):
            lines.append(as_text(pair))
            continue
        lines.append(f"{name}: {MASK if _is_secret_name(name) else as_text(value)}")
    return "\n".join(lines)


def counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Rows per outcome: every known outcome in catalogue order (zeros kept), then any unknown ones."""
    out = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        outcome = str(row.get("outcome", "error"))
        out[outcome] = out.get(outcome, 0) + 1
    return out


def needs_attention(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows that did not pass: any outcome but pass, info and not-applicable."""
    return [row for row in rows if row.get("outcome") not in ("pass", "info", "not-applicable")]


def row_page(row: Mapping[str, Any]) -> tuple[str, str]:
    """The page's table row (Chinese, English) for a result row, from the catalogue when the row lacks it."""
    page = row.get("page") or {}
    zh, en = page.get("zh"), page.get("en")
    if zh is None or en is None:
        known = catalogue.by_id().get(str(row.get("id")))
        if known is not None:
            zh = known.page_zh if zh is None else zh
            en = known.page_en if en is None else en
    return as_text(zh), as_text(en)


def row_level(row: Mapping[str, Any]) -> str:
    """A result row's level, from the catalogue when the row lacks it."""
    if row.get("level"):
        return str(row["level"])
    known = catalogue.by_id().get(str(row.get("id")))
    return known.level if known is not None else "N/A"


def target_items(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The run's target and settings as (label, value) pairs, in the order a reader wants them."""
    target = result.get("target") or {}
    suite = result.get("suite") or {}
    known = [
        ("Endpoint", target.get("endpoint")),
        ("Mode", target.get("mode")),
        ("Profile", target.get("profile")),
        ("Seed", target.get("seed")),
        ("Started", target.get("started")),
        ("Strict", _yes_no(target.get("strict"))),
        ("Strict messages", _yes_no(target.get("strict_messages"))),
        ("Suite", " ".join(str(p) for p in (suite.get("name"), suite.get("version")) if p)),
    ]
    items = [(label, "-" if value in (None, "") else as_text(value)) for label, value in known]
    shown = {"endpoint", "mode", "profile", "seed", "started", "strict", "strict_messages"}
    # Keys the engine adds later are passed through, but a name that smells of a credential is masked.
    for key, value in target.items():
        if key not in shown:
            items.append((key, MASK if _looks_secret(key) else as_text(value)))
    return items


def _looks_secret(name: str) -> bool:
    return any(word in name.lower() for word in ("key", "secret", "token", "password", "auth"))


def _yes_no(value: Any) -> str | None:
    if value is None:
        return None
    return "yes" if value else "no"


def run_line(result: Mapping[str, Any]) -> str:
    """`exit 1 · 42 requests · 3.1 s`: how the run went, in one line."""
    parts = []
    if result.get("exit_code") is not None:
        parts.append(f"exit {result['exit_code']}")
    if result.get("requests") is not None:
        parts.append(f"{result['requests']} requests")
    if isinstance(result.get("duration_s"), int | float):
        parts.append(f"{result['duration_s']:.1f} s")
    return " · ".join(parts)


def evidence_text(evidence: Mapping[str, Any], limit: int = BODY_LIMIT) -> str:
    """One evidence item as plain text: verdict and note, the exchange, the error, the curl line.

    This is the suite's one failure formatter for text outputs (JUnit, terminal): what was expected
    (the note), what was received (the exchange) and how to reproduce it (curl).
    """
    lines = [f"[{evidence.get('verdict', '?')}] {as_text(evidence.get('note'))}".rstrip()]
    request = evidence.get("request") or {}
    if request:
        lines.append(f"> {as_text(request.get('method'))} {as_text(request.get('url'))}".rstrip())
        lines.extend(_body_lines(request.get("body"), "> ", limit))
    response = evidence.get("response")
    if response:
        lines.append(f"< {as_text(response.get('status'))}")
        lines.extend(_body_lines(response.get("body"), "< ", limit))
    if evidence.get("error"):
        lines.append(f"! {as_text(evidence['error'])}")
    if evidence.get("curl"):
        lines.append(f"$ {as_text(evidence['curl'])}")
    return "\n".join(lines)


def _body_lines(body: Any, prefix: str, limit: int) -> list[str]:
    text, full = excerpt(body, limit)
    if not text:
        return []
    lines = [prefix + line for line in text.splitlines()] or [prefix]
    if full is not None:
        lines.append(f"{prefix}[... cut: {limit:,} of {full:,} characters shown]")
    return lines
