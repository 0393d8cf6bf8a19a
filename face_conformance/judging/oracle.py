"""The oracle: what the page says a request must get, and what an answer means for each row.

`expect(probe, world)` reads the request the way a conformant server must (key, then group,
person, face, then media type and body) and lists the answers that conform, in the page's
order. `judge(exchange, expectation)` maps the answer onto the documented table and returns
findings: (row, verdict, note). Nothing here sends requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from face_conformance.cases import catalogue, operation
from face_conformance.cases.outcomes import Outcome
from face_conformance.cases.probes import Probe
from face_conformance.cases.world import World
from face_conformance.evidence.exchange import Exchange
from face_conformance.judging.findings import Finding
from face_conformance.judging.request import Body, media_kind, read_body, user_data_size

GUID = catalogue.parameter_pattern("personId")
# The rows, looked up by what provokes them (their `trigger` in the document), never by ID.
OK = catalogue.success_row()
WRONG_KEY = catalogue.provoked_by("key", "wrong")
AUTH_FIRST = catalogue.provoked_by("key", "wrong-with-other-faults")
UNSUPPORTED_MEDIA = catalogue.provoked_by("content_type", "not-json")
BAD_JSON = catalogue.provoked_by("body", "not-a-json-object")
TOO_LONG = catalogue.provoked_by("body", "user-data-too-long")
TRAINING = catalogue.state_row("training")
ENVELOPE = catalogue.check_row("error-envelope")
DOCUMENTED_STATUS = catalogue.check_row("documented-status")
LOOKUP_ORDER = catalogue.check_row("lookup-order")
# The reference's forcing switches whose answer is a row of its own (mock mode only); a forced 429
# is waited out by the client instead.
FORCED = {state: catalogue.state_row(state) for state in ("quota", "concurrent")}


@dataclass(frozen=True)
class Allowed:
    """One conforming answer: the row it is, the row it is credited to, and at what verdict."""

    answer_row: str
    credit: str
    verdict: Outcome = Outcome.PASS
    note: str = ""
    out_of_order: bool = False
    status_only: bool = False  # the credit needs the row's status only; its code is judged on the row


@dataclass(frozen=True)
class Expectation:
    """What a request must get: `primary` fails when no `allowed` answer comes back."""

    primary: str
    allowed: tuple[Allowed, ...]
    face_id: str | None  # a real face the request addresses, whose userData must then be checked
    user_data: Any = None  # the userData sent, when the body is a JSON object that has one
    has_user_data: bool = False
    #: Every userData a conformant server may store from the body (a duplicated member: first or last).
    user_data_choices: tuple[Any, ...] = ()
    also_pass: tuple[str, ...] = ()  # rows a conforming answer also shows to hold
    # "warn" when the request has more than one fault, or one a server may read either way:
    # an answer outside `allowed` is then a warning on `primary`, not a MUST failure.
    miss_verdict: Outcome = Outcome.FAIL
    faults: tuple[str, ...] = ()  # the request's faults as rows ("key" for a wrong or missing key)

    def describe(self) -> str:
        """The conforming answers in words, for failure messages."""
        return " or ".join(dict.fromkeys(
            f"HTTP {catalogue.row(a.answer_row).status}" if a.status_only else catalogue.answer_text(a.answer_row)
            for a in self.allowed))


# ---------------------------------------------------------------------------------------------
# What the request is


def user_data_reading(expectation: Expectation, exchange: Exchange) -> tuple[str, str] | None:
    """Which reading of "1KB" an answer shows, as (`chars` or `bytes`, a summary); None when it shows none.

    Only a userData between the two readings (at most 1024 code points, over 1024 UTF-8 bytes),
    in a request whose every conforming answer is 200 or 400 for its size, tells them apart.
    """
    value = expectation.user_data
    if not isinstance(value, str) or exchange.status not in (200, 400):
        return None
    size_bytes, points = user_data_size(value)
    if not points <= 1024 < size_bytes or {a.answer_row for a in expectation.allowed} - {OK, TOO_LONG}:
        return None
    reading = "characters (code points or UTF-16 units)" if exchange.status == 200 else "UTF-8 bytes"
    return ("chars" if exchange.status == 200 else "bytes",
            f"reads 1KB as {reading}: userData of {points} code points / {size_bytes} bytes got HTTP {exchange.status}")


# ---------------------------------------------------------------------------------------------
# Expectations


def _path_errors(probe: Probe, world: World) -> tuple[list[str], str | None]:
    """Row IDs of the path's faults in lookup order, and the real face addressed (if any)."""
    group, person, face = (unquote(v) for v in (probe.group, probe.person, probe.face))
    if not operation.current().has_person:
        person = ""  # a face list's faces belong to no person; the path carries none
    values = {"personGroupId": group, "personId": person, "persistedFaceId": face}
    # (known where the path puts it, known anywhere in the run) for each ID.
    known = {
        "personGroupId": (group in world.groups(),) * 2,
        "personId": (person.lower() in world.persons_of(group), person.lower() in world.all_persons()),
        "persistedFaceId": (face.lower() in world.faces_of(group, person), world.face_named(face) is not None),
    }
    errors: list[str] = []
    for part in operation.current().path_parts:  # in the operation's lookup order (no person in a face list)
        here, anywhere = known[part]
        # After an earlier path fault, an ID counts as a fault of its own only when it names nothing
        # the run knows: a real person behind a missing group is that group's fault, an unknown one
        # is a second fault, which a server may report first (the lookup order is SHOULD).
        if not catalogue.parameter_pattern(part).fullmatch(values[part]):
            errors.append(catalogue.provoked_by(part, "malformed"))
        elif not here and (not errors or not anywhere):
            errors.append(catalogue.provoked_by(part, "unknown"))
    real = world.face_named(face) if GUID.fullmatch(face) else None
    return errors, (real.face if real else None)


