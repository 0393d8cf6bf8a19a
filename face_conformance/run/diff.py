"""`face-conformance diff A B`: two services side by side, probe by probe.

Each side is a recording (`exchanges.har`), a live endpoint or the embedded reference. A recording
is re-judged offline (`replay`); a side that answers is sent the same steps, in the same order, as
the other side's recording, with its own provisioned resources standing in for the recorded IDs
(two sides that both answer: A runs the suite, B is sent A's steps). Then every probe is lined up:
its answer, the value stored afterwards and the rows it was judged on, on each side; and each
difference is classified (`classify`, a pure function of the two sides' exchanges and findings).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import BAD, DiffClass, Outcome
from face_conformance.cases.probes import Probe
from face_conformance.cases.world import World
from face_conformance.evidence.exchange import Exchange
from face_conformance.evidence.recording import Entry
from face_conformance.evidence.run_record import RunRecord

#: Steps that send probes of their own (the others only read back, set up or tear down).
PROBE_CALLS = ("run", "recover_after", "concurrent_writes", "training", "equivalence")
#: Rows a server shows only when it chooses to (429), or that a run sees only if it is in time (training).
CHANCE = frozenset({"when-seen", "training"})
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


# -- one side of a step --------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """What one side answered to one step's probe, reduced to what two services can differ in."""

    status: int | None
    code: Any = None
    language: str | None = None  # "cjk" or "latin": the script of error.message
    envelope: tuple[str, ...] | None = None  # the fields of the error object, sorted; None without one
    media: str | None = None  # the answer's media type, without parameters
    stored: Any = "(not read)"  # the userData read back after the probe within the step
    exchange: Exchange | None = None
    read_back: Exchange | None = None
    judged: dict[str, str] = field(default_factory=dict)  # row -> worst verdict on this step's exchanges

    def differs_from(self, other: Answer) -> list[str]:
        """The ways this answer differs from another: status, code, message language, stored value."""
        out = []
        for name in ("status", "code", "language", "envelope", "media"):
            if getattr(self, name) != getattr(other, name):
                out.append(f"{name} {getattr(other, name)!r} vs {getattr(self, name)!r}")
        if "(not read)" not in (self.stored, other.stored) and self.stored != other.stored:
            out.append(f"stored {other.stored!r} vs {self.stored!r}")
        return out


def _worst(verdicts: list[str]) -> str:
    order = [Outcome.FAIL, Outcome.ERROR, Outcome.WARN, Outcome.PASS, Outcome.INFO]
    return next((str(v) for v in order if v in verdicts), verdicts[0])


def answer_of(entries: list[Entry], judged: Mapping[int, list[tuple[str, str]]]) -> Answer:
    """One side's answer to a step: its last probe PATCH, the read-back after it, every row judged."""
    rows: dict[str, list[str]] = {}
    for entry in entries:
        for row, verdict in judged.get(entry.exchange.entry if entry.exchange.entry is not None else -1, []):
            rows.setdefault(row, []).append(verdict)
    patches = [e for e in entries if e.exchange.request.method == "PATCH" and e.purpose not in ("read-back", "restore")]
    if not patches:
        return Answer(None, judged={row: _worst(v) for row, v in rows.items()})
    probe = patches[-1].exchange
    after = [e.exchange for e in entries[entries.index(patches[-1]) + 1:]
             if e.exchange.request.method == "GET" and e.purpose == "read-back" and e.exchange.status == 200]
    stored: Any = "(not read)"
    if after and after[0].answer is not None:
        data = after[0].answer.json()
        stored = data.get("userData") if isinstance(data, dict) else "(not JSON)"
    return Answer(probe.status, *_error_shape(probe), stored=stored, exchange=probe,
                  read_back=after[0] if after else None, judged={row: _worst(v) for row, v in rows.items()})


def _error_shape(exchange: Exchange) -> tuple[Any, str | None, tuple[str, ...] | None, str | None]:
    """(error.code, the script of error.message, the error object's fields, the media type) of an answer."""
    answer = exchange.answer
    if answer is None:
        return None, None, None, None
    message = answer.error_field("message")
    language = None if not isinstance(message, str) else ("cjk" if _CJK.search(message) else "latin")
    data = answer.json()
    error = data.get("error") if isinstance(data, dict) else None
    envelope = tuple(sorted(error)) if isinstance(error, dict) else None
    media = (answer.header("content-type") or "").split(";", 1)[0].strip().lower() or None
    return answer.error_field("code"), language, envelope, media


# -- the judgement of a difference -----------------------------------------------------------------

@cache
def _chance_rows() -> frozenset[str]:
    return frozenset(row.id for row in catalogue.rows() if row.observe in CHANCE)


