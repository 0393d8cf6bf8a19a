"""The row catalogue: every documented row, read from the OpenAPI document.

This module is the only place where row IDs, statuses, error codes, example messages and levels
are learned; the suite, the reports and the reference service all ask it. Each row declares
its trigger as data (which part of the request is wrong and how, which state of the service,
or which cross-cutting check it is), and the oracle looks rows up by trigger, never by ID: a
new row whose trigger the oracle already reads is one edit of `openapi/face-v1.0.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from functools import cache
from typing import Any

from face_conformance.cases import operation
from face_conformance.cases.document import document_path, load_document
from face_conformance.cases.outcomes import OUTCOMES  # noqa: F401 - the outcome vocabulary, re-exported for the reports

__all__ = ["document_path", "load_document"]

PATCH_PATH = "/face/v1.0/persongroups/{personGroupId}/persons/{personId}/persistedFaces/{persistedFaceId}"
DOCUMENTED_STATUSES = frozenset({200, 400, 401, 403, 404, 409, 415, 429})
LEVELS = ("MUST", "SHOULD", "N/A")
#: The closed format of an `x-row` and of each of its probes: any other key is an error.
ROW_KEYS = frozenset({"id", "level", "observe", "envelope", "code", "message", "when", "page", "reason", "probes",
                      "trigger"})
PROBE_KEYS = frozenset({"path", "key", "content_type", "body", "user_data", "user_data_repeat", "real_user_data",
                        "force"})
PATH_KEYS = frozenset({"personGroupId", "personId", "persistedFaceId"})
#: The closed trigger vocabulary: how each part of a request can be wrong, the service states a
#: row is about, the cross-cutting checks, and the one valid request. Every entry names exactly
#: one row (checked on load), so the oracle can ask for a row by what provokes it.
FAULTS: dict[str, tuple[str, ...]] = {
    "key": ("wrong", "wrong-with-other-faults"),
    "personGroupId": ("malformed", "unknown"),
    "personId": ("malformed", "unknown"),
    "persistedFaceId": ("malformed", "unknown"),
    "content_type": ("not-json",),
    "body": ("not-a-json-object", "user-data-too-long"),
}
#: The parts of a request a row can be about, and that near misses are derived for.
REQUEST_PARTS = tuple(FAULTS)
STATES = ("quota", "training", "concurrent", "rate-limit")
CHECKS = ("read-after-write", "no-change-on-error", "error-envelope", "documented-status", "concurrent-writes",
          "lookup-order", "isolation")
TRIGGER_FORMS = {"part": frozenset({"part", "fault"}), "state": frozenset({"state"}),
                 "check": frozenset({"check"}), "valid": frozenset({"valid"})}
#: The parts of the request a server reads after the path (the page fixes no order among them).
BODY_PARTS = ("content_type", "body")
REAL_USER_DATA_FORMS = ("joined", "at-limit")
#: States a probe may ask the embedded reference to be forced into (`force:`; mock mode only).
#: The suite's profiles: smoke sends each row's first probe, full every probe and generated cases.
PROFILES = ("smoke", "full")
FORCE_KINDS = ("quota", "rate-limit", "rate-limit-retry-after", "concurrent", "slow-writes")


class CatalogueError(ValueError):
    """The OpenAPI document breaks the catalogue's closed format (the message names the row and key)."""


@dataclass(frozen=True)
class Trigger:
    """What provokes a row: a part of the request and how it is wrong, a state, a check, or validity."""

    form: str  # one of TRIGGER_FORMS
    value: str  # the part, state, check or "request"
    fault: str | None = None  # for a part: how it is wrong (FAULTS)

    @property
    def part(self) -> str | None:
        """The request part, for a part trigger."""
        return self.value if self.form == "part" else None

    @property
    def key(self) -> tuple[str, ...]:
        """The trigger as a lookup key: (form, value) or (form, part, fault)."""
        return (self.form, self.value) if self.fault is None else (self.form, self.value, self.fault)


