"""Schemathesis cases from the OpenAPI document, sent through the suite's own client.

Schemathesis generates the PATCH's cases (examples, coverage boundaries, fuzzing; positive and
negative). Each case is steered onto the provisioned resources (`steer.py`), sent through the
runner (the one httpx seam), judged by the oracle, and also by schemathesis's own checks, whose
failures are mapped onto rows.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from face_conformance import catalogue, oracle
from face_conformance.evidence import Exchange
from face_conformance.failures import assert_held
from face_conformance.oracle import Finding
from face_conformance.runner import Runner
from face_conformance.steer import probe_from_case

# Schemathesis's checks, and the row each one's failure breaks.
CHECK_ROWS = {
    not_a_server_error: oracle.DOCUMENTED_STATUS,
    status_code_conformance: oracle.DOCUMENTED_STATUS,
    response_schema_conformance: oracle.ENVELOPE,
}


@pytest.fixture(scope="session")
def face_schema(settings) -> schemathesis.BaseSchema:
    """The OpenAPI document as schemathesis sees it, seeded for repeatable runs."""
    if settings.profile == "smoke":
        pytest.skip("generated cases belong to --profile full")
    config = schemathesis.Config.from_dict({
        "seed": settings.seed if settings.seed is not None else 0,
        "generation": {"mode": "all", "max-examples": 12 if settings.mode == "live" else 60,
                       "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    })
    return schemathesis.openapi.from_dict(catalogue.load_document(), config=config)


schema = schemathesis.pytest.from_fixture("face_schema").include(operation_id="updatePersonFace")


@pytest.mark.row("x.documented-status")
@schema.parametrize()
def test_generated_case(runner: Runner, case: schemathesis.Case) -> None:
    """A generated PATCH case gets a documented answer for what it is, with no side effect on error."""
    if case.method.upper() != "PATCH":
        return  # other methods are Get Face or undocumented: the suite judges the PATCH only
    if not runner.spend_check((oracle.DOCUMENTED_STATUS,)):
        return  # budget spent: the row says so in the report; the remaining cases are not sent
    probe = probe_from_case(case, runner.world)
    findings = runner.run(probe)
    exchange = next((f.exchange for f in findings if f.exchange is not None and f.exchange.request.method == "PATCH"),
                    None)
    if exchange is not None and exchange.answer is not None:
        extra = schemathesis_findings(case, exchange)
        runner.ledger.extend(extra)
        findings += extra
    assert_held(findings)


def schemathesis_findings(case: schemathesis.Case, exchange: Exchange) -> list[Finding]:
    """Run schemathesis's own checks on the answer; each failure becomes a finding on its row."""
    answer = exchange.answer
    assert answer is not None
    request = httpx.Request(exchange.request.method, exchange.request.url, headers=list(exchange.request.headers),
                            content=exchange.request.body)
    response = httpx.Response(answer.status, headers=list(answer.headers), content=answer.body, request=request)
    # httpx sets elapsed only on responses its client streamed; this one is rebuilt from evidence.
    response._elapsed = dt.timedelta(seconds=answer.elapsed_s)
    checks = [check for check, row in CHECK_ROWS.items()
              if not (row == oracle.ENVELOPE and not 400 <= answer.status < 500)]
    try:
        # One call for all checks (each call costs about half a millisecond of set-up); only when
        # something fails are they run one by one, to put each failure on its own row.
        case.validate_response(response, checks=checks)
        return []
    except (AssertionError, FailureGroup):  # schemathesis 4 raises a FailureGroup, even for one failure
        pass
    findings = []
    for check in checks:
        try:
            case.validate_response(response, checks=[check])
        except (AssertionError, FailureGroup) as exc:
            title = _title(exc)
            findings.append(Finding(CHECK_ROWS[check], "fail", f"schemathesis {check.__name__}: {title}", exchange))
    return findings


def _title(exc: BaseException) -> str:
    """The first line that names a check's failure (a group names its first member's title)."""
    first = exc.exceptions[0] if isinstance(exc, FailureGroup) and exc.exceptions else exc
    text = str(getattr(first, "title", "") or first).strip()
    return text.splitlines()[0] if text else type(first).__name__
