"""The terminal summary after a run: one line per row, the failures' evidence, the verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "info": "cyan", "accepted": "magenta",
         "not-observed": "dim", "not-applicable": "dim", "error": "bold red"}
VERDICT_STYLE = {"conformant": "bold green", "non-conformant": "bold red", "inconclusive": "bold yellow"}


def print_summary(result: dict[str, Any], report_dir: Path, console: Console | None = None) -> None:
    """Print the row table, the first evidence of each failed row, and the verdict line."""
    console = console or Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = max(console.width, 140)  # CI logs: keep each row on one line
    target = result.get("target", {})
    table = Table(title=f"face-conformance: {target.get('endpoint')} ({target.get('mode')}, "
                        f"{target.get('profile')} profile)", show_lines=False)
    for column in ("row", "level", "outcome", "requests", "summary"):
        table.add_column(column, overflow="fold")
    for row in result["rows"]:
        outcome = row["outcome"]
        table.add_row(row["id"], row["level"], f"[{STYLE.get(outcome, '')}]{outcome}[/]", str(row.get("requests", 0)),
                      row["summary"])
    tested = any(r["outcome"] not in ("not-observed", "not-applicable") for r in result["rows"])
    if tested or result["verdict"] != "inconclusive":
        console.print(table)
    for row in result["rows"]:
        if row["outcome"] in ("fail", "error"):
            _print_failure(console, row)
    for obs in result.get("observations", []):
        console.print(f"[cyan]info[/] {obs['id']}: {obs['summary']}")
    verdict = result["verdict"]
    console.print(f"\nverdict: [{VERDICT_STYLE.get(verdict, '')}]{verdict}[/] ({result.get('verdict_reason')}); "
                  f"{result.get('requests')} requests in {result.get('duration_s')} s")
    console.print(f"reports: {report_dir}/conformance.json, junit.xml, report.html, summary.md")


def _print_failure(console: Console, row: dict[str, Any]) -> None:
    evidence = next((e for e in row.get("evidence", []) if e.get("verdict") in ("fail", "error")), None)
    console.print(f"\n[bold red]{row['outcome'].upper()}[/] [bold]{row['id']}[/] ({row['level']}): {row['when']}")
    if evidence is None:
        console.print(f"  {row['summary']}")
        return
    console.print(f"  found:     {evidence.get('note')}", markup=False)
    response = evidence.get("response")
    received = f"HTTP {response['status']}: {response['body'][:200]!r}" if response else evidence.get("error")
    console.print(f"  received:  {received}", markup=False)
    if evidence.get("curl"):
        console.print(f"  reproduce: {evidence['curl']}", markup=False)
