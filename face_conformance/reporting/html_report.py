"""`report.html`: one self-contained page a vendor can hand to a customer.

No external resource of any kind (inline CSS, system fonts, no images), readable without
JavaScript; the small inline script only adds outcome filters. Every piece of text goes through
`_e` (HTML escaping), because bodies come from servers the suite does not trust.

Stable hooks for tests and scripts: `#verdict[data-verdict]`, `#counts [data-outcome][data-count]`,
`tr[data-row-id][data-outcome]`, `section#row-<id>` holding `.evidence` blocks, `#observations`,
`#baseline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from face_conformance.cases.outcomes import BAD, MEANING, Outcome, Verdict, severity
from face_conformance.evidence.record import RunResult, operation_of
from face_conformance.reporting.common import (
    EVIDENCE_LIMIT,
    as_text,
    counts,
    entries_text,
    eyebrow_text,
    har_file,
    operation_text,
    row_level,
    row_page,
    run_line,
    target_items,
)
from face_conformance.reporting.failures import format_failure
from face_conformance.reporting.html_kit import CSS, esc, pill, request_html, response_html

FILENAME = "report.html"
_VERDICT_LABELS = {
    Verdict.CONFORMANT: "Conformant",
    Verdict.NON_CONFORMANT: "Non-conformant",
    Verdict.INCONCLUSIVE: "Inconclusive",
}


def render_html(result: RunResult) -> str:
    """The whole report page for a result dict."""
    rows = list(result.get("rows") or [])
    verdict = as_text(result.get("verdict")) or "unknown"
    title = f"Face conformance: {_VERDICT_LABELS.get(verdict, verdict)} · {operation_text(result)}"
    body = "\n".join(
        [
            _masthead(result, verdict),
            '<main class="wrap">',
            _overview(result, rows),
            _rows_table(rows),
            _details(rows, har_file(result)),
            _explored(result.get("explored") or []),
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
        f'<meta name="generator" content="face-conformance">\n<title>{esc(title)}</title>\n'
        f"<style>{CSS}</style>\n</head>\n"
        f'<body class="verdict-{esc(verdict)}">\n{body}\n<script>{_JS}</script>\n</body>\n</html>\n'
    )


# ---- header -------------------------------------------------------------------------------------


def _masthead(result: RunResult, verdict: str) -> str:
    label = _VERDICT_LABELS.get(verdict, verdict)
    reason = as_text(result.get("verdict_reason"))
    return (
        f'<header class="masthead v-{esc(verdict)}"><div class="wrap">'
        f'<p id="operation" class="eyebrow">Conformance report · {esc(eyebrow_text(operation_of(result)))}</p>'
        f'<h1 id="verdict" class="verdict" data-verdict="{esc(verdict)}">{esc(label)}</h1>'
        f'<p id="verdict-reason" class="reason">{esc(reason)}</p>'
        f'<p class="runline">{esc(run_line(result))}</p>'
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
        f"<div><dt>{esc(label)}</dt><dd>{esc(value)}</dd></div>" for label, value in target_items(result)
    )
    return f'<section id="target" class="card"><h2>Target</h2><dl class="facts">{items}</dl></section>'


def _counts(rows: list[Mapping[str, Any]]) -> str:
    chips = "".join(
        f'<li class="chip o-{esc(outcome)}{" zero" if n == 0 else ""}" data-outcome="{esc(outcome)}" '
        f'data-count="{n}" title="{esc(MEANING.get(outcome, ""))}">'
        f'<span class="n">{n}</span><span class="l">{esc(outcome)}</span></li>'
        for outcome, n in counts(rows).items()
    )
    return (
        f'<section id="counts" class="card"><h2>{len(rows)} rows</h2><ul class="chips">{chips}</ul></section>'
    )


def _matrix(rows: list[Mapping[str, Any]]) -> str:
    """Autobahn-style tiles: every row as a coloured cell, linking to its evidence."""
    tiles = "".join(
        f'<a class="tile o-{esc(row.get("outcome"))}" href="#row-{esc(row.get("id"))}" '
        f'data-outcome="{esc(row.get("outcome"))}" title="{esc(row.get("outcome"))}: {esc(row.get("summary"))}">'
        f"{esc(row.get('id'))}</a>"
        for row in rows
    )
    return f'<section id="matrix" class="card"><h2>Matrix</h2><div class="tiles">{tiles}</div></section>'


# ---- the table of rows --------------------------------------------------------------------------


def _rows_table(rows: list[Mapping[str, Any]]) -> str:
    present = [outcome for outcome, n in counts(rows).items() if n]
    boxes = "".join(
        f'<label class="o-{esc(o)}"><input type="checkbox" value="{esc(o)}" checked> {esc(o)}</label>'
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
        f'<tr data-row-id="{esc(row_id)}" data-outcome="{esc(outcome)}" data-level="{esc(row_level(row))}">'
        f'<td class="id"><a href="#row-{esc(row_id)}">{esc(row_id)}</a>{_expected(row)}</td>'
        f"<td>{_level(row)}</td>"
        f"<td>{pill(outcome)}</td>"
        f'<td class="page"><span class="zh" lang="zh">{esc(zh)}</span><span class="en">{esc(en)}</span></td>'
        f'<td class="summary">{esc(row.get("summary"))}</td>'
        f'<td class="num">{esc(row.get("requests", ""))}</td></tr>'
    )


def _expected(row: Mapping[str, Any]) -> str:
    """The documented status and code under the ID (`404 · PersonGroupNotFound`)."""
    parts = [as_text(row.get(key)) for key in ("status", "code") if row.get(key) not in (None, "")]
    return f'<span class="expect">{esc(" · ".join(parts))}</span>' if parts else ""


def _level(row: Mapping[str, Any]) -> str:
    level = row_level(row)
    return f'<span class="level l-{esc(level.replace("/", ""))}">{esc(level)}</span>'


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
        f'<section class="row-detail" id="row-{esc(row_id)}" data-row-id="{esc(row_id)}" '
        f'data-outcome="{esc(outcome)}"><details{is_open}><summary>{pill(outcome)}<code>{esc(row_id)}</code>'
        f"{_level(row)}"
        f'<span class="sum">{esc(row.get("summary"))}</span><span class="count">{esc(count)}</span></summary>'
        f"{_row_meta(row, har)}{items}</details></section>"
    )


def _row_meta(row: Mapping[str, Any], har: str) -> str:
    zh, en = row_page(row)
    facts = [("When", row.get("when")), ("Page", f"{zh} / {en}" if zh or en else None)]
    if row.get("outcome") == "accepted":
        facts.append(("Accepted because", row.get("accepted_reason") or "no reason given"))
        facts.append(("Documented in", row.get("accepted_source")))
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts if v)
    entries = [n for n in row.get("entries") or [] if isinstance(n, int)]
    if entries:
        items += (f'<div class="entries"><dt>Exchanges</dt><dd>entries {esc(entries_text(entries))} of '
                  f'<a href="{esc(har)}">{esc(har)}</a></dd></div>')
    return f'<dl class="meta">{items}</dl>' if items else ""


def _evidence(item: Mapping[str, Any], row: Mapping[str, Any] | None = None) -> str:
    """One evidence item; a failing one of a row also as the text the terminal and JUnit show."""
    verdict = item.get("verdict")
    entry = item.get("entry")
    where = f' <span class="entry">HAR entry {esc(entry)}</span>' if isinstance(entry, int) else ""
    parts = [f'<p class="ev-note">{pill(verdict)} {esc(item.get("note"))}{where}</p>']
    exchange = request_html(item.get("request")) + response_html(item.get("response"), item.get("error"))
    parts.append(f'<div class="exchange">{exchange}</div>')
    if item.get("curl"):
        parts.append(f'<div class="curl"><h4>Reproduce</h4><pre>{esc(item["curl"])}</pre></div>')
    if row is not None and str(verdict) in BAD:
        # The same block as the terminal and JUnit, to paste into a bug report as it is.
        parts.append(
            f'<details class="as-text"><summary>As text</summary><pre>{esc(format_failure(row, item))}</pre></details>'
        )
    return f'<div class="evidence" data-verdict="{esc(verdict)}">{"".join(parts)}</div>'


# ---- observations, baseline, footer -------------------------------------------------------------


def _explored(sections: list[Mapping[str, Any]]) -> str:
    """What the verdict rests on: per relation and dimension, the classes tried, their cost, the rows fed."""
    if not sections:
        return ""
    rows = "".join(_explored_row(s) for s in sections)
    return ('<section id="explored" class="card"><h2>What was explored</h2>'
            '<p class="lede">Relations and dimensions of the request space (the document\'s x-relations and '
            "x-dimensions): each class tried, the requests it cost and the rows it fed; and what was not "
            "tried, with why.</p>"
            '<table class="rows"><thead><tr><th>relation or dimension</th><th>classes tried</th>'
            "<th>requests</th><th>rows fed</th><th>not tried</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>")


def _explored_row(section: Mapping[str, Any]) -> str:
    classes = list(section.get("classes") or [])
    fed: dict[str, str] = {}
    for cls in classes:
        for row, verdict in (cls.get("rows") or {}).items():
            fed[row] = verdict if row not in fed or severity(verdict) < severity(fed[row]) else fed[row]
    tried = ", ".join(f"{as_text(c.get('class'))} ({as_text(c.get('requests'))})" for c in classes) or "none"
    missing = ", ".join(as_text(m) for m in section.get("not_tried") or [])
    why = f' <span class="muted">{esc(section.get("why_not_tried"))}</span>' if missing else ""
    return (f'<tr data-explored="{esc(section.get("name"))}"><td>{esc(section.get("section"))} '
            f'<code>{esc(section.get("name"))}</code></td><td>{esc(tried)}</td>'
            f'<td>{esc(section.get("requests"))}</td><td>{" ".join(pill(v) + " " + esc(r) for r, v in fed.items())}'
            f"</td><td>{esc(missing or '—')}{why}</td></tr>")


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
        f' <span class="muted">on <a href="#row-{esc(obs.get("row"))}">{esc(obs.get("row"))}</a></span>'
        if obs.get("row")
        else ""
    )
    return (
        f'<div class="observation" data-observation-id="{esc(obs.get("id"))}">'
        f"<details><summary>{pill(Outcome.INFO)}<code>{esc(obs.get('id'))}</code>{row}"
        f'<span class="sum">{esc(obs.get("summary"))}</span></summary>{items}</details></div>'
    )


def _baseline(baseline: Mapping[str, Any] | None) -> str:
    if not baseline:
        return ""
    stale = list(baseline.get("stale") or [])
    head = f'<p class="lede">Baseline file: <code>{esc(baseline.get("file"))}</code>.</p>'
    if not stale:
        matched = '<p class="muted">Every entry matched.</p>'
        return f'<section id="baseline" class="card"><h2>Baseline</h2>{head}{matched}</section>'
    rows = "".join(
        f'<tr class="stale" data-row-id="{esc(entry.get("row"))}"><td class="id">{esc(entry.get("row"))}</td>'
        f"<td><code>{esc(entry.get('seen'))}</code></td><td>{esc(entry.get('why'))}</td></tr>"
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
        f'<footer class="wrap">Generated by {esc(name)}. Subscription keys are never written to reports '
        "(shown as ***). The full record of this run is in conformance.json next to this file.</footer>"
    )


def write_html(result: RunResult, report_dir: Path) -> Path:
    """Write `report.html` into `report_dir` and return its path."""
    path = report_dir / FILENAME
    path.write_text(render_html(result), encoding="utf-8")
    return path


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
