"""A hand-built result record (`conformance.json`'s shape) for the reporting, baseline and browser tests.

`sample_result()` holds every catalogue row once, failures with evidence, a hostile body
(`<script>`, control characters, 50,000 characters) and a timeout, so that each report format is
tested against what a misbehaving server can send. Both tiers import it.
"""

from __future__ import annotations

import json
from typing import Any

from face_conformance.cases import catalogue

ENDPOINT = "http://127.0.0.1:8080"
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
HUGE_LEN = 50_000
PATCH_URL = ENDPOINT + "/face/v1.0/persongroups/conformance-ab12/persons/{p}/persistedFaces/{f}"

# Outcomes the sample gives to some rows; every other row passes.
SAMPLE_OUTCOMES = {
    "400.userdata-too-long": "fail",
    "401.invalid-key": "fail",
    "415.media-type": "fail",
    "400.name-too-long": "not-applicable",
    "403.quota": "not-observed",
    "409.concurrent": "not-observed",
    "429.rate-limit": "accepted",
    "x.lookup-order": "warn",
    "x.concurrent-writes": "error",
    "x.read-after-write": "info",
}


def evidence(
    verdict: str,
    note: str,
    status: int | None,
    body: Any = "",
    *,
    error: str | None = None,
    request_body: str = '{"userData": "x"}',
) -> dict[str, Any]:
    """One evidence item as the engine records it (key already shown as ***)."""
    url = PATCH_URL.format(p="6f1c2d1e-0000-4000-8000-000000000001", f="6f1c2d1e-0000-4000-8000-000000000002")
    return {
        "verdict": verdict,
        "note": note,
        "request": {
            "method": "PATCH",
            "url": url,
            "headers": {"Ocp-Apim-Subscription-Key": "***", "Content-Type": "application/json"},
            "body": request_body,
        },
        "response": None
        if status is None
        else {
            "status": status,
            "headers": {"Content-Type": "application/json; charset=utf-8"},
            "body": body if isinstance(body, str) else json.dumps(body),
            "truncated": False,
        },
        "error": error,
        "curl": f"curl -X PATCH '{url}' -H 'Ocp-Apim-Subscription-Key: ***' -d '{request_body}'",
    }


def _row_evidence(row_id: str, outcome: str) -> list[dict[str, Any]]:
    if row_id == "400.userdata-too-long":
        hostile = HOSTILE + "\x00\x07" + "A" * HUGE_LEN
        return [
            evidence("pass", "1024 bytes accepted", 200, ""),
            evidence("fail", "expected 400 BadArgument for 1025 code points; got 200", 200, hostile),
        ]
    if row_id == "401.invalid-key":
        body = {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}}
        return [evidence("fail", "expected code Unspecified; got '401'", 401, body)]
    if row_id == "415.media-type":
        return [evidence("fail", "no answer for text/plain", None, error="timeout after 30 s")]
    if row_id == "429.rate-limit":
        body = {"error": {"code": "429", "message": "Rate limit is exceeded. Try again in 2 seconds."}}
        return [evidence("fail", "expected error.statusCode 429", 429, body)]
    if row_id == "x.lookup-order":
        body = {"error": {"code": "PersonNotFound", "message": "Person ID not found."}}
        return [evidence("warn", "expected PersonGroupNotFound first", 404, body)]
    if outcome in ("not-applicable", "not-observed", "error"):
        return []
    return [evidence(outcome if outcome in ("pass", "info") else "pass", f"{row_id} as documented", 200, "")]


def _row(known: catalogue.Row) -> dict[str, Any]:
    outcome = SAMPLE_OUTCOMES.get(known.id, "pass")
    row: dict[str, Any] = {
        "id": known.id,
        "level": known.level,
        "outcome": outcome,
        "summary": f"{known.id}: {outcome} | with a pipe",
        "requests": 2,
        "status": known.status,
        "code": known.code,
        "when": known.when,
        "page": {"zh": known.page_zh, "en": known.page_en},
        "evidence": _row_evidence(known.id, outcome),
    }
    if outcome == "accepted":
        row["accepted_reason"] = "Azure sends code '429' without statusCode"
    if outcome == "error":
        row["summary"] = "suite error: KeyError 'persistedFaceId'"
    return row


def sample_result(**overrides: Any) -> dict[str, Any]:
    """A complete non-conformant result: every catalogue row once, in catalogue order."""
    result: dict[str, Any] = {
        "suite": {"name": "face-conformance", "version": "0.1.0"},
        "target": {
            "endpoint": ENDPOINT,
            "mode": "live",
            "profile": "full",
            "seed": 123,
            "started": "2026-11-27T23:40:00Z",
            "strict": False,
            "strict_messages": False,
        },
        "verdict": "non-conformant",
        "verdict_reason": "3 MUST rows failed: 400.userdata-too-long, 401.invalid-key, 415.media-type",
        "exit_code": 1,
        "requests": 42,
        "duration_s": 3.14,
        "rows": [_row(known) for known in catalogue.rows()],
        "observations": [
            {
                "id": "info.userdata-reading",
                "row": "400.userdata-too-long",
                "summary": "userData limit is read as 1024 code points",
                "evidence": [evidence("info", "1025 bytes, 1024 code points: 200", 200, "")],
            }
        ],
        "baseline": {
            "file": "baselines/azure-current.yaml",
            "stale": [{"row": "403.quota", "seen": {"status": 403}, "why": "old quota shape"}],
        },
    }
    result.update(overrides)
    return result
