"""The side-effect and shape checks: pure functions of exchanges and of what the run knew.

The oracle judges one PATCH answer; these judge what an answer leaves behind (read-after-write,
no change on error, parallel writes, a state that does not clear) and the shape of the 403, 409
and 429 answers met on the way. Each takes what was sent and what came back and returns findings;
none sends a request, so each is unit-tested on hand-built exchanges (tests/unit/test_checks.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import Outcome
from face_conformance.cases.probes import Probe
from face_conformance.cases.world import FaceRef
from face_conformance.evidence.exchange import Exchange
from face_conformance.judging import oracle
from face_conformance.judging.findings import Finding

READ_AFTER_WRITE = catalogue.check_row("read-after-write")
NO_CHANGE = catalogue.check_row("no-change-on-error")
PARALLEL = catalogue.check_row("concurrent-writes")
CONFLICT = catalogue.state_row("concurrent")


@dataclass
class Pending:
    """An error answer whose face must be shown unchanged (x.no-change-on-error)."""

    face: FaceRef
    exchange: Exchange
    sent: object
    may_write: bool = False  # an update with no answer: it may have written its value, or not
    probe: Probe | None = None  # what was sent, to replay it alone when a batch cannot be attributed


def show(value: object) -> str:
    """A value for a finding's note, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}…({len(text)} chars)"


def read_after_write(sent: Any, stored: Any, got: Exchange, choices: tuple[Any, ...] = ()) -> list[Finding]:
    """After a 200 to an update with a string userData, Get Face must return exactly that string.

    An update of "" read back with no userData field passes: docs/contract.md does not say how Get Face
    shows an empty userData, and serialisers that leave empty fields out are common.
    Returns [] when the update held no string (what is stored then is an observation, not a row).
    `choices` are the values a body lets a server take (a duplicated member: the first or the last).
    """
    if not isinstance(sent, str):
        return []
    if stored == sent or (sent == "" and stored is None):
        return [Finding(READ_AFTER_WRITE, Outcome.PASS, "Get Face returned exactly the userData written", got)]
    if stored in choices:
        return [Finding(READ_AFTER_WRITE, Outcome.PASS, f"Get Face returned {show(stored)}, one of the values the "
                        "body gives (a duplicated member read first- or last-wins)", got)]
    return [Finding(READ_AFTER_WRITE, Outcome.FAIL, f"wrote {show(sent)}, Get Face returned {show(stored)}", got)]


def unchanged(before: Any, now: Any, pending: Sequence[Pending]) -> list[Finding]:
    """After error answers to updates of one face, it must hold what it held (x.no-change-on-error).

    `pending` are the requests since the last read-back, in the order sent; an update that got no
    answer may have written its value (`may_write`), which then is no error answer's doing. Each
    write carries a distinct marker, so a changed value names the request that wrote it.
    """
    errors = [p for p in pending if not p.may_write]
    if (now or None) == (before or None):
        return [Finding(NO_CHANGE, Outcome.PASS, f"the face still holds {show(before)}", p.exchange) for p in errors]
    if any(p.may_write and p.sent == now for p in pending) or not errors:
        return [Finding(NO_CHANGE, Outcome.PASS, "the face holds the value of an update that got no answer; the error "
                        "answers changed nothing visible", p.exchange) for p in errors]
    culprit = next((p for p in errors if p.sent == now), errors[-1])
    who = "this request" if culprit.sent == now else f"one of {len(errors)} error answers (the last shown)"
    return [Finding(NO_CHANGE, Outcome.FAIL,
                    f"after {culprit.exchange.describe_answer()} to {who}, the face's userData "
                    f"changed from {show(before)} to {show(now)}", culprit.exchange)]


def needs_bisect(before: Any, now: Any, pending: Sequence[Pending]) -> bool:
    """True when the face changed, no request's marker explains the new value, and several error
    answers could have done it: only replaying them one at a time can name the one."""
    errors = [p for p in pending if not p.may_write]
    changed = (now or None) != (before or None)
    return changed and len(errors) > 1 and not any(p.sent == now for p in pending)


def changed_alone(before: Any, now: Any, replayed: Exchange) -> Finding:
    """x.no-change-on-error fails on the request that, replayed alone, changed the face."""
    return Finding(NO_CHANGE, Outcome.FAIL,
                   f"after {replayed.describe_answer()} to this request (replayed alone, after "
                   f"a batch of error answers changed the face), the face's userData changed from {show(before)} "
                   f"to {show(now)}", replayed)


def is_conflict(exchange: Exchange) -> bool:
    """True for a 409 with the concurrent-operation code (transient: the request may be repeated)."""
    return oracle.satisfies(exchange, CONFLICT)


def shape(row_id: str, exchange: Exchange, *, strict_messages: bool = False) -> list[Finding]:
    """A 403, 409 or 429 met on the way: its row and x.error-envelope, judged on its shape."""
    faults = oracle.envelope_faults(exchange, row_id)
    if strict_messages and (fault := oracle.message_fault(exchange, row_id)):
        faults.append(f"--strict-messages: {fault}")
    if faults:
        note = "; ".join(faults)
        return [Finding(row_id, Outcome.FAIL, note, exchange), Finding(oracle.ENVELOPE, Outcome.FAIL, note, exchange)]
    return [Finding(row_id, Outcome.PASS, f"HTTP {exchange.status} in the documented shape", exchange),
            Finding(oracle.ENVELOPE, Outcome.PASS, "error envelope as documented", exchange)]