@dataclass(frozen=True)
class BodyReading:
    """What the media type and body call for: definite error rows, and readings a server may take.

    `errors` are faults every conformant server must answer (MUST); `accepted` are the answers to
    give when there are none (200, or a SHOULD row's answer first); `either` are the error answers
    a conformant server may also give for this body (docs/contract.md points 1-5): a request that has
    one is not a one-fault request, and cannot fail a MUST row.
    """

    errors: tuple[str, ...]
    accepted: tuple[Allowed, ...]
    either: tuple[Allowed, ...]
    body: Body


def _media_either(probe: Probe, media: str) -> list[Allowed]:
    if media in ("json-case", "absent"):
        return [Allowed(UNSUPPORTED_MEDIA, UNSUPPORTED_MEDIA, Outcome.WARN,
                        f"rejected Content-Type {probe.media_type!r}, which SHOULD be accepted")]
    if media in ("json-like", "malformed"):
        out = [Allowed(UNSUPPORTED_MEDIA, UNSUPPORTED_MEDIA, Outcome.INFO,
                       f"rejected the Content-Type {probe.media_type!r} (either answer conforms)")]
        if media == "malformed":
            out.append(Allowed(BAD_JSON, BAD_JSON, Outcome.INFO,
                               f"rejected the malformed Content-Type {probe.media_type!r} as a bad request"))
        return out
    return []


def _readings_either(body: Body) -> list[Allowed]:
    """The refusals a conformant server may answer for a body's open readings (points 14 and 18)."""
    out = []
    if "bom" in body.readings:
        out.append(Allowed(BAD_JSON, BAD_JSON, Outcome.INFO, "rejected a UTF-8 byte order mark before the JSON"))
    if "charset" in body.readings:
        out += [Allowed(BAD_JSON, BAD_JSON, Outcome.INFO, "refused a body declared in a charset other than UTF-8"),
                Allowed(UNSUPPORTED_MEDIA, UNSUPPORTED_MEDIA, Outcome.INFO,
                        "refused a media type with a charset other than UTF-8")]
    return out


def _user_data_reading(body: Body) -> tuple[list[str], list[Allowed], bool]:
    """(errors, either-way answers, whether a non-string userData makes 400 the SHOULD answer)."""
    value = body.user_data
    if body.kind != "object" or not body.has_user_data or value is None:
        return [], [], False
    if not isinstance(value, str):
        return [], [Allowed(OK, BAD_JSON, Outcome.WARN,
                            f"accepted a non-string userData ({type(value).__name__})")], True
    size_bytes, points = user_data_size(value)
    limit = catalogue.user_data_limit()
    if points > limit:
        return [TOO_LONG], [], False
    if size_bytes > limit:
        return [], [Allowed(TOO_LONG, TOO_LONG, Outcome.INFO,
                            f"rejected {points} code points / {size_bytes} UTF-8 bytes: reads 1KB as bytes")], False
    return [], [], False


