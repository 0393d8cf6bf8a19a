"""The ledger: every finding of a run, folded into one outcome per row and one verdict."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import Outcome, Verdict, severity
from face_conformance.evidence.record import RowRecord
from face_conformance.judging.findings import Finding, evidence_record

# How many exchanges a row keeps per verdict: enough to show, few enough to read.
EVIDENCE_KEPT: dict[str, int] = {Outcome.FAIL: 5, Outcome.ERROR: 3, Outcome.WARN: 3, Outcome.INFO: 3,
                                 Outcome.PASS: 2, Outcome.NOT_OBSERVED: 2}
NOT_OBSERVED_WHY = {
    "when-seen": "not seen in this run: the server never answered so (it cannot be provoked at will)",
    "training": "training was never seen running (it finished too fast to see, or this run does not train)",
    "always": "no request of this run could reach this row",
}


@dataclass
class Observation:
    """Undocumented or open behaviour, reported as INFO and never failed (docs/contract.md point 12)."""

    id: str
    row: str | None
    summary: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


class Ledger:
    """Collects findings from every test and thread; folds them into the report's rows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.first_note: dict[tuple[str, str], str] = {}
        self.observations: dict[str, Observation] = {}
        self.not_observed_why: dict[str, str] = {}
        self.stop_reason: str | None = None
        self.stop_kind: str | None = None  # "inconclusive" | "unresponsive"
        self.findings: list[Finding] = []

    def add(self, finding: Finding) -> None:
        """Record one finding (thread-safe)."""
        with self._lock:
            self.findings.append(finding)
            self.counts[finding.row][finding.verdict] += 1
            self.first_note.setdefault((finding.row, finding.verdict), finding.note)
            kept = [e for e in self.evidence[finding.row] if e["verdict"] == finding.verdict]
            if finding.exchange is not None and len(kept) < EVIDENCE_KEPT.get(finding.verdict, 2):
                self.evidence[finding.row].append(evidence_record(finding))
            elif finding.exchange is None and not kept and finding.verdict != Outcome.PASS:
                self.evidence[finding.row].append(evidence_record(finding))

    def extend(self, findings: list[Finding]) -> None:
        """Record several findings."""
        for finding in findings:
            self.add(finding)

    def observe(self, obs_id: str, row: str | None, summary: str, evidence: dict[str, Any] | None = None) -> None:
        """Record an INFO observation once per ID (the first sighting is kept)."""
        with self._lock:
            if obs_id not in self.observations:
                self.observations[obs_id] = Observation(obs_id, row, summary, [evidence] if evidence else [])

    def unreachable(self, row_id: str, why: str) -> None:
        """Say why a row could not be observed in this run."""
        with self._lock:
            self.not_observed_why.setdefault(row_id, why)

    def stop(self, kind: str, reason: str) -> None:
        """Mark the run as stopped early, and why."""
        with self._lock:
            if self.stop_reason is None:
                self.stop_kind, self.stop_reason = kind, reason

    # -----------------------------------------------------------------------------------------

    def outcome(self, row: catalogue.Row) -> tuple[str, str]:
        """(outcome, summary) of one row."""
        if row.level == "N/A":
            return Outcome.NOT_APPLICABLE.value, row.reason or "not applicable to this operation"
        counts = self.counts.get(row.id, Counter())
        # The first of these verdicts that was seen decides the row (a SHOULD row's fail is a warning).
        for verdict in (Outcome.FAIL, Outcome.ERROR, Outcome.WARN, Outcome.PASS, Outcome.INFO):
            if counts[verdict]:
                outcome = Outcome.WARN if verdict == Outcome.FAIL and row.level == "SHOULD" else verdict
                return outcome.value, self._summary(row.id, verdict.value, counts)
        why = self.not_observed_why.get(row.id) or NOT_OBSERVED_WHY.get(row.observe, NOT_OBSERVED_WHY["always"])
        if self.stop_reason and row.id not in self.not_observed_why:
            why = "not reached: the run stopped early (see the verdict)"
        return Outcome.NOT_OBSERVED.value, why

    def _summary(self, row_id: str, verdict: str, counts: Counter[str]) -> str:
        total = sum(counts.values())
        note = self.first_note.get((row_id, verdict), "")
        if verdict == "pass":
            extra = ", ".join(f"{counts[v]} {v}" for v in ("warn", "info") if counts[v])
            return f"held in {counts['pass']} checks" + (f" ({extra})" if extra else "")
        return f"{counts[verdict]} of {total} checks {verdict}: {note}"

    def rows(self, requests_by_row: dict[str, int] | None = None) -> list[RowRecord]:
        """Every catalogue row exactly once, with its outcome, summary and evidence."""
        out = []
        entries = self.entries_by_row()
        for row in catalogue.rows():
            outcome, summary = self.outcome(row)
            out.append({
                "id": row.id, "level": row.level, "outcome": outcome, "summary": summary,
                "requests": (requests_by_row or {}).get(row.id, 0),
                "status": row.status, "code": row.code, "when": row.when,
                "page": {"zh": row.page_zh, "en": row.page_en},
                "evidence": sorted(self.evidence.get(row.id, []), key=_evidence_rank),
                "entries": entries.get(row.id, []),
            })
        return out

    def entries_by_row(self) -> dict[str, list[int]]:
        """For each row, the exchanges (entries of exchanges.har) judged on it, in order."""
        with self._lock:
            found: dict[str, set[int]] = defaultdict(set)
            for f in self.findings:
                if f.exchange is not None and f.exchange.entry is not None:
                    found[f.row].add(f.exchange.entry)
        return {row: sorted(numbers) for row, numbers in found.items()}

    def judged(self) -> dict[int, list[tuple[str, str]]]:
        """For each entry of exchanges.har, the (row, verdict) pairs found on it, in the order found."""
        with self._lock:
            out: dict[int, list[tuple[str, str]]] = defaultdict(list)
            for f in self.findings:
                if f.exchange is not None and f.exchange.entry is not None:
                    out[f.exchange.entry].append((f.row, str(f.verdict)))
        return out