def classify(a: Answer, b: Answer, *, answers: bool = True) -> tuple[str, str]:
    """(class, why) of one step: B breaks a row A holds, the reverse, the same rows but other answers, or same.

    A row that only one side showed (a 429 met, training seen in time) is not a difference; a step
    whose only difference is such a row is `one-side`. Without `answers`, only the rows judged are
    compared (parallel writes and training: which write wins, and when training ends, is chance).
    """
    chance = _chance_rows()
    only_one = sorted((set(a.judged) ^ set(b.judged)) & chance)
    a_bad = {r for r, v in a.judged.items() if v in BAD and r not in only_one}
    b_bad = {r for r, v in b.judged.items() if v in BAD and r not in only_one}
    if b_bad - a_bad:
        return DiffClass.REGRESSION, f"B breaks {', '.join(sorted(b_bad - a_bad))}, which A holds"
    if a_bad - b_bad:
        return DiffClass.IMPROVEMENT, f"A breaks {', '.join(sorted(a_bad - b_bad))}, which B holds"
    differs = b.differs_from(a) if answers else []
    if differs:
        return DiffClass.DIVERGENCE, "both conform; they answer differently: " + "; ".join(differs)
    if only_one:
        return DiffClass.ONE_SIDE, f"seen on one side only: {', '.join(only_one)}"
    return DiffClass.SAME, "the same answer on both sides"


def classify_row(a: str, b: str) -> str:
    """The class of a row from its two outcomes."""
    if a == b:
        return DiffClass.SAME
    if {a, b} & {Outcome.NOT_OBSERVED, Outcome.NOT_APPLICABLE}:
        return DiffClass.ONE_SIDE  # a 429 or training one side showed, or a side that stopped early
    if b in BAD and a not in BAD:
        return DiffClass.REGRESSION
    if a in BAD and b not in BAD:
        return DiffClass.IMPROVEMENT
    return DiffClass.SAME


# -- lining the two sides up ---------------------------------------------------------------------

def line_up(steps: list[dict[str, Any]], a: RunRecord, a_steps: Mapping[int, int], b: RunRecord,
            b_steps: Mapping[int, int]) -> list[dict[str, Any]]:
    """Every probe step on both sides, with each side's answer and the class of their difference.

    `a_steps` and `b_steps` say which step of each side's own recording each source step became.
    """
    a_entries, b_entries = a.entries_by_step(a_steps), b.entries_by_step(b_steps)
    a_judged, b_judged = a.judged, b.judged
    out = []
    for index, step in enumerate(steps):
        if step.get("call") not in PROBE_CALLS:
            continue
        if index not in a_steps or index not in b_steps:
            out.append(_probe_record(index, step, None, None, DiffClass.ONE_SIDE, "performed on one side only"))
            continue
        answer_a = answer_of(a_entries.get(index, []), a_judged)
        answer_b = answer_of(b_entries.get(index, []), b_judged)
        kind, why = classify(answer_a, answer_b, answers=step["call"] in ("run", "recover_after"))
        out.append(_probe_record(index, step, answer_a, answer_b, kind, why))
    return out


def _probe_record(index: int, step: Mapping[str, Any], a: Answer | None, b: Answer | None, kind: str,
                  why: str) -> dict[str, Any]:
    probe = next((step[n] for n in ("probe", "spelled") if isinstance(step.get(n), dict)), {})
    return {"step": index, "call": step.get("call"), "label": probe.get("label") or step.get("call"),
            "rows": probe.get("rows", []), "class": kind, "why": why, "a": _side(a), "b": _side(b)}


def _side(answer: Answer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {"status": answer.status, "code": answer.code, "language": answer.language,
            "envelope": list(answer.envelope) if answer.envelope is not None else None, "media": answer.media,
            "stored": answer.stored,
            "judged": answer.judged,
            "exchange": answer.exchange.to_dict("info", "the probe's answer") if answer.exchange else None,
            "read_back": answer.read_back.to_dict("info", "read back afterwards") if answer.read_back else None}


# -- a side sent the other's steps -----------------------------------------------------------------

def id_map(source: World, target: World) -> dict[str, str]:
    """Each recorded resource ID and the ID that stands in for it on the other side."""
    pairs = [(source.face.group, target.face.group), (source.face.person, target.face.person),
             (source.face.face, target.face.face), (source.missing_group, target.missing_group)]
    if source.sibling and target.sibling:
        pairs += [(source.sibling.person, target.sibling.person), (source.sibling.face, target.sibling.face)]
    if source.other_group and target.other_group:
        pairs.append((source.other_group, target.other_group))
    if source.other_person and target.other_person:
        pairs.append((source.other_person, target.other_person))
    return {old: new for old, new in pairs if old and new}


def _swap(value: str, ids: Mapping[str, str]) -> str:
    """An ID (or a value built from one: a case change, a character added) moved to the other side's."""
    for old, new in sorted(ids.items(), key=lambda kv: len(kv[0]), reverse=True):
        if old == value:
            return new
        if old.upper() == value:
            return new.upper()
        if old in value:
            return value.replace(old, new)
        if old.upper() in value:
            return value.replace(old.upper(), new.upper())
    return value


def moved(probe: Probe, ids: Mapping[str, str]) -> Probe:
    """A recorded probe addressed to the other side's resources."""
    return replace(probe, group=_swap(probe.group, ids), person=_swap(probe.person, ids),
                   face=_swap(probe.face, ids))
