"""`report.html`: one self-contained page a vendor can hand to a customer.

No external resource of any kind (inline CSS, system fonts, no images), readable without
JavaScript; the small inline script only adds outcome filters. Every piece of text goes through
`_e` (HTML escaping), because bodies come from servers the suite does not trust.

Stable hooks for tests and scripts: `#verdict[data-verdict]`, `#counts [data-outcome][data-count]`,
`tr[data-row-id][data-outcome]`, `section#row-<id>` holding `.evidence` blocks, `#observations`,
`#baseline`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from face_conformance.cases.outcomes import BAD, MEANING, Outcome
from face_conformance.evidence.record import RunResult
from face_conformance.evidence.redaction import BODY_EXCERPT_CHARS, excerpt
from face_conformance.reporting.common import (
    EVIDENCE_LIMIT,
    HEADERS_LIMIT,
    as_text,
    counts,
    entries_text,
    har_file,
    headers_text,
    row_level,
    row_page,
    run_line,
    target_items,
    xml_safe,
)
from face_conformance.reporting.failures import format_failure

FILENAME = "report.html"
_VERDICT_LABELS = {
    "conformant": "Conformant",
    "non-conformant": "Non-conformant",
    "inconclusive": "Inconclusive",
}


def _e(value: Any) -> str:
    """Any value as HTML-escaped text (quotes too, so it is safe in attributes), controls made visible."""
    return html.escape(xml_safe(as_text(value)), quote=True)


def render_html(result: RunResult) -> str:
    """The whole report page for a result dict."""
    rows = list(result.get("rows") or [])
    verdict = as_text(result.get("verdict")) or "unknown"
    title = f"Face conformance: {_VERDICT_LABELS.get(verdict, verdict)}"
    body = "\n".join(
        [
            _masthead(result, verdict),
            '<main class="wrap">',
            _overview(result, rows),
            _rows_table(rows),
            _details(rows, har_file(result)),
            _observations(result.get("observations") or []),
            _baseline(result.get("baseline")),
            "</main>",
            _footer(result),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="face-conformance">\n<title>{_e(title)}</title>\n'
        f"<style>{_CSS}</style>\n</head>\n"
        f'<body class="verdict-{_e(verdict)}">\n{body}\n<script>{_JS}</script>\n</body>\n</html>\n'
    )


# ---- header -------------------------------------------------------------------------------------


def _masthead(result: RunResult, verdict: str) -> str:
    label = _VERDICT_LABELS.get(verdict, verdict)
    reason = as_text(result.get("verdict_reason"))
    return (
        f'<header class="masthead v-{_e(verdict)}"><div class="wrap">'
        '<p class="eyebrow">Conformance report · Azure Face API v1.0 · '
        "PersonGroup Person - Update Face</p>"
        f'<h1 id="verdict" class="verdict" data-verdict="{_e(verdict)}">{_e(label)}</h1>'
        f'<p id="verdict-reason" class="reason">{_e(reason)}</p>'
        f'<p class="runline">{_e(run_line(result))}</p>'
        "</div></header>"
    )


def _overview(result: RunResult, rows: list[Mapping[str, Any]]) -> str:
    return (
        '<section class="overview">'
        f'{_target(result)}<div class="stack">{_counts(rows)}{_matrix(rows)}</div>'
        "</section>"
    )


def _target(result: RunResult) -> str:
    items = "".join(
        f"<div><dt>{_e(label)}</dt><dd>{_e(value)}</dd></div>" for label, value in target_items(result)
    )
    return f'<section id="target" class="card"><h2>Target</h2><dl class="facts">{items}</dl></section>'


def _counts(rows: list[Mapping[str, Any]]) -> str:
    chips = "".join(
        f'<li class="chip o-{_e(outcome)}{" zero" if n == 0 else ""}" data-outcome="{_e(outcome)}" '
        f'data-count="{n}" title="{_e(MEANING.get(outcome, ""))}">'
        f'<span class="n">{n}</span><span class="l">{_e(outcome)}</span></li>'
        for outcome, n in counts(rows).items()
    )
    return (
        f'<section id="counts" class="card"><h2>{len(rows)} rows</h2><ul class="chips">{chips}</ul></section>'
    )


def _matrix(rows: list[Mapping[str, Any]]) -> str:
    """Autobahn-style tiles: every row as a coloured cell, linking to its evidence."""
    tiles = "".join(
        f'<a class="tile o-{_e(row.get("outcome"))}" href="#row-{_e(row.get("id"))}" '
        f'data-outcome="{_e(row.get("outcome"))}" title="{_e(row.get("outcome"))}: {_e(row.get("summary"))}">'
        f"{_e(row.get('id'))}</a>"
        for row in rows
    )
    return f'<section id="matrix" class="card"><h2>Matrix</h2><div class="tiles">{tiles}</div></section>'


# ---- the table of rows --------------------------------------------------------------------------


def _rows_table(rows: list[Mapping[str, Any]]) -> str:
    present = [outcome for outcome, n in counts(rows).items() if n]
    boxes = "".join(
        f'<label class="o-{_e(o)}"><input type="checkbox" value="{_e(o)}" checked> {_e(o)}</label>'
        for o in present
    )
    # The filter bar starts hidden: it only works with the script, which reveals it.
    filters = f'<div id="filters" class="filters" hidden><span>Show:</span>{boxes}</div>'
    head = (
        "<thead><tr><th>Row</th><th>Level</th><th>Outcome</th><th>Documented row (zh / en)</th>"
        '<th>Summary</th><th class="num">Requests</th></tr></thead>'
    )
    body = "".join(_table_row(row) for row in rows)
    return (
        f'<section id="rows" class="card"><h2>Rows</h2>{filters}'
        f'<div class="scroll"><table class="rows">{head}<tbody>{body}</tbody></table></div></section>'
    )


def _table_row(row: Mapping[str, Any]) -> str:
    row_id, outcome = row.get("id"), row.get("outcome")
    zh, en = row_page(row)
    return (
        f'<tr data-row-id="{_e(row_id)}" data-outcome="{_e(outcome)}" data-level="{_e(row_level(row))}">'
        f'<td class="id"><a href="#row-{_e(row_id)}">{_e(row_id)}</a>{_expected(row)}</td>'
        f"<td>{_level(row)}</td>"
        f"<td>{_pill(outcome)}</td>"
        f'<td class="page"><span class="zh" lang="zh">{_e(zh)}</span><span class="en">{_e(en)}</span></td>'
        f'<td class="summary">{_e(row.get("summary"))}</td>'
        f'<td class="num">{_e(row.get("requests", ""))}</td></tr>'
    )


def _expected(row: Mapping[str, Any]) -> str:
    """The documented status and code under the ID (`404 · PersonGroupNotFound`)."""
    parts = [as_text(row.get(key)) for key in ("status", "code") if row.get(key) not in (None, "")]
    return f'<span class="expect">{_e(" · ".join(parts))}</span>' if parts else ""


def _level(row: Mapping[str, Any]) -> str:
    level = row_level(row)
    return f'<span class="level l-{_e(level.replace("/", ""))}">{_e(level)}</span>'


def _pill(outcome: Any) -> str:
    return f'<span class="pill o-{_e(outcome)}">{_e(outcome)}</span>'


# ---- per-row evidence ---------------------------------------------------------------------------


def _details(rows: list[Mapping[str, Any]], har: str) -> str:
    sections = "".join(_row_section(row, har) for row in rows)
    return f'<section id="evidence" class="card"><h2>Evidence per row</h2>{sections}</section>'


def _row_section(row: Mapping[str, Any], har: str = "exchanges.har") -> str:
    row_id, outcome = row.get("id"), row.get("outcome")
    is_open = " open" if str(outcome) in BAD else ""
    evidence = list(row.get("evidence") or [])
    n_requests = row.get("requests")
    count = f"{len(evidence)} evidence" + (f" · {n_requests} requests" if n_requests is not None else "")
    items = "".join(_evidence(item, row) for item in evidence[:EVIDENCE_LIMIT])
    if len(evidence) > EVIDENCE_LIMIT:
        more = len(evidence) - EVIDENCE_LIMIT
        items += f'<p class="note-more">{more} more evidence items are in conformance.json.</p>'
    if not evidence:
        items = '<p class="muted">No evidence recorded for this row.</p>'
    return (
        f'<section class="row-detail" id="row-{_e(row_id)}" data-row-id="{_e(row_id)}" '
        f'data-outcome="{_e(outcome)}"><details{is_open}><summary>{_pill(outcome)}<code>{_e(row_id)}</code>'
        f"{_level(row)}"
        f'<span class="sum">{_e(row.get("summary"))}</span><span class="count">{_e(count)}</span></summary>'
        f"{_row_meta(row, har)}{items}</details></section>"
    )


def _row_meta(row: Mapping[str, Any], har: str) -> str:
    zh, en = row_page(row)
    facts = [("When", row.get("when")), ("Page", f"{zh} / {en}" if zh or en else None)]
    if row.get("outcome") == "accepted":
        facts.append(("Accepted because", row.get("accepted_reason") or "no reason given"))
        facts.append(("Documented in", row.get("accepted_source")))
    items = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts if v)
    entries = [n for n in row.get("entries") or [] if isinstance(n, int)]
    if entries:
        items += (f'<div class="entries"><dt>Exchanges</dt><dd>entries {_e(entries_text(entries))} of '
                  f'<a href="{_e(har)}">{_e(har)}</a></dd></div>')
    return f'<dl class="meta">{items}</dl>' if items else ""


def _evidence(item: Mapping[str, Any], row: Mapping[str, Any] | None = None) -> str:
    """One evidence item; a failing one of a row also as the text the terminal and JUnit show."""
    verdict = item.get("verdict")
    entry = item.get("entry")
    where = f' <span class="entry">HAR entry {_e(entry)}</span>' if isinstance(entry, int) else ""
    parts = [f'<p class="ev-note">{_pill(verdict)} {_e(item.get("note"))}{where}</p>']
    exchange = _request(item.get("request")) + _response(item.get("response"), item.get("error"))
    parts.append(f'<div class="exchange">{exchange}</div>')
    if item.get("curl"):
        parts.append(f'<div class="curl"><h4>Reproduce</h4><pre>{_e(item["curl"])}</pre></div>')
    if row is not None and str(verdict) in BAD:
        # The same block as the terminal and JUnit, to paste into a bug report as it is.
        parts.append(
            f'<details class="as-text"><summary>As text</summary><pre>{_e(format_failure(row, item))}</pre></details>'
        )
    return f'<div class="evidence" data-verdict="{_e(verdict)}">{"".join(parts)}</div>'


def _request(request: Mapping[str, Any] | None) -> str:
    if not request:
        return '<div class="half"><h4>Request</h4><p class="muted">Not recorded.</p></div>'
    line = f"{as_text(request.get('method'))} {as_text(request.get('url'))}".strip()
    return _message_block("Request", line, request.get("headers"), request.get("body"), truncated=False)


def _response(response: Mapping[str, Any] | None, error: Any) -> str:
    if not response:
        why = f"No answer: {as_text(error)}" if error else "No answer recorded."
        return f'<div class="half"><h4>Response</h4><p class="error-text">{_e(why)}</p></div>'
    block = _message_block(
        "Response",
        f"HTTP {as_text(response.get('status'))}",
        response.get("headers"),
        response.get("body"),
        truncated=bool(response.get("truncated")),
    )
    if error:
        block += f'<p class="error-text">{_e(error)}</p>'
    return block


def _message_block(title: str, first_line: str, headers: Any, body: Any, *, truncated: bool) -> str:
    head_text, head_full = excerpt(headers_text(headers), HEADERS_LIMIT)
    body_text, body_full = excerpt(body, BODY_EXCERPT_CHARS)
    notes = []
    if head_full is not None:
        notes.append(f"Headers cut: first {HEADERS_LIMIT:,} of {head_full:,} characters shown.")
    if body_full is not None:
        notes.append(f"Body cut: first {BODY_EXCERPT_CHARS:,} of {body_full:,} characters shown.")
    if truncated:
        notes.append("The suite kept only an excerpt of this body.")
    body_html = _e(body_text) if body_text else '<span class="muted">(empty body)</span>'
    head_html = f'<span class="hdrs">{_e(head_text)}</span>\n' if head_text else ""
    cut = "".join(f'<p class="cut">{_e(n)}</p>' for n in notes)
    return (
        f'<div class="half"><h4>{_e(title)}</h4>'
        f'<pre class="http"><b>{_e(first_line)}</b>\n{head_html}\n{body_html}</pre>{cut}</div>'
    )


# ---- observations, baseline, footer -------------------------------------------------------------


def _observations(observations: list[Mapping[str, Any]]) -> str:
    if not observations:
        body = '<p class="muted">No observations in this run.</p>'
    else:
        body = "".join(_observation(obs) for obs in observations)
    return (
        '<section id="observations" class="card"><h2>Observations</h2>'
        '<p class="lede">Behaviour the page leaves open or does not document: reported, never failed.</p>'
        f"{body}</section>"
    )


def _observation(obs: Mapping[str, Any]) -> str:
    evidence = list(obs.get("evidence") or [])
    items = "".join(_evidence(item) for item in evidence[:EVIDENCE_LIMIT])
    row = (
        f' <span class="muted">on <a href="#row-{_e(obs.get("row"))}">{_e(obs.get("row"))}</a></span>'
        if obs.get("row")
        else ""
    )
    return (
        f'<div class="observation" data-observation-id="{_e(obs.get("id"))}">'
        f"<details><summary>{_pill(Outcome.INFO)}<code>{_e(obs.get('id'))}</code>{row}"
        f'<span class="sum">{_e(obs.get("summary"))}</span></summary>{items}</details></div>'
    )


def _baseline(baseline: Mapping[str, Any] | None) -> str:
    if not baseline:
        return ""
    stale = list(baseline.get("stale") or [])
    head = f'<p class="lede">Baseline file: <code>{_e(baseline.get("file"))}</code>.</p>'
    if not stale:
        matched = '<p class="muted">Every entry matched.</p>'
        return f'<section id="baseline" class="card"><h2>Baseline</h2>{head}{matched}</section>'
    rows = "".join(
        f'<tr class="stale" data-row-id="{_e(entry.get("row"))}"><td class="id">{_e(entry.get("row"))}</td>'
        f"<td><code>{_e(entry.get('seen'))}</code></td><td>{_e(entry.get('why'))}</td></tr>"
        for entry in stale
    )
    return (
        f'<section id="baseline" class="card"><h2>Stale baseline entries</h2>{head}'
        '<p class="lede">These entries matched no failing row in this run: the service may have been '
        "fixed, or the entry no longer describes what it sends. Remove or update them.</p>"
        f'<table class="rows"><thead><tr><th>Row</th><th>Seen</th><th>Why</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _footer(result: RunResult) -> str:
    suite = result.get("suite") or {}
    name = " ".join(as_text(suite.get(k)) for k in ("name", "version") if suite.get(k)) or "face-conformance"
    return (
        f'<footer class="wrap">Generated by {_e(name)}. Subscription keys are never written to reports '
        "(shown as ***). The full record of this run is in conformance.json next to this file.</footer>"
    )


def write_html(result: RunResult, report_dir: Path) -> Path:
    """Write `report.html` into `report_dir` and return its path."""
    path = report_dir / FILENAME
    path.write_text(render_html(result), encoding="utf-8")
    return path


# ---- inline assets ------------------------------------------------------------------------------

_CSS = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--bg:#eef1f4;
--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;
--info:#0969da;--info-bg:#ddf4ff;--accepted:#8250df;--accepted-bg:#fbefff;--no:#59636e;--no-bg:#e6eaef;
--na:#818b98;--na-bg:#f6f8fa;--error:#bc4c00;--error-bg:#fff1e5}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans","Helvetica Neue",Arial,
"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
code,pre,.tile,.id,.expect{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,
"Liberation Mono",monospace}
.wrap{max-width:1320px;margin:0 auto;padding:0 28px}
a{color:inherit}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 12px}
h4{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:0 0 6px}
.masthead{color:#fff;padding:30px 0 28px;background:#424a53}
.masthead.v-conformant{background:linear-gradient(135deg,#116329,#1a7f37)}
.masthead.v-non-conformant{background:linear-gradient(135deg,#a40e26,#cf222e)}
.masthead.v-inconclusive{background:linear-gradient(135deg,#7d4e00,#bf8700)}
.eyebrow{margin:0;font-size:13px;letter-spacing:.04em;opacity:.85}
.verdict{margin:6px 0 4px;font-size:52px;line-height:1.1;font-weight:800;letter-spacing:-.01em}
.reason{margin:0;font-size:18px;max-width:70em}
.runline{margin:8px 0 0;opacity:.85;font-size:13px}
main{padding-top:22px;padding-bottom:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 20px;
margin-bottom:18px;
box-shadow:0 1px 2px rgba(31,35,40,.04)}
.overview{display:grid;grid-template-columns:minmax(300px,380px) 1fr;gap:18px;align-items:start}
.overview .card{margin-bottom:0}
.stack{display:grid;gap:18px}
.overview{margin-bottom:18px}
.facts{display:grid;gap:0;margin:0}
.facts div{display:grid;grid-template-columns:120px 1fr;gap:10px;padding:6px 0;
border-top:1px solid var(--soft)}
.facts div:first-child{border-top:0}
dt{color:var(--muted)}
dd{margin:0;word-break:break-all}
.chips{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(4,1fr);gap:8px}
.chip{border-radius:8px;padding:8px 12px;display:flex;align-items:baseline;gap:8px;
border:1px solid transparent}
.chip .n{font-size:24px;font-weight:700}
.chip .l{font-size:13px}
.chip.zero{opacity:.45}
.tiles{display:flex;flex-wrap:wrap;gap:6px}
.tile{display:block;padding:6px 9px;border-radius:6px;font-size:12px;text-decoration:none;
border:1px solid transparent}
.tile:hover{filter:brightness(.95)}
.o-pass{background:var(--pass-bg);color:var(--pass);border-color:#aceebb}
.o-fail{background:var(--fail-bg);color:var(--fail);border-color:#ffcecb}
.o-warn{background:var(--warn-bg);color:var(--warn);border-color:#f5e0a0}
.o-info{background:var(--info-bg);color:var(--info);border-color:#b6e3ff}
.o-accepted{background:var(--accepted-bg);color:var(--accepted);border-color:#ecd8ff}
.o-not-observed{background:var(--no-bg);color:var(--no);border-color:#d1d9e0}
.o-not-applicable{background:var(--na-bg);color:var(--na);border-color:#e1e6eb}
.o-error{background:var(--error-bg);color:var(--error);border-color:#ffd8b5}
.tile.o-fail,.tile.o-error{font-weight:700}
.pill{display:inline-block;min-width:64px;text-align:center;padding:1px 8px;border-radius:999px;
font-size:12px;
font-weight:600;border:1px solid transparent;white-space:nowrap}
.level{display:inline-block;font-size:11px;font-weight:700;letter-spacing:.04em;padding:1px 6px;
border-radius:4px;
border:1px solid var(--line);color:var(--muted)}
.level.l-MUST{color:var(--ink);border-color:#8c959f}
.scroll{overflow-x:auto}
table.rows{width:100%;border-collapse:collapse}
.rows th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;
border-bottom:2px solid var(--line);
padding:8px 10px;white-space:nowrap}
.rows td{border-bottom:1px solid #eaeef2;padding:8px 10px;vertical-align:top}
.rows tbody tr:hover{background:#fafbfc}
.rows tr[data-outcome=fail] td:first-child,
.rows tr[data-outcome=error] td:first-child{box-shadow:inset 3px 0 var(--fail)}
.rows tr[data-outcome=warn] td:first-child{box-shadow:inset 3px 0 #d4a72c}
.rows tr[data-outcome=accepted] td:first-child{box-shadow:inset 3px 0 var(--accepted)}
td.id{white-space:nowrap;font-size:13px}
td.id a{text-decoration:none;font-weight:600}
td.id a:hover{text-decoration:underline}
.expect{display:block;font-size:11px;color:var(--muted)}
td.page{min-width:220px;max-width:360px}
td.page .zh{display:block}
td.page .en{display:block;color:var(--muted);font-size:12px}
td.summary{min-width:260px}
.num{text-align:right;font-variant-numeric:tabular-nums}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:-4px 0 10px}
.filters span{color:var(--muted);font-size:12px}
.filters label{font-size:12px;padding:2px 10px 2px 6px;border-radius:999px;cursor:pointer;
border:1px solid}
.row-detail{border-top:1px solid #eaeef2}
.row-detail:first-of-type{border-top:0}
.row-detail>details>summary,.observation summary{cursor:pointer;padding:10px 4px;display:flex;gap:10px;
align-items:center;flex-wrap:wrap}
summary{list-style:none}
summary::-webkit-details-marker{display:none}
.row-detail>details>summary::before,.observation summary::before{content:"";flex:none;
border-left:6px solid var(--muted);
border-top:5px solid transparent;border-bottom:5px solid transparent;transition:transform .12s}
details[open]>summary::before{transform:rotate(90deg)}
summary code{font-weight:600}
summary .sum{flex:1 1 320px;color:var(--ink)}
summary .count{color:var(--muted);font-size:12px}
details[open]>summary{border-bottom:1px dashed var(--line);margin-bottom:10px}
.meta{display:grid;gap:2px;margin:0 0 10px 4px;font-size:13px}
.meta div{display:grid;grid-template-columns:140px 1fr;gap:10px}
.evidence{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:8px;
padding:12px 14px;
margin:0 0 12px 4px;background:#fff}
.evidence[data-verdict=fail]{border-left-color:var(--fail)}
.evidence[data-verdict=error]{border-left-color:var(--error)}
.evidence[data-verdict=warn]{border-left-color:#d4a72c}
.evidence[data-verdict=pass]{border-left-color:#4ac26b}
.evidence[data-verdict=info]{border-left-color:#54aeff}
.ev-note{margin:0 0 10px}
.exchange{display:grid;grid-template-columns:1fr 1fr;gap:12px}
pre{margin:0;background:var(--soft);border:1px solid #eaeef2;border-radius:6px;padding:10px 12px;
font-size:12px;
line-height:1.45;white-space:pre-wrap;word-break:break-all;max-height:340px;overflow:auto}
pre .hdrs{color:var(--muted)}
.curl{margin-top:10px}
.curl pre{background:#1f2328;color:#e6edf3;border-color:#1f2328}
.as-text{margin-top:10px}
.as-text>summary{cursor:pointer;color:var(--muted);font-size:12px}
.cut{margin:4px 0 0;font-size:12px;color:var(--warn)}
.error-text{color:var(--fail);margin:0}
.muted{color:var(--muted)}
.lede{color:var(--muted);margin:-4px 0 12px}
.note-more{color:var(--muted);font-style:italic}
.observation{border-top:1px solid #eaeef2}
.observation:first-of-type{border-top:0}
footer{color:var(--muted);font-size:12px;padding-bottom:28px}
.is-hidden{display:none!important}
@media (max-width:900px){.overview,
.exchange{grid-template-columns:1fr}.chips{grid-template-columns:repeat(2,1fr)}
.verdict{font-size:38px}}
@media print{body{background:#fff}.card{box-shadow:none;break-inside:avoid}#filters{display:none}}
"""

# Progressive enhancement only: without it every row and every section is shown.
_JS = """
(function(){
  var bar=document.getElementById('filters'); if(!bar){return;}
  bar.hidden=false;
  var boxes=bar.querySelectorAll('input[type=checkbox]');
  function apply(){
    var shown={};
    boxes.forEach(function(b){shown[b.value]=b.checked;});
    document.querySelectorAll('tr[data-outcome],section.row-detail,.tile[data-outcome]').forEach(function(el){
      el.classList.toggle('is-hidden', shown[el.getAttribute('data-outcome')]===false);
    });
  }
  boxes.forEach(function(b){b.addEventListener('change',apply);});
})();
"""