@dataclass(frozen=True)
class Row:
    """One documented row: an ID tied to a status and error shape, or a cross-cutting check."""

    id: str
    level: str
    when: str
    page_zh: str
    page_en: str
    status: int | None = None
    envelope: str | None = None  # "empty" | "code" | "statusCode"; None for cross-cutting rows
    code: str | None = None
    message: str | None = None  # the page's English example, if it gives one
    observe: str = "always"  # always | when-seen | training | never
    reason: str | None = None  # why the row is not applicable
    example: Any = None
    probes: tuple[dict[str, Any], ...] = field(default=())
    trigger: Trigger | None = None  # what provokes the row (None only for rows that cannot be observed)
    #: `either` where an update during training may also get 200 (the large collections); else `must`.
    training: str = "must"
    #: Error codes the API version accepts beside `code` (v1.2's "401" and "429").
    alt_codes: tuple[str, ...] = ()
    of_operation: str = operation.DEFAULT_OPERATION  # the operation of the family these rows are of

    @property
    def codes(self) -> tuple[str, ...]:
        """Every error code that answers the row: the documented one, then the version's alternatives."""
        return ((self.code,) if self.code else ()) + self.alt_codes

    @property
    def part(self) -> str | None:
        """The one part of the request the row is about (REQUEST_PARTS), or None."""
        return self.trigger.part if self.trigger else None

    @property
    def cross_cutting(self) -> bool:
        """True for the `x.*` rows, which judge every answer rather than one status."""
        return self.status is None

    @property
    def message_pattern(self) -> re.Pattern[str] | None:
        """The page's example message as a regex: quoted IDs and numbers free, final period optional."""
        if not self.message:
            return None
        return _message_regex(self.message)


def _message_regex(example: str) -> re.Pattern[str]:
    text = example.rstrip(".")
    parts = re.split(r"('[^']*'|\d+(?:\.\d+)?)", text)
    out = []
    for part in parts:
        if part.startswith("'") and part.endswith("'") and len(part) >= 2:
            out.append("'[^']*'")
        elif re.fullmatch(r"\d+(?:\.\d+)?", part or "x"):
            out.append(r"\d+(?:\.\d+)?")
        else:
            out.append(re.escape(part))
    return re.compile(r"^\s*" + "".join(out) + r"\.?\s*$", re.IGNORECASE)


def closed_fault(where: str, data: Any, allowed: frozenset[str]) -> str | None:
    """What is wrong with a mapping of a closed format (not a mapping, or keys outside `allowed`); None if nothing."""
    if not isinstance(data, dict):
        return f"{where}: expected a mapping, got {type(data).__name__}"
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        return f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}"
    return None


def _closed(where: str, data: Any, allowed: frozenset[str]) -> None:
    fault = closed_fault(where, data, allowed)
    if fault:
        raise CatalogueError(fault)


def read_trigger(where: str, data: Any) -> Trigger:
    """A row's `trigger` mapping as a Trigger; CatalogueError names the row and what is wrong."""
    if not isinstance(data, dict) or not data:
        raise CatalogueError(f"{where}: trigger must be a mapping such as {{part: body, fault: not-a-json-object}}")
    form = "part" if "part" in data or "fault" in data else next(iter(data))
    if form not in TRIGGER_FORMS:
        raise CatalogueError(f"{where}: unknown trigger key {form!r}; allowed: {', '.join(sorted(TRIGGER_FORMS))}")
    _closed(f"{where} trigger", data, TRIGGER_FORMS[form])
    if form == "part":
        part, fault = data.get("part"), data.get("fault")
        if part not in FAULTS:
            raise CatalogueError(f"{where}: trigger part {part!r} is not one of {', '.join(FAULTS)}")
        if fault not in FAULTS[part]:
            raise CatalogueError(f"{where}: trigger fault {fault!r} of {part} is not one of {', '.join(FAULTS[part])}")
        return Trigger("part", part, fault)
    allowed = {"state": STATES, "check": CHECKS, "valid": ("request",)}[form]
    if data[form] not in allowed:
        raise CatalogueError(f"{where}: trigger {form} {data[form]!r} is not one of {', '.join(allowed)}")
    return Trigger(form, data[form])


