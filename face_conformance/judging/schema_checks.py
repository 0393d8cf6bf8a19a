"""Schemathesis's own checks on an answer, each failure put on the row it breaks.

A generated case's answer is judged by the oracle and, as a second opinion, by schemathesis's
checks against the OpenAPI document: a pure function of the exchange, like every judgement, so
that a recorded run is re-judged by them too.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import Outcome
from face_conformance.evidence.exchange import Exchange
from face_conformance.judging.findings import Finding
from face_conformance.judging.oracle import DOCUMENTED_STATUS, ENVELOPE, version_code

OPERATION_ID = "updatePersonFace"
#: The PATCH path's parameters: /face/v1.0/persongroups/{0}/persons/{1}/persistedFaces/{2}.
PATH_NAMES = ("personGroupId", "personId", "persistedFaceId")


@cache
def _checks() -> dict[Any, str]:
    """Schemathesis's checks, and the row each one's failure breaks (imported once, when first needed)."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    return {not_a_server_error: DOCUMENTED_STATUS, status_code_conformance: DOCUMENTED_STATUS,
            response_schema_conformance: ENVELOPE}


@cache
def _operation() -> Any:
    import schemathesis

    schema = schemathesis.openapi.from_dict(catalogue.load_document())
    return next(result.ok() for result in schema.get_all_operations()
                if result.ok().definition.raw.get("operationId") == OPERATION_ID)


def _case(url: str) -> Any:
    """A case of the PATCH operation at this URL: the checks read its operation and its path's IDs."""
    segments = urlsplit(url).path.split("/")
    if len(segments) < 9:  # an operation of the family without a person: /face/v/collection/{id}/faces/{face}
        segments = segments[:5] + ["persons", ""] + segments[5:]
    ids = dict(zip(PATH_NAMES, (segments[i] if len(segments) > i else "" for i in (4, 6, 8)), strict=True))
    return _operation().Case(method="PATCH", path_parameters=ids)


def findings(exchange: Exchange) -> list[Finding]:
    """Schemathesis's checks on the answer; each failure becomes a finding on its row ([] without an answer)."""
    from schemathesis.core.failures import FailureGroup

    answer = exchange.answer
    if answer is None:
        return []
    request = httpx.Request(exchange.request.method, exchange.request.url, headers=list(exchange.request.headers),
                            content=exchange.request.body)
    response = httpx.Response(answer.status, headers=list(answer.headers), content=answer.body, request=request)
    # httpx sets elapsed only on responses its client streamed; this one is rebuilt from evidence.
    response._elapsed = dt.timedelta(seconds=answer.elapsed_s)
    case = _case(exchange.request.url)
    # The document models the page's shapes; an API version's own error shape (v1.2's 429 with a
    # code) is judged by the oracle's envelope check alone.
    own_shape = version_code(answer.status, answer.error_field("code"))
    checks = [check for check, row in _checks().items()
              if not (row == ENVELOPE and (own_shape or not 400 <= answer.status < 500))]
    try:
        # One call for all checks (each call costs about half a millisecond of set-up); only when
        # something fails are they run one by one, to put each failure on its own row.
        case.validate_response(response, checks=checks)
        return []
    except (AssertionError, FailureGroup):  # schemathesis 4 raises a FailureGroup, even for one failure
        pass
    out = []
    for check in checks:
        try:
            case.validate_response(response, checks=[check])
        except (AssertionError, FailureGroup) as exc:
            out.append(Finding(_checks()[check], Outcome.FAIL,
                               f"schemathesis {check.__name__}: {_title(exc)}", exchange))
    return out


def _title(exc: BaseException) -> str:
    """The first line that names a check's failure (a group names its first member's title)."""
    from schemathesis.core.failures import FailureGroup

    first = exc.exceptions[0] if isinstance(exc, FailureGroup) and exc.exceptions else exc
    text = str(getattr(first, "title", "") or first).strip()
    return text.splitlines()[0] if text else type(first).__name__