def read_request_body(probe: Probe) -> BodyReading:
    """How a conformant server may read the probe's media type and body."""
    body = read_body(probe.body, probe.media_type)
    media = media_kind(probe.media_type)
    errors = [UNSUPPORTED_MEDIA] if media == "rejected" else []
    either = _media_either(probe, media) + _readings_either(body)
    should_reject = False
    if body.kind == "bad" or (body.kind == "undecodable" and "charset" not in body.readings):
        errors.append(BAD_JSON)  # point 14: bytes that are not UTF-8 are no JSON text
    elif body.kind == "undecodable":
        pass  # not in the charset it declares: refusing it is one of that charset's readings
    elif body.kind == "empty":
        either.append(Allowed(BAD_JSON, BAD_JSON, Outcome.INFO, "rejected an empty body as bad JSON"))
    else:
        size_errors, size_either, should_reject = _user_data_reading(body)
        errors += size_errors
        either += size_either
        if not body.has_user_data or body.user_data is None:
            either.append(Allowed(BAD_JSON, OK, Outcome.WARN, "rejected a body without userData (optional field)"))
        if set(body.keys) - {"userData"}:
            either.append(Allowed(BAD_JSON, OK, Outcome.WARN, "rejected unknown extra body fields"))
    if should_reject:
        # Point 3: a non-string userData SHOULD be 400; the acceptance (the 200) is the warning.
        accepted = (Allowed(BAD_JSON, BAD_JSON), *either)
        rejected = Allowed(BAD_JSON, BAD_JSON, Outcome.PASS, "rejected a non-string userData")
        return BodyReading(tuple(errors), accepted, (*either, rejected), body)
    return BodyReading(tuple(errors), (Allowed(OK, OK), *either), tuple(either), body)


def expect(probe: Probe, world: World, *, training: bool = False) -> Expectation:
    """The conforming answers to a PATCH probe, in the page's order (key, path, body).

    A request judged against a MUST row differs from a valid one in exactly that row's way: when
    it has two faults, or one a server may read either way, an answer that fits no reading is a
    warning on the row (`miss_verdict`), never a MUST failure (x.auth-first excepted: a wrong key
    with other faults is what that row is about).
    """
    path_errors, face_id = _path_errors(probe, world)
    reading = read_request_body(probe)
    body = reading.body
    common = {"face_id": face_id, "user_data": body.user_data, "has_user_data": body.has_user_data,
              "user_data_choices": body.user_data_choices}
    if probe.force in FORCED:
        row_id = FORCED[probe.force]
        return Expectation(row_id, (Allowed(row_id, row_id),), **common)
    faults = path_errors + list(reading.errors)
    if probe.key != "valid":
        if faults or reading.either:
            # x.auth-first is about order: any 401 shows the key came first; the code is 401.invalid-key's.
            return Expectation(AUTH_FIRST, (Allowed(WRONG_KEY, AUTH_FIRST, status_only=True),),
                               faults=("key", *faults, *_either_rows(reading)), **common)
        return Expectation(WRONG_KEY, (Allowed(WRONG_KEY, WRONG_KEY),),
                           also_pass=(AUTH_FIRST,), faults=("key",), **common)
    if faults:
        return _fault_expectation(faults, reading, bool(path_errors), common)
    if training:
        allowed = (Allowed(TRAINING, TRAINING),)
        if catalogue.row(TRAINING).training == "either":
            # A large collection takes writes while it trains: 200 conforms too (the run reports which, INFO).
            allowed += (Allowed(OK, TRAINING, Outcome.PASS, "took the update while training (either answer conforms)"),)
        return Expectation(TRAINING, allowed,
                           miss_verdict=Outcome.WARN if reading.either else Outcome.FAIL,
                           faults=_either_rows(reading), **common)
    first = reading.accepted[0]
    return Expectation(first.credit if first.verdict == Outcome.PASS else OK, reading.accepted,
                       miss_verdict=Outcome.WARN if reading.either else Outcome.FAIL,
                       faults=_either_rows(reading), **common)


def _either_rows(reading: BodyReading) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.answer_row for a in reading.either if a.answer_row != OK))


