"""The outcome vocabulary: what a row (or one finding) can come to, defined once.

A finding's verdict is one of these too (pass, fail, warn, info, error, not-observed); a row's
outcome adds `accepted` (the baseline explains it) and `not-applicable` (by design).
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """One outcome. Members are strings, so they compare equal to the values in result dicts."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    INFO = "info"
    ACCEPTED = "accepted"
    NOT_OBSERVED = "not-observed"
    NOT_APPLICABLE = "not-applicable"
    ERROR = "error"


#: Every outcome as plain strings, in the order reports list them (the catalogue's order).
OUTCOMES: tuple[str, ...] = tuple(outcome.value for outcome in Outcome)

#: The outcomes that break a run: the service failed a row, or the suite could not judge it.
BAD: frozenset[Outcome] = frozenset({Outcome.FAIL, Outcome.ERROR})

#: Rows with these outcomes were not exercised by the run at all.
UNTESTED: frozenset[Outcome] = frozenset({Outcome.NOT_OBSERVED, Outcome.NOT_APPLICABLE})

#: Outcomes a reader need not look at. Anything else needs attention, an outcome this version does
#: not know included, so the set is of the quiet ones rather than of the loud ones.
QUIET: frozenset[Outcome] = frozenset({Outcome.PASS, Outcome.INFO, Outcome.NOT_APPLICABLE})

#: Most severe first: how evidence is ordered within a row.
SEVERITY: tuple[Outcome, ...] = (
    Outcome.FAIL,
    Outcome.ERROR,
    Outcome.WARN,
    Outcome.ACCEPTED,
    Outcome.INFO,
    Outcome.PASS,
    Outcome.NOT_OBSERVED,
    Outcome.NOT_APPLICABLE,
)

#: What each outcome means, in a few words (the HTML report's tooltips).
MEANING: dict[Outcome, str] = {
    Outcome.PASS: "the answer matched the page",
    Outcome.FAIL: "the answer broke the page",
    Outcome.WARN: "a SHOULD was not met",
    Outcome.INFO: "reported, not judged",
    Outcome.ACCEPTED: "a deviation the baseline accepts",
    Outcome.NOT_OBSERVED: "the run could not provoke this row",
    Outcome.NOT_APPLICABLE: "the row does not apply to this endpoint",
    Outcome.ERROR: "the suite itself broke on this row",
}


def severity(outcome: object) -> int:
    """Where an outcome sorts, most severe first; anything unknown sorts last."""
    try:
        return SEVERITY.index(Outcome(outcome))
    except ValueError:
        return len(SEVERITY)