def parallel_answers(results: Sequence[Exchange | None], *, strict_messages: bool = False) -> list[Finding]:
    """Each answer to parallel updates of one face: 200, 409 ConcurrentOperationConflict or 429."""
    findings: list[Finding] = []
    for exchange in results:
        if exchange is None:
            findings.append(Finding(PARALLEL, Outcome.ERROR, "a parallel update did not finish"))
            continue
        findings += oracle.status_findings(exchange)
        if exchange.status == 200:
            continue
        if is_conflict(exchange):
            findings += shape(CONFLICT, exchange, strict_messages=strict_messages)
        elif exchange.status == 409:
            findings.append(Finding(CONFLICT, Outcome.FAIL, f"a conflict answered {exchange.describe_answer()}, not "
                                    f"error.code {catalogue.row(CONFLICT).code!r}", exchange))
            findings.append(Finding(PARALLEL, Outcome.FAIL, f"a parallel update got {exchange.describe_answer()}",
                                    exchange))
        else:
            findings.append(Finding(PARALLEL, Outcome.FAIL,
                                    f"a parallel update got {exchange.describe_answer()}; only 200, "
                                    f"409 {catalogue.row(CONFLICT).code} or 429 conform", exchange))
    return findings


def parallel_outcome(values: Sequence[str], results: Sequence[Exchange | None], before: Any, stored: Any,
                     got: Exchange) -> Finding:
    """After parallel updates, the face must hold one of the values that got 200 (or, if none did, the old one)."""
    winners = [v for v, e in zip(values, results, strict=True) if e is not None and e.status == 200]
    if stored in (winners or [before]):
        return Finding(PARALLEL, Outcome.PASS,
                       f"{len(winners)} of {len(values)} parallel updates got 200; the face holds "
                       "one of their values", got)
    return Finding(PARALLEL, Outcome.FAIL,
                   f"after parallel updates of which {winners or 'none'} got 200, the face holds "
                   f"{show(stored)}", got)


def stuck(state_row: str, exchange: Exchange | None) -> bool:
    """True when a normal update still gets the answer of a state that should be over."""
    return exchange is not None and exchange.status != 200 and oracle.satisfies(exchange, state_row)


def stuck_finding(state_row: str, after: str, exchange: Exchange, tries: int) -> Finding:
    """The state's row fails: after it ended, normal updates kept getting its answer."""
    return Finding(state_row, Outcome.FAIL, f"stuck: after {after}, a normal update still got "
                   f"{exchange.describe_answer()} ({tries} tries)", exchange)


def read_back_failed(row_id: str, error: Exception, exchange: Exchange | None) -> Finding:
    """A check that could not be made: the read-back itself failed (the suite's error, not the row's)."""
    return Finding(row_id, Outcome.ERROR, f"could not read the face back: {error}", exchange)


# -- relations ---------------------------------------------------------------------------------------

ISOLATION = catalogue.check_row("isolation")


def answer_key(exchange: Exchange) -> tuple[int | None, Any]:
    """What two answers must share to be the same row's: the status and, for an error, its code."""
    if exchange.answer is None or exchange.answer.status < 400:
        return exchange.status, None
    return exchange.status, exchange.answer.error_field("code")


def same_answer(relation: str, row: str, base: Exchange, other: Exchange) -> list[Finding]:
    """Two spellings of one request must get the same row (docs/contract.md point 15).

    `row` is the row the base request's answer is; a 429 on either side is no answer to compare.
    """
    if 429 in (base.status, other.status) or base.status is None or other.status is None:
        return []
    if answer_key(base) == answer_key(other):
        return [Finding(row, Outcome.PASS, f"{relation}: the same answer as the request written plainly", other)]
    return [Finding(row, Outcome.FAIL, f"{relation}: the same request spelled differently got "
                    f"{other.describe_answer()}, where written plainly it got {base.describe_answer()}", other)]


def untouched(face: FaceRef, before: Any, now: Any, got: Exchange, *, after: str) -> Finding:
    """A face no request wrote must hold what it held (x.isolation), whatever was done to the others."""
    if (now or None) == (before or None):
        return Finding(ISOLATION, Outcome.PASS, f"after {after}, face {face.face} still holds {show(before)}", got)
    return Finding(ISOLATION, Outcome.FAIL, f"after {after}, face {face.face}, which no request wrote, changed "
                   f"from {show(before)} to {show(now)}", got)


def unaffected(state: str, expected_row: str, exchange: Exchange) -> list[Finding]:
    """A request to a resource that is not in `state` must not answer as if it were (x.isolation).

    The row itself is judged by the oracle; this says whether the other resource's state leaked in:
    a 409 (the page's answer to a training group or a write in flight) to an idle resource did.
    """
    if exchange.status is None or exchange.status == 429:
        return []
    if exchange.status == 409:
        return [Finding(ISOLATION, Outcome.FAIL, f"while {state}, a request to another, idle resource got "
                        f"{exchange.describe_answer()}; it must get {catalogue.answer_text(expected_row)}", exchange)]
    return [Finding(ISOLATION, Outcome.PASS, f"while {state}, another resource answered as it does when idle",
                    exchange)]
