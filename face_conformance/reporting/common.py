"""What every report format shares: counts, row facts, target lines and XML-safe text.

The writers (`json_report`, `html_report`, `junit_report`, `markdown_report`) only lay out what this
module hands them, so a row reads the same in a browser, in CI's test tab and in a step summary.
Redaction is `face_conformance.evidence.redaction`'s; a failure as text is `face_conformance.reporting.failures`'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import OUTCOMES, QUIET, Outcome
from face_conformance.evidence.record import OperationRecord, operation_label, operation_of
from face_conformance.evidence.redaction import REDACTED, as_text, is_secret_header

HEADERS_LIMIT = 2000  # a hostile server can send enormous headers too
EVIDENCE_LIMIT = 40  # evidence items per row laid out in the HTML and JUnit; the rest stay in the JSON
# XML 1.0 forbids most C0 controls even as character references, and a server's body may hold any.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` with characters XML 1.0 cannot carry shown as `\\xNN`, so the file still parses."""
    return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


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
        lines.append(f"{name}: {REDACTED if is_secret_header(name) else as_text(value)}")
    return "\n".join(lines)


def counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Rows per outcome: every known outcome in report order (zeros kept), then any unknown ones."""
    out = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        outcome = str(row.get("outcome", Outcome.ERROR))
        out[outcome] = out.get(outcome, 0) + 1
    return out


def needs_attention(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows that did not pass: any outcome but pass, info and not-applicable (unknown ones included)."""
    return [row for row in rows if str(row.get("outcome")) not in QUIET]


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


def operation_text(result: Mapping[str, Any]) -> str:
    """The operation and version a result names, in words: 'LargeFaceList - Update Face, API v1.2'.

    A result written before operations were named is PersonGroup Person's on v1.0 (`record.operation_of`).
    """
    return as_text(operation_label(operation_of(result)))


def eyebrow_text(named: OperationRecord) -> str:
    """'Azure Face API v1.2 · LargeFaceList - Update Face': the operation as a page's eyebrow names it."""
    return f"Azure Face API {as_text(named.get('version'))} · {as_text(named.get('title'))}"


def not_applicable(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(row, reason) of each row the operation (or the page) makes not applicable, in row order."""
    return [(as_text(row.get("id")), as_text(row.get("summary")) or "not applicable")
            for row in rows if row.get("outcome") == Outcome.NOT_APPLICABLE]


def target_items(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The run's operation, target and settings as (label, value) pairs, in the order a reader wants them."""
    target = result.get("target") or {}
    suite = result.get("suite") or {}
    named = operation_of(result)
    known = [
        ("Operation", operation_text(result)),
        ("PATCH", named["patch_path"]),
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
    recorded = target.get("recorded")
    if isinstance(recorded, Mapping):
        items.append(("Recorded", recorded_line(recorded)))
    shown = {"endpoint", "mode", "profile", "seed", "started", "strict", "strict_messages", "recorded"}
    # Keys the engine adds later are passed through, but a name that smells of a credential is masked.
    for key, value in target.items():
        if key not in shown:
            items.append((key, REDACTED if _looks_secret(key) else as_text(value)))
    return items


def recorded_line(recorded: Mapping[str, Any]) -> str:
    """What a replay re-judged: which file, recorded when and by which suite version, and its verdict then."""
    return (f"{as_text(recorded.get('file'))} ({as_text(recorded.get('entries'))} exchanges), recorded "
            f"{as_text(recorded.get('started'))} in {as_text(recorded.get('mode'))} mode by face-conformance "
            f"{as_text(recorded.get('suite_version'))}; its verdict then: {as_text(recorded.get('verdict'))}")


def har_file(result: Mapping[str, Any]) -> str:
    """The recording a report's entry numbers refer to."""
    recorded = (result.get("target") or {}).get("recorded")
    if not isinstance(recorded, Mapping):
        return "exchanges.har"
    return as_text(recorded.get("link") or recorded.get("file"))


def entries_text(entries: list[int], limit: int = 30) -> str:
    """`12, 15, 19 … (240 in all)`: a row's entries of the recording, the first `limit` of them."""
    shown = ", ".join(str(n) for n in entries[:limit])
    return shown + (f" … ({len(entries)} in all)" if len(entries) > limit else "")


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
