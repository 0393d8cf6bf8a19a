"""Findings: one verdict on one row, with its note and the exchange that showed it, and its report record."""

from __future__ import annotations

from dataclasses import dataclass

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import BAD, Outcome
from face_conformance.evidence.exchange import Exchange
from face_conformance.evidence.record import EvidenceRecord


@dataclass(frozen=True)
class Finding:
    """One verdict on one row, with the note that explains it and the exchange that showed it."""

    row: str
    verdict: Outcome  # pass, fail, warn, info, error or not-observed
    note: str
    exchange: Exchange | None = None


def evidence_record(finding: Finding) -> EvidenceRecord:
    """The report's record of a finding: its exchange redacted and excerpted, or only its note."""
    if finding.exchange is not None:
        return finding.exchange.to_dict(finding.verdict, finding.note)
    return {"verdict": finding.verdict, "note": finding.note, "request": None, "response": None, "error": None,
            "curl": ""}


def failing(findings: list[Finding]) -> list[Finding]:
    """The findings that fail a test: fails of MUST rows, and errors of the suite."""
    # A SHOULD row never fails a test: its failure is a warning in the report.
    return [f for f in findings if f.verdict in BAD and catalogue.row(f.row).level != "SHOULD"]
