"""The reports of `face-conformance diff`: `diff.json`, `diff.md` and `diff.html`.

Rendered from a redacted copy of the diff record (`compare.record`), like every report. The HTML
page is one self-contained file in the run report's style: the rows as a two-column matrix, then
every probe that differs (divergences first), each with both sides' exchanges.

Stable hooks for tests: `#diff-verdict[data-verdict]`, `#diff-counts [data-class][data-count]`,
`tr[data-row-id][data-class]`, `section.probe[data-class][data-step]`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from face_conformance.cases.outcomes import DIFF_CLASSES, VERDICT_LOOK, DiffClass, Verdict
from face_conformance.evidence.record import operation_label, operation_of
from face_conformance.evidence.redaction import excerpt, redacted_copy
from face_conformance.reporting.common import eyebrow_text
from face_conformance.reporting.html_kit import CSS, esc, pill, request_html, response_html

FILES = {"json": "diff.json", "markdown": "diff.md", "html": "diff.html"}
SHOWN = (DiffClass.DIVERGENCE, DiffClass.REGRESSION, DiffClass.IMPROVEMENT,
         DiffClass.ONE_SIDE)  # the probes the page shows one by one
MARKDOWN_LIMIT = 20
STORED_CHARS = 160  # of a stored value shown beside a probe (diff.json has it whole)
_CLASS_STYLE = {DiffClass.REGRESSION: "fail", DiffClass.IMPROVEMENT: "pass", DiffClass.DIVERGENCE: "info",
                DiffClass.ONE_SIDE: "not-observed",
                DiffClass.SAME: "not-applicable"}


def write_diff_reports(record: Mapping[str, Any], report_dir: Path) -> dict[str, Path]:
    """Write the three files into `report_dir` (created if missing); returns their paths."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    clean = redacted_copy(record)
    texts = {"json": json.dumps(clean, indent=2, ensure_ascii=False, default=str) + "\n",
             "markdown": render_markdown(clean), "html": render_html(clean)}
    paths = {}
    for kind, text in texts.items():
        paths[kind] = report_dir / FILES[kind]
        paths[kind].write_text(text, encoding="utf-8")
    return paths


# -- Markdown (a CI summary) -----------------------------------------------------------------------

def render_markdown(record: Mapping[str, Any]) -> str:
    """The counts, the rows that differ and the first probes of each class, as GitHub Markdown."""
    a, b = record["a"], record["b"]
    lines = [f"## face-conformance diff: {record['verdict']}", "", _md(operation_words(record)), "",
             record["verdict_reason"], "",
             f"- **A**: {a['label']} ({a['verdict']})", f"- **B**: {b['label']} ({b['verdict']})", "",
             "| class | probes |", "|---|---|"]
    lines += [f"| {kind} | {record['counts'].get(kind, 0)} |" for kind in DIFF_CLASSES]
    changed = [r for r in record["rows"] if r["class"] != DiffClass.SAME]
    if changed:
        lines += ["", "| row | A | B | class |", "|---|---|---|---|"]
        lines += [f"| `{r['id']}` | {r['a']} | {r['b']} | {r['class']} |" for r in changed]
    for kind in SHOWN:
        probes = [p for p in record["probes"] if p["class"] == kind]
        if probes:
            lines += ["", f"### {kind} ({len(probes)})", ""]
            lines += [f"- step {p['step']}: {_md(p['label'])}: {_md(p['why'])}" for p in probes[:MARKDOWN_LIMIT]]
            if len(probes) > MARKDOWN_LIMIT:
                lines.append(f"- … {len(probes) - MARKDOWN_LIMIT} more in diff.json")
    return "\n".join(lines) + "\n"


