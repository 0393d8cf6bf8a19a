"""The terminal summary after a run: one line per row, the failures' evidence, the verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from face_conformance.cases.outcomes import BAD, UNTESTED, Outcome, Verdict
from face_conformance.evidence.record import RunResult
from face_conformance.reporting.common import operation_text
from face_conformance.reporting.diff_report import operation_words
from face_conformance.reporting.failures import format_failure

STYLE: dict[Outcome, str] = {
    Outcome.PASS: "green",
    Outcome.FAIL: "bold red",
    Outcome.WARN: "yellow",
    Outcome.INFO: "cyan",
    Outcome.ACCEPTED: "magenta",
    Outcome.NOT_OBSERVED: "dim",
    Outcome.NOT_APPLICABLE: "dim",
    Outcome.ERROR: "bold red",
}
VERDICT_STYLE = {Verdict.CONFORMANT: "bold green", Verdict.NON_CONFORMANT: "bold red",
                 Verdict.INCONCLUSIVE: "bold yellow"}


def print_summary(result: RunResult, report_dir: Path, console: Console | None = None) -> None:
    """Print the row table, the first evidence of each failed row, and the verdict line."""
    console = console or Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = max(console.width, 140)  # CI logs: keep each row on one line
    target = result.get("target", {})
    table = Table(title=f"face-conformance: {escape(operation_text(result))} on {target.get('endpoint')} "
                        f"({target.get('mode')}, {target.get('profile')} profile)", show_lines=False)
    for column in ("row", "level", "outcome", "requests", "summary"):
        table.add_column(column, overflow="fold")
    for row in result["rows"]:
        outcome = row["outcome"]
        # Summaries quote what servers sent: escaped, so a `[/x]` in a body cannot break the markup.
        table.add_row(row["id"], row["level"], f"[{STYLE.get(outcome, '')}]{outcome}[/]", str(row.get("requests", 0)),
                      escape(row["summary"]))
    tested = any(r["outcome"] not in UNTESTED for r in result["rows"])
    if tested or result["verdict"] != Verdict.INCONCLUSIVE:
        console.print(table)
    for row in result["rows"]:
        if row["outcome"] in BAD:
            _print_failure(console, row)
    for obs in result.get("observations", []):
        console.print(f"[cyan]info[/] {obs['id']}: {escape(obs['summary'])}")
    verdict = result["verdict"]
    console.print(f"\nverdict: [{VERDICT_STYLE.get(verdict, '')}]{verdict}[/] ({result.get('verdict_reason')}); "
                  f"{result.get('requests')} requests in {result.get('duration_s')} s")
    console.print(f"operation: {escape(operation_text(result))}")
    recording = ", exchanges.har" if (Path(report_dir) / "exchanges.har").is_file() else ""
    console.print(f"reports: {report_dir}/conformance.json, junit.xml, report.html, summary.md{recording}")


def _print_failure(console: Console, row: dict[str, Any]) -> None:
    """The row's first failing evidence, laid out as everywhere else (`failures.format_failure`)."""
    evidence = next((e for e in row.get("evidence", []) if e.get("verdict") in BAD), None)
    block = Text(format_failure(row, evidence))  # Text, not markup: a server's body may hold `[red]`
    block.stylize(STYLE.get(row["outcome"], "bold"), 0, block.plain.find(" "))
    console.print()
    console.print(block, soft_wrap=True)  # never wrapped: the reproduce line must paste as one command


def print_diff(record: dict[str, Any], report_dir: Path) -> None:
    """The terminal's account of a diff: both sides, the count per class, every regression."""
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"operation: {escape(operation_words(record))}")
    for name in ("a", "b"):
        side = record[name]
        console.print(f"{name.upper()}: {escape(str(side['label']))} ({side['verdict']}, {side['requests']} requests)")
    console.print(" · ".join(f"{kind} {n}" for kind, n in record["counts"].items()))
    for row in record["rows"]:
        if row["class"] == "regression":
            console.print(f"[red]regression[/] {row['id']}: A {row['a']}, B {row['b']}")
    for probe in record["probes"]:
        if probe["class"] == "regression":
            console.print(f"[red]regression[/] step {probe['step']} ({escape(str(probe['label']))}): "
                          f"{escape(str(probe['why']))}")
    console.print(f"\ndiff: {record['verdict']} ({escape(str(record['verdict_reason']))})")
    console.print(f"reports: {report_dir}/diff.json, diff.md, diff.html")
