"""`summary.md`: the short version, for a CI step summary or a pull-request comment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from face_conformance.cases.outcomes import Verdict
from face_conformance.evidence.record import operation_of
from face_conformance.reporting.common import (
    as_text,
    counts,
    needs_attention,
    not_applicable,
    operation_text,
    row_level,
    run_line,
    target_items,
)

FILENAME = "summary.md"
_MARKERS = {Verdict.CONFORMANT: "[PASS]", Verdict.NON_CONFORMANT: "[FAIL]", Verdict.INCONCLUSIVE: "[INCONCLUSIVE]"}


def render_markdown(result: Mapping[str, Any]) -> str:
    """The summary: verdict, operation, target, counts, the rows that did not pass, the rows not applicable."""
    rows = list(result.get("rows") or [])
    parts = [_verdict_line(result), _operation_line(result), _target_line(result), _counts_line(rows)]
    attention = needs_attention(rows)
    parts.append(_table(attention) if attention else f"All {len(rows)} rows passed.")
    parts.append(_not_applicable_line(rows))
    stale = (result.get("baseline") or {}).get("stale") or []
    if stale:
        parts.append(_stale_line(stale))
    return "\n\n".join(part for part in parts if part) + "\n"


def _verdict_line(result: Mapping[str, Any]) -> str:
    verdict = as_text(result.get("verdict")) or "unknown"
    marker = _MARKERS.get(verdict, "[?]")
    heading = f"### {marker} Face conformance: {_cell(verdict)}"
    details = " · ".join(p for p in (_cell(as_text(result.get("verdict_reason"))), run_line(result)) if p)
    return f"{heading}\n\n{details}" if details else heading


def _operation_line(result: Mapping[str, Any]) -> str:
    path = operation_of(result)["patch_path"]
    where = f" (`PATCH {_code(path)}`)" if path else ""
    return f"Operation: **{_cell(operation_text(result))}**{where}"


def _target_line(result: Mapping[str, Any]) -> str:
    # The operation has its own line above.
    items = [(label, value) for label, value in target_items(result) if value != "-"
             and label not in ("Operation", "PATCH")]
    return "Target: " + " · ".join(f"{label.lower()} `{_code(value)}`" for label, value in items)


def _counts_line(rows: list[Mapping[str, Any]]) -> str:
    shown = [f"{outcome} {n}" for outcome, n in counts(rows).items() if n]
    return f"Rows: {len(rows)} ({', '.join(shown)})" if shown else "Rows: 0"


def _table(rows: list[Mapping[str, Any]]) -> str:
    lines = ["| Row | Level | Outcome | Summary |", "|---|---|---|---|"]
    for row in rows:
        summary = as_text(row.get("summary"))
        if row.get("outcome") == "accepted" and row.get("accepted_reason"):
            summary = f"{summary} (accepted: {as_text(row['accepted_reason'])})"
        lines.append(
            f"| `{_code(as_text(row.get('id')))}` | {_cell(row_level(row))} | "
            f"**{_cell(as_text(row.get('outcome')))}** | {_cell(summary)} |"
        )
    return "\n".join(lines)


def _not_applicable_line(rows: list[Mapping[str, Any]]) -> str:
    found = not_applicable(rows)
    if not found:
        return ""
    return "Not applicable: " + "; ".join(f"`{_code(row)}` ({_cell(reason)})" for row, reason in found)


def _stale_line(stale: list[Mapping[str, Any]]) -> str:
    ids = ", ".join(f"`{_code(as_text(entry.get('row')))}`" for entry in stale)
    return f"Stale baseline entries (they matched nothing in this run): {ids}"


def _cell(text: str, limit: int = 300) -> str:
    """Text safe inside a table cell: one line, pipes escaped, HTML neutralised, bounded."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    # GitHub renders HTML in step summaries; a hostile server's message must stay text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _code(text: str) -> str:
    """Text safe inside an inline code span (no backticks, one line)."""
    return re.sub(r"\s+", " ", text).replace("`", "'").replace("|", "\\|")


def write_markdown(result: Mapping[str, Any], report_dir: Path) -> Path:
    """Write `summary.md` into `report_dir` and return its path."""
    path = report_dir / FILENAME
    path.write_text(render_markdown(result), encoding="utf-8")
    return path