def check_row_meta(meta: Any) -> None:
    """Raise CatalogueError when an `x-row` or one of its probes has a key outside the closed format."""
    row_id = meta.get("id", "?") if isinstance(meta, dict) else "?"
    _closed(f"row {row_id}", meta, ROW_KEYS)
    for index, probe in enumerate(meta.get("probes", ()) or ()):
        where = f"row {row_id} probe {index + 1}"
        _closed(where, probe, PROBE_KEYS)
        if "path" in probe:
            _closed(f"{where} path", probe["path"], PATH_KEYS)
        if "real_user_data" in probe and probe["real_user_data"] not in REAL_USER_DATA_FORMS:
            raise CatalogueError(f"{where}: real_user_data must be one of {', '.join(REAL_USER_DATA_FORMS)}")
        if "force" in probe and probe["force"] not in FORCE_KINDS:
            raise CatalogueError(f"{where}: force must be one of {', '.join(FORCE_KINDS)}")
    if "trigger" in meta:
        read_trigger(f"row {row_id}", meta["trigger"])
    elif meta.get("level") != "N/A":
        raise CatalogueError(f"row {row_id}: no trigger (only a row that is not applicable may lack one)")


def _row(meta: dict[str, Any], status: int | None, example: Any = None) -> Row:
    check_row_meta(meta)
    return Row(
        id=meta["id"],
        level=meta["level"],
        when=meta["when"],
        page_zh=meta["page"]["zh"],
        page_en=meta["page"]["en"],
        status=status,
        envelope=meta.get("envelope"),
        code=meta.get("code"),
        message=meta.get("message"),
        observe=meta.get("observe", "always"),
        reason=meta.get("reason"),
        example=example,
        probes=tuple(meta.get("probes", ())),
        trigger=read_trigger(f"row {meta['id']}", meta["trigger"]) if "trigger" in meta else None,
    )


def rows() -> tuple[Row, ...]:
    """Every row of the selected operation (`cases.operation`): the PATCH's response rows, then the cross rows."""
    return _rows_of(operation.current())


@cache
def _page_rows() -> tuple[Row, ...]:
    """The rows as the document writes them, for the page's operation."""
    doc = load_document()
    patch = doc["paths"][PATCH_PATH]["patch"]
    out: list[Row] = []
    for status_text, response in patch["responses"].items():
        status = int(status_text)
        if "x-row" in response:
            out.append(_row(response["x-row"], status))
        for media in response.get("content", {}).values():
            for example in media.get("examples", {}).values():
                out.append(_row(example["x-row"], status, example.get("value")))
    out.extend(_row(meta, None) for meta in doc.get("x-cross-rows", ()))
    _check_triggers(out)
    return tuple(out)


@cache
def _rows_of(op: operation.Operation) -> tuple[Row, ...]:
    """The page's rows as one operation of the family has them (its `x-operations` changes, its version's codes)."""
    return tuple(_as_in(r, op) for r in _page_rows())


def _as_in(found: Row, op: operation.Operation) -> Row:
    change = op.row_changes.get(found.id, {})
    if "level" in change and change["level"] not in LEVELS:
        raise CatalogueError(f"operation {op.name} row {found.id}: level must be one of {', '.join(LEVELS)}")
    if "not-applicable" in change:
        return _replace(found, level="N/A", observe="never", reason=str(change["not-applicable"]), probes=(),
                        of_operation=op.name)
    return _replace(
        found,
        id=change.get("id", found.id),
        code=change.get("code", found.code),
        message=change.get("message", found.message),
        when=change.get("when", found.when),
        level=change.get("level", found.level),
        training=change.get("training", found.training),
        alt_codes=op.extra_codes.get(found.id, ()),
        of_operation=op.name,
    )


def _vocabulary() -> list[tuple[str, ...]]:
    keys = [("part", part, fault) for part, faults in FAULTS.items() for fault in faults]
    return keys + [("state", s) for s in STATES] + [("check", c) for c in CHECKS] + [("valid", "request")]