def _operations(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The operation each side names (the record's own, where it has one), once each, A's first."""
    if isinstance(record.get("operation"), Mapping):
        return [operation_of(record)]
    named = [operation_of(record.get(side) or {}) for side in ("a", "b")]
    return named[:1] if named[0] == named[1] else named


def operation_words(record: Mapping[str, Any]) -> str:
    """Which operation and API version the diff is of: 'LargeFaceList - Update Face, API v1.2' (each side's if two)."""
    named = _operations(record)
    if len(named) == 1:
        return operation_label(named[0])
    return "; ".join(f"{side}: {operation_label(op)}" for side, op in zip("AB", named, strict=True))


def _eyebrow(record: Mapping[str, Any]) -> str:
    named = _operations(record)
    if len(named) == 1:
        return eyebrow_text(named[0])  # type: ignore[arg-type]
    return operation_words(record)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# -- HTML ------------------------------------------------------------------------------------------

def render_html(record: Mapping[str, Any]) -> str:
    """The whole page."""
    verdict = str(record["verdict"])
    style = VERDICT_LOOK.get(verdict, Verdict.INCONCLUSIVE)
    body = "\n".join([
        f'<header class="masthead v-{style}"><div class="wrap">'
        f'<p id="operation" class="eyebrow">Conformance diff · {esc(_eyebrow(record))}</p>'
        f'<h1 id="diff-verdict" class="verdict" data-verdict="{esc(verdict)}">{esc(verdict.capitalize())}</h1>'
        f'<p class="reason">{esc(record["verdict_reason"])}</p></div></header>',
        '<main class="wrap">', _sides(record), _counts(record), _rows(record["rows"]), _probes(record["probes"]),
        "</main>",
    ])
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc('Face conformance diff: ' + verdict)}</title>\n<style>{CSS}{_DIFF_CSS}</style>\n"
            f"</head>\n<body>\n{body}\n</body>\n</html>\n")


def _sides(record: Mapping[str, Any]) -> str:
    items = "".join(
        f"<div><dt>{name}</dt><dd>{esc(side['label'])}: {esc(side['verdict'])} ({esc(side['requests'])} requests)"
        f"</dd></div>" for name, side in (("A", record["a"]), ("B", record["b"])))
    return f'<section id="sides" class="card"><h2>Sides</h2><dl class="facts">{items}</dl></section>'


def _counts(record: Mapping[str, Any]) -> str:
    chips = "".join(
        f'<li class="chip o-{_CLASS_STYLE[kind]}" data-class="{kind}" data-count="{record["counts"].get(kind, 0)}">'
        f'<span class="n">{record["counts"].get(kind, 0)}</span><span class="l">{kind}</span></li>'
        for kind in DIFF_CLASSES)
    return f'<section id="diff-counts" class="card"><h2>Probes</h2><ul class="chips">{chips}</ul></section>'


def _rows(rows: list[Mapping[str, Any]]) -> str:
    body = "".join(
        f'<tr data-row-id="{esc(r["id"])}" data-class="{esc(r["class"])}"><td><code>{esc(r["id"])}</code></td>'
        f'<td>{esc(r["level"])}</td><td>{pill(r["a"])}</td><td>{pill(r["b"])}</td>'
        f'<td class="class-{_CLASS_STYLE.get(r["class"], "")}">{esc(r["class"])}</td></tr>' for r in rows)
    return ('<section id="diff-rows" class="card"><h2>Rows</h2><table class="rows"><thead><tr><th>Row</th>'
            f"<th>Level</th><th>A</th><th>B</th><th>Class</th></tr></thead><tbody>{body}</tbody></table></section>")


def _probes(probes: list[Mapping[str, Any]]) -> str:
    shown = [p for kind in SHOWN for p in probes if p["class"] == kind]
    same = sum(p["class"] == DiffClass.SAME for p in probes)
    items = "".join(_probe(p) for p in shown) or '<p class="muted">Every probe got the same answer.</p>'
    return (f'<section id="diff-probes" class="card"><h2>Probes that differ</h2>{items}'
            f'<p class="muted">{same} probe(s) got the same answer on both sides.</p></section>')


def _probe(probe: Mapping[str, Any]) -> str:
    halves = "".join(f'<div class="side"><h4>{name}</h4>{_answer(probe.get(key))}</div>'
                     for name, key in (("A", "a"), ("B", "b")))
    return (f'<section class="probe" data-class="{esc(probe["class"])}" data-step="{esc(probe["step"])}">'
            f'<p class="ev-note"><b>{esc(probe["class"])}</b> · step {esc(probe["step"])} · {esc(probe["label"])}'
            f' — {esc(probe["why"])}</p><div class="sides">{halves}</div></section>')


def _answer(side: Mapping[str, Any] | None) -> str:
    if not side:
        return '<p class="muted">Not performed on this side.</p>'
    judged = ", ".join(f"{row} {verdict}" for row, verdict in (side.get("judged") or {}).items()) or "no row"
    stored = excerpt(repr(side.get("stored")), STORED_CHARS).marked()
    parts = [f'<p class="judged">Judged: {esc(judged)}; stored afterwards: {esc(stored)}</p>']
    for key in ("exchange", "read_back"):
        item = side.get(key)
        if item:
            parts.append(f'<div class="exchange">{request_html(item.get("request"))}'
                         f'{response_html(item.get("response"), item.get("error"))}</div>')
    return "".join(parts)


_DIFF_CSS = """
.sides{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.side{min-width:0;overflow-wrap:anywhere}
.side pre{white-space:pre-wrap;word-break:break-all}
.probe{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:8px;padding:10px 12px;
margin:10px 0;background:#fff}
.probe[data-class=regression]{border-left-color:var(--fail)}
.probe[data-class=improvement]{border-left-color:var(--pass)}
.probe[data-class=divergence]{border-left-color:var(--info)}
.class-fail{color:var(--fail);font-weight:700}
.class-pass{color:var(--pass);font-weight:700}
.class-info{color:var(--info)}
.judged{color:var(--muted);margin:4px 0}
"""