def _evidence_rank(item: dict[str, Any]) -> int:
    return severity(item["verdict"])


def verdict(rows: list[RowRecord], *, strict: bool, stop_kind: str | None, stop_reason: str | None
            ) -> tuple[Verdict, str]:
    """(verdict, one-line reason) from the folded rows and how the run ended."""
    failing = [r["id"] for r in rows if r["outcome"] == Outcome.FAIL
               or (strict and r["outcome"] == Outcome.WARN)]
    errors = [r["id"] for r in rows if r["outcome"] == Outcome.ERROR]
    if failing:
        # A row seen broken is broken, even if the run then stopped (quota, silence, interrupt).
        what = "MUST or SHOULD (--strict)" if strict else "MUST"
        stopped = f"; then the run stopped: {stop_reason}" if stop_reason else ""
        return Verdict.NON_CONFORMANT, f"{len(failing)} {what} row(s) failed: {', '.join(failing)}{stopped}"
    if stop_kind == "inconclusive":
        return Verdict.INCONCLUSIVE, stop_reason or "the run could not reach a verdict"
    if stop_kind == "unresponsive" or errors:
        why = stop_reason or f"the suite could not judge {', '.join(errors)}"
        return Verdict.INCONCLUSIVE, why
    warned = [r["id"] for r in rows if r["outcome"] == Outcome.WARN]
    unseen = [r["id"] for r in rows if r["outcome"] == Outcome.NOT_OBSERVED and r["level"] == "MUST"]
    tail = f"; warnings on {', '.join(warned)}" if warned else ""
    if unseen:
        tail += f"; {len(unseen)} MUST row(s) not observed: {', '.join(unseen)}"
    return Verdict.CONFORMANT, f"every MUST row observed held{tail}" if unseen else f"every MUST row held{tail}"