def _check_triggers(out: list[Row]) -> None:
    """Every trigger of the vocabulary names exactly one row (the oracle relies on that)."""
    seen: dict[tuple[str, ...], str] = {}
    for r in out:
        if r.trigger is None:
            continue
        if r.trigger.key in seen:
            raise CatalogueError(f"row {r.id}: trigger {r.trigger.key} is already row {seen[r.trigger.key]}'s")
        seen[r.trigger.key] = r.id
    missing = [key for key in _vocabulary() if key not in seen]
    if missing:
        raise CatalogueError(f"no row has the trigger(s) {missing}")


def _by_trigger() -> dict[tuple[str, ...], str]:
    return _triggers_of(operation.current())


@cache
def _triggers_of(op: operation.Operation) -> dict[tuple[str, ...], str]:
    return {r.trigger.key: r.id for r in _rows_of(op) if r.trigger is not None}


def provoked_by(part: str, fault: str) -> str:
    """The row a request gets when `part` is wrong in the way `fault` says (FAULTS)."""
    return _by_trigger()[("part", part, fault)]


def state_row(state: str) -> str:
    """The row of a state of the service (STATES): quota, training, concurrent, rate-limit."""
    return _by_trigger()[("state", state)]


def check_row(check: str) -> str:
    """The cross-cutting row of a check (CHECKS), e.g. 'error-envelope'."""
    return _by_trigger()[("check", check)]


def success_row() -> str:
    """The row of a fully valid update."""
    return _by_trigger()[("valid", "request")]


def by_id() -> dict[str, Row]:
    """Rows of the selected operation keyed by ID."""
    return _ids_of(operation.current())


@cache
def _ids_of(op: operation.Operation) -> dict[str, Row]:
    return {row.id: row for row in _rows_of(op)}


def row(row_id: str) -> Row:
    """The row with this ID; a KeyError names the unknown ID."""
    try:
        return by_id()[row_id]
    except KeyError:
        raise KeyError(f"unknown row ID {row_id!r}") from None


def current_id(row_id: str) -> str:
    """The ID the selected operation gives a page's row (404.group-invalid is 404.list-invalid in a face list)."""
    return str(operation.current().row_changes.get(row_id, {}).get("id", row_id))


def row_ids() -> tuple[str, ...]:
    """Every row ID, in catalogue order."""
    return tuple(r.id for r in rows())


def parameter(name: str) -> dict[str, Any]:
    """A path parameter's definition (pattern, malformed examples) from the document."""
    return load_document()["components"]["parameters"][name]


def parameter_pattern(name: str) -> re.Pattern[str]:
    """The compiled pattern a well-formed value of this path parameter matches."""
    return re.compile(parameter(name)["schema"]["pattern"])


def user_data_limit() -> int:
    """The documented size limit of userData (the page's "1KB"), from the request schema."""
    schema = load_document()["components"]["schemas"]["UpdateFaceRequest"]
    return int(schema["properties"]["userData"]["maxLength"])


def near_miss_rules(part: str) -> tuple[str, ...]:
    """The near-miss rules the document names for one part of the request (`x-near-misses`)."""
    if part not in REQUEST_PARTS:
        raise KeyError(f"unknown request part {part!r}; expected one of {', '.join(REQUEST_PARTS)}")
    return tuple(load_document().get("x-near-misses", {}).get(part, ()))


def real_user_data() -> tuple[str, ...]:
    """Fragments of real-world userData (`x-real-userdata`): line ends, quotes, markup, scripts, ..."""
    return tuple(load_document().get("x-real-userdata", ()))


def answer_text(row_id: str) -> str:
    """A row's documented answer in words: 'HTTP 404 with error.code PersonGroupNotFound'."""
    found = row(row_id)
    if found.envelope == "empty":
        return f"HTTP {found.status} with an empty body"
    if found.envelope == "statusCode":
        return f"HTTP {found.status} with error.statusCode {found.status}"
    return f"HTTP {found.status} with error.code {found.code!r}"
