"""The HTML pieces `report.html` and `diff.html` share: the stylesheet, escaping, outcome pills and
the request and response blocks of an exchange. Every value from a server is escaped here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from face_conformance.evidence.redaction import BODY_EXCERPT_CHARS, excerpt
from face_conformance.reporting.common import HEADERS_LIMIT, as_text, headers_text, xml_safe


def esc(value: Any) -> str:
    """Any value as HTML-escaped text (quotes too, so it is safe in attributes), controls made visible."""
    return html.escape(xml_safe(as_text(value)), quote=True)


def pill(outcome: Any) -> str:
    """An outcome as a coloured label."""
    return f'<span class="pill o-{esc(outcome)}">{esc(outcome)}</span>'


def request_html(request: Mapping[str, Any] | None) -> str:
    """The request of an exchange record as a block."""
    if not request:
        return '<div class="half"><h4>Request</h4><p class="muted">Not recorded.</p></div>'
    line = f"{as_text(request.get('method'))} {as_text(request.get('url'))}".strip()
    return _message_block("Request", line, request.get("headers"), request.get("body"), truncated=False)


def response_html(response: Mapping[str, Any] | None, error: Any) -> str:
    """The response of an exchange record (or why there is none) as a block."""
    if not response:
        why = f"No answer: {as_text(error)}" if error else "No answer recorded."
        return f'<div class="half"><h4>Response</h4><p class="error-text">{esc(why)}</p></div>'
    block = _message_block(
        "Response",
        f"HTTP {as_text(response.get('status'))}",
        response.get("headers"),
        response.get("body"),
        truncated=bool(response.get("truncated")),
    )
    if error:
        block += f'<p class="error-text">{esc(error)}</p>'
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
    body_html = esc(body_text) if body_text else '<span class="muted">(empty body)</span>'
    head_html = f'<span class="hdrs">{esc(head_text)}</span>\n' if head_text else ""
    cut = "".join(f'<p class="cut">{esc(n)}</p>' for n in notes)
    return (
        f'<div class="half"><h4>{esc(title)}</h4>'
        f'<pre class="http"><b>{esc(first_line)}</b>\n{head_html}\n{body_html}</pre>{cut}</div>'
    )


#: The stylesheet of both reports (inline: each report is one self-contained file).
CSS = """
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