def _fault_expectation(faults: list[str], reading: BodyReading, path_fault: bool, common: dict) -> Expectation:
    """The answers to a request with faults: the first in the page's order, the others as the order allows."""
    first = faults[0]
    allowed = [Allowed(first, first)]
    allowed += [Allowed(f, first, Outcome.WARN, f"answered {f} before {first}", out_of_order=True)
                for f in faults[1:] if _order_fixed(first, f)]
    allowed += [Allowed(f, first) for f in faults[1:] if not _order_fixed(first, f)]
    for either in reading.either:
        if either.answer_row == OK or either.answer_row in faults:
            continue
        if path_fault:
            allowed.append(Allowed(either.answer_row, first, Outcome.WARN,
                                   f"answered {either.answer_row} for the body before {first} of the path",
                                   out_of_order=True))
        else:
            allowed.append(Allowed(either.answer_row, either.answer_row, Outcome.INFO, either.note))
    either_rows = _either_rows(reading)
    single = len(faults) == 1 and not either_rows
    return Expectation(first, tuple(allowed), miss_verdict=Outcome.FAIL if single else Outcome.WARN,
                       faults=tuple(dict.fromkeys((*faults, *either_rows))), **common)


def _order_fixed(first: str, later: str) -> bool:
    """True when the page's lookup order puts `first` before `later` (x.lookup-order).

    The page orders the key, then the path's IDs, then the rest: among the media type and the
    body (catalogue.BODY_PARTS) it fixes no order.
    """
    return not (catalogue.row(first).part in catalogue.BODY_PARTS and catalogue.row(later).part in catalogue.BODY_PARTS)


# ---------------------------------------------------------------------------------------------
# Judging an answer


def satisfies(exchange: Exchange, row_id: str, *, status_only: bool = False) -> bool:
    """Whether the answer is this row's answer: its status, and its error code where it has one."""
    row = catalogue.row(row_id)
    answer = exchange.answer
    if answer is None or answer.status != row.status:
        return False
    if row.code is not None and not status_only:
        return answer.error_field("code") in row.codes
    return True


