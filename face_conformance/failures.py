"""One formatter for failures: the row, what the page requires, what came back, and a curl line."""

from __future__ import annotations

from . import catalogue
from .evidence import hide_secrets
from .oracle import Finding

BAD = ("fail", "error")


def format_finding(finding: Finding) -> str:
    """A failure as a person reads it: row and level, the requirement, the evidence, the reproduction."""
    row = catalogue.row(finding.row)
    lines = [f"[{row.id}] {row.level} {finding.verdict.upper()}: {row.when}", f"  found:     {finding.note}"]
    exchange = finding.exchange
    if exchange is not None:
        lines.append(f"  sent:      {exchange.request.method} {exchange.request.url}")
        lines.append(f"  received:  {exchange.describe_answer()}")
        lines.append(f"  reproduce: {exchange.curl()}")
    return hide_secrets("\n".join(lines))


def failing(findings: list[Finding]) -> list[Finding]:
    """The findings that fail a test: fails of MUST rows, and errors of the suite."""
    return [f for f in findings if f.verdict in BAD and catalogue.row(f.row).level != "SHOULD"]


def failure_text(findings: list[Finding]) -> str | None:
    """The message of a failed test, or None when nothing failed."""
    bad = failing(findings)
    if not bad:
        return None
    return "\n\n".join(format_finding(f) for f in bad)


def assert_held(findings: list[Finding]) -> None:
    """Fail the current test with the evidence when any finding failed (no Python traceback)."""
    import pytest

    text = failure_text(findings)
    if text:
        pytest.fail(text, pytrace=False)
