"""The run's result record (docs/contract.md, "The interface"): its shape, declared once.

`run_result.build_result` builds it, `conformance.json` is it, and every report, the terminal table
and `baseline` read it. These are TypedDicts, so the record stays the plain JSON object it is on
disk while its fields are named, typed and checked in one place (`check_result`).
"""

# No `from __future__ import annotations`: TypedDict must see NotRequired itself (Python 3.11).
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from face_conformance.cases import operation as family
from face_conformance.cases.outcomes import OUTCOMES


class SentRecord(TypedDict):
    """A request as sent: credentials redacted, body excerpted."""

    method: str
    url: str
    headers: dict[str, str]
    body: str


class AnswerRecord(TypedDict):
    """An answer as received: credentials redacted, body excerpted."""

    status: int
    headers: dict[str, str]
    body: str
    truncated: bool


class EvidenceRecord(TypedDict):
    """One exchange (or only a note) behind a finding, with its verdict."""

    verdict: str
    note: str
    request: SentRecord | None
    response: AnswerRecord | None
    error: str | None
    curl: str
    entry: NotRequired[int]  # the exchange's entry in exchanges.har


class PageText(TypedDict):
    """The page's words for a row, in both languages."""

    zh: str
    en: str


class RowRecord(TypedDict):
    """One catalogue row's outcome in a run."""

    id: str
    level: str
    outcome: str
    summary: str
    requests: int
    status: int | None
    code: str | None
    when: str
    page: PageText
    evidence: list[EvidenceRecord]
    entries: NotRequired[list[int]]  # every exchange of exchanges.har judged on this row
    accepted_reason: NotRequired[str]  # set when a baseline accepted the row's deviation


class ObservationRecord(TypedDict):
    """Open or undocumented behaviour, reported as INFO."""

    id: str
    row: str | None
    summary: str
    evidence: list[EvidenceRecord]


class StaleEntry(TypedDict):
    """A baseline entry that matched nothing in this run."""

    row: str
    seen: dict[str, Any]
    why: str


class BaselineRecord(TypedDict):
    """The baseline a run applied, and its entries that no longer match."""

    file: str
    stale: list[StaleEntry]


class SuiteRecord(TypedDict):
    """Which suite produced the record."""

    name: str
    version: str


class OperationRecord(TypedDict):
    """The operation of the family a run addressed, on which API version (`cases.operation`)."""

    name: str  # persongroup, largepersongroup, largefacelist
    version: str  # v1.0, v1.2
    title: str  # "LargeFaceList - Update Face"
    patch_path: str  # the PATCH's path template, with the version's base


#: What was tested, and how ("face image": where a provisioned live run's Add Face image came from).
TargetRecord = TypedDict("TargetRecord", {
    "endpoint": str, "mode": str, "profile": str, "seed": int | None, "started": str, "strict": bool,
    "strict_messages": bool, "run": str, "face image": NotRequired[str],
    "recorded": NotRequired[dict[str, Any]],  # a replay's: which suite version recorded the run, and its verdict
})


class RunResult(TypedDict):
    """The whole result of one run: `conformance.json`."""

    suite: SuiteRecord
    #: Which Update Face of the family, on which API version (absent in a record written before there was a choice).
    operation: NotRequired[OperationRecord]
    target: TargetRecord
    verdict: str
    verdict_reason: str
    exit_code: int
    requests: int
    requests_by_purpose: dict[str, int]
    duration_s: float
    rows: list[RowRecord]
    observations: list[ObservationRecord]
    baseline: BaselineRecord | None
    restored: bool | None
    row_count: int
    #: Per relation and dimension: the classes tried, their requests and the rows they fed; what was not tried.
    explored: NotRequired[list[dict[str, Any]]]


def operation_record(operation: family.Operation) -> OperationRecord:
    """An operation as the result record (and the recording) names it."""
    return {"name": operation.name, "version": operation.version, "title": operation.title,
            "patch_path": operation.patch_path}


def operation_of(result: Mapping[str, Any]) -> OperationRecord:
    """The operation a result record names; one written before operations were named is PersonGroup Person on v1.0."""
    named = result.get("operation")
    if not isinstance(named, Mapping):
        return operation_record(family.get())
    if all(isinstance(named.get(k), str) for k in OperationRecord.__annotations__):
        return {k: named[k] for k in OperationRecord.__annotations__}  # type: ignore[return-value]
    return recorded_operation(named.get("name"), named.get("version"))


def recorded_operation(name: Any, version: Any) -> OperationRecord:
    """The operation a record or recording names by name and version; either missing means the default's.

    A name or version this suite does not know is kept as written (a report still names it).
    """
    name = name if isinstance(name, str) and name else family.DEFAULT_OPERATION
    version = version if isinstance(version, str) and version else family.DEFAULT_VERSION
    try:
        return operation_record(family.get(name, version))
    except family.OperationError:
        return {"name": name, "version": version, "title": name, "patch_path": ""}


def operation_label(operation: Mapping[str, Any]) -> str:
    """An operation record in words: 'LargeFaceList - Update Face, API v1.2' (as `Operation.label`)."""
    return f"{operation.get('title')}, API {operation.get('version')}"


def check_result(result: dict[str, Any]) -> list[str]:
    """What in a result record breaks the declared shape (missing fields, unknown outcomes), or []."""
    problems = [f"missing field {name!r}" for name in RunResult.__required_keys__ if name not in result]
    for row in result.get("rows", []):
        missing = [name for name in RowRecord.__required_keys__ if name not in row]
        if missing:
            problems.append(f"row {row.get('id')!r} lacks {', '.join(sorted(missing))}")
        if row.get("outcome") not in OUTCOMES:
            problems.append(f"row {row.get('id')!r} has the unknown outcome {row.get('outcome')!r}")
    problems += [f"target lacks {name!r}" for name in TargetRecord.__required_keys__
                 if name not in result.get("target", {})]
    if "operation" in result:  # a record written before operations were named has none
        named = result["operation"] if isinstance(result["operation"], dict) else {}
        problems += [f"operation lacks {name!r}" for name in OperationRecord.__annotations__
                     if not isinstance(named.get(name), str)]
    return problems