def envelope_faults(exchange: Exchange, row_id: str | None = None) -> list[str]:
    """What is wrong with a 4xx answer's envelope (x.error-envelope), or [] when it is right."""
    answer = exchange.answer
    if answer is None or not 400 <= answer.status < 500:
        return []
    faults = []
    media = (answer.header("Content-Type") or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        faults.append(f"Content-Type is {answer.header('Content-Type')!r}, not application/json")
    data = answer.json()
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return faults + ["the body is not a JSON object with an 'error' object"]
    shape = catalogue.row(row_id).envelope if row_id else None
    if shape is None:
        shape = "statusCode" if answer.status in (403, 429) else "code"
    if version_code(answer.status, error.get("code")):
        shape = "code"  # the API version's own shape for this status (v1.2's 429 with code "429")
    if shape == "statusCode":
        status_code = error.get("statusCode")
        if not (isinstance(status_code, int) and not isinstance(status_code, bool)) or status_code != answer.status:
            faults.append(f"error.statusCode is {status_code!r}, not the integer {answer.status}")
    elif not (isinstance(error.get("code"), str) and error["code"].strip()):
        faults.append(f"error.code is {error.get('code')!r}, not a non-empty string")
    message = error.get("message")
    if not (isinstance(message, str) and message.strip()):
        faults.append(f"error.message is {message!r}, not a non-empty string")
    return faults


def version_code(status: int, code: Any) -> bool:
    """Whether `code` is an error code the selected API version gives this status beside the page's (v1.2's "429")."""
    return any(r.status == status and code in r.alt_codes for r in catalogue.rows())


def message_fault(exchange: Exchange, row_id: str) -> str | None:
    """Under --strict-messages: how the message differs from the page's example, or None."""
    pattern = catalogue.row(row_id).message_pattern
    message = exchange.answer.error_field("message") if exchange.answer else None
    if pattern is None or (isinstance(message, str) and pattern.match(message)):
        return None
    return f"message {message!r} does not match the page's {catalogue.row(row_id).message!r}"


def judge(exchange: Exchange, expectation: Expectation, *, strict_messages: bool = False) -> list[Finding]:
    """Findings for one PATCH answer: the rows it shows to hold or to be broken."""
    if exchange.status == 429:
        # Still rate-limited after the client's waits: the row was not reached; the 429's own
        # shape was judged when it came (docs/contract.md point 8: a 429 never counts against a row).
        return [Finding(expectation.primary, Outcome.NOT_OBSERVED, "still rate-limited after repeated waits", exchange)]
    findings = list(status_findings(exchange))
    if connection_lost(exchange):
        # Broken before any answer: nothing was shown either way. Reported, never judged, never dropped.
        return [Finding(expectation.primary, Outcome.NOT_OBSERVED,
                        f"not judged: the connection broke before any answer ({exchange.error})", exchange)]
    if exchange.answer is not None and exchange.error is not None:
        return findings + [Finding(expectation.primary, Outcome.FAIL,
                                   f"expected {expectation.describe()}; got {exchange.describe_answer()}, "
                                   f"then the answer broke off: {exchange.error}", exchange)]
    if exchange.answer is None:
        return findings + [Finding(expectation.primary, Outcome.FAIL,
                                   f"expected {expectation.describe()}; got no answer: {exchange.error}", exchange)]
    match = next((a for a in expectation.allowed if satisfies(exchange, a.answer_row, status_only=a.status_only)),
                 None)
    faults = envelope_faults(exchange, match.answer_row if match else None)
    if faults:
        findings.append(Finding(ENVELOPE, Outcome.FAIL, "; ".join(faults), exchange))
    elif 400 <= exchange.answer.status < 500:
        findings.append(Finding(ENVELOPE, Outcome.PASS, "error envelope as documented", exchange))
    if match is None:
        return findings + [Finding(expectation.primary, expectation.miss_verdict, _miss_note(exchange, expectation),
                                   exchange)]
    findings += _match_findings(exchange, expectation, match, strict_messages)
    if match.status_only and not satisfies(exchange, match.answer_row):
        findings.append(Finding(match.answer_row, Outcome.FAIL,
                                f"expected {catalogue.answer_text(match.answer_row)}; got "
                                f"{exchange.describe_answer()}", exchange))
    if faults and catalogue.row(match.answer_row).envelope == "statusCode":
        # For 403 and 429 the page documents only the shape: a wrong shape breaks the row itself.
        findings.append(Finding(match.answer_row, Outcome.FAIL, "; ".join(faults), exchange))
    return findings


def connection_lost(exchange: Exchange) -> bool:
    """True when the connection failed before any answer came (not a timeout: a silent server fails its row)."""
    return exchange.answer is None and exchange.error is not None and "timeout" not in exchange.error


def _miss_note(exchange: Exchange, expectation: Expectation) -> str:
    note = f"expected {expectation.describe()}; got {exchange.describe_answer()}"
    if expectation.miss_verdict != Outcome.FAIL:
        note += (f" (a warning, not a failure: the request has more than one fault, or one a server may read "
                 f"either way: {', '.join(expectation.faults)})")
    return note


def status_findings(exchange: Exchange) -> list[Finding]:
    """x.documented-status on one answer: its status is one the page documents, or it fails."""
    status = exchange.status
    if status is None:
        return []
    if status in catalogue.DOCUMENTED_STATUSES:
        return [Finding(DOCUMENTED_STATUS, Outcome.PASS, f"HTTP {status} is documented", exchange)]
    return [Finding(DOCUMENTED_STATUS, Outcome.FAIL,
                    f"HTTP {status} is not a documented status of this operation", exchange)]


def _match_findings(exchange: Exchange, expectation: Expectation, match: Allowed, strict: bool) -> list[Finding]:
    findings = []
    note = match.note or f"answered {catalogue.answer_text(match.answer_row)} as documented"
    verdict = match.verdict
    if match.out_of_order:
        findings.append(Finding(LOOKUP_ORDER, Outcome.WARN, match.note, exchange))
        findings.append(Finding(match.credit, Outcome.PASS, f"answered {match.answer_row}, a fault the request has",
                                exchange))
    else:
        findings.append(Finding(match.credit, verdict, note, exchange))
        if match.credit != match.answer_row and verdict == Outcome.INFO:
            findings.append(Finding(match.answer_row, Outcome.PASS, "answered as documented", exchange))
    findings += [Finding(row, Outcome.PASS, "held", exchange) for row in expectation.also_pass]
    if len([a for a in expectation.allowed if a.out_of_order]) and not match.out_of_order:
        findings.append(Finding(LOOKUP_ORDER, Outcome.PASS, f"answered {match.answer_row} first, in the page's order",
                                exchange))
    if match.answer_row == OK and exchange.answer and exchange.answer.body:
        findings.append(Finding(OK, Outcome.FAIL,
                                f"a 200 must have an empty body; got {len(exchange.answer.body)} bytes", exchange))
    if strict and (fault := message_fault(exchange, match.answer_row)):
        findings.append(Finding(match.answer_row, Outcome.FAIL, f"--strict-messages: {fault}", exchange))
    return findings
