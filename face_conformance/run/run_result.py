"""The result record of a finished run or replay: the ledger folded into rows and a verdict."""

from __future__ import annotations

import time
from typing import Any

from face_conformance import __version__
from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import EXIT
from face_conformance.config.settings import Settings
from face_conformance.evidence.record import RunResult, operation_record
from face_conformance.evidence.run_record import RunRecord
from face_conformance.judging.ledger import Ledger, verdict
from face_conformance.run.explored import explored


def now_iso() -> str:
    """Now, as the result record's `started` gives it (UTC, to the second)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def build_result(settings: Settings, run: RunRecord, ledger: Ledger, *, started: str, duration_s: float,
                 interrupted: bool = False, mode: str | None = None,
                 recorded: dict[str, Any] | None = None) -> RunResult:
    """The result dict of docs/contract.md (and the reports' extra fields): `ledger` folded, `run` counted.

    `mode` overrides the target's mode ("replay" for `judge`), and `recorded` says which run a
    replay re-judged.
    """
    if interrupted:
        ledger.stop("inconclusive", "the run was interrupted")
    rows = ledger.rows(dict(run.requests_by_purpose))
    baseline_info = None
    if settings.baseline:
        from face_conformance.judging.baseline import apply_baseline, load_baseline

        rows, stale = apply_baseline(rows, load_baseline(settings.baseline))
        baseline_info = {"file": str(settings.baseline), "stale": stale}
    name, reason = verdict(rows, strict=settings.strict, stop_kind=ledger.stop_kind, stop_reason=ledger.stop_reason)
    target: dict[str, Any] = {
        "endpoint": run.target, "mode": mode or settings.mode, "profile": settings.profile,
        "seed": settings.seed, "started": started, "strict": settings.strict,
        "strict_messages": settings.strict_messages,
        "run": "bring-your-own" if settings.bring_your_own else "provisioned",
        **({"face image": settings.face_source} if settings.mode == "live" and not settings.bring_your_own
           else {}),
    }
    if recorded is not None:
        target["recorded"] = recorded
    return {
        "suite": {"name": "face-conformance", "version": __version__},
        "operation": operation_record(settings.target),
        "target": target,  # type: ignore[typeddict-item]
        "verdict": name,
        "verdict_reason": reason,
        "exit_code": int(EXIT[name]),
        "requests": run.requests,
        "requests_by_purpose": dict(sorted(run.requests_by_purpose.items())),
        "duration_s": round(duration_s, 2),
        "rows": rows,
        "observations": [vars(o) for o in ledger.observations.values()],
        "baseline": baseline_info,
        "restored": run.restored,
        "row_count": len(catalogue.row_ids()),
        "explored": explored(run, profile=settings.profile, mode=settings.mode),
    }
