"""The vocabulary of results, defined once: outcomes, run verdicts, diff classes and exit statuses.

A finding's verdict is an `Outcome` (pass, fail, warn, info, error, not-observed); a row's
outcome adds `accepted` (the baseline explains it) and `not-applicable` (by design). A run comes
to a `Verdict`, a diff to a `DiffVerdict`, and each of them maps to one `Exit` status.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


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


class Verdict(StrEnum):
    """What a whole run comes to (docs/contract.md, "The interface")."""

    CONFORMANT = "conformant"
    NON_CONFORMANT = "non-conformant"
    INCONCLUSIVE = "inconclusive"


class Exit(IntEnum):
    """The exit statuses of every command, the one thing a CI gate reads."""

    OK = 0
    FAILED = 1
    USAGE = 2
    INCONCLUSIVE = 3


class DiffClass(StrEnum):
    """How one probe compares across the two sides of a diff."""

    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    DIVERGENCE = "divergence"
    SAME = "same"
    ONE_SIDE = "one-side"


#: The classes, in the order a reader wants them: divergences first.
DIFF_CLASSES: tuple[DiffClass, ...] = (DiffClass.DIVERGENCE, DiffClass.REGRESSION, DiffClass.IMPROVEMENT,
                                       DiffClass.ONE_SIDE, DiffClass.SAME)


class DiffVerdict(StrEnum):
    """What a whole diff comes to."""

    NO_REGRESSION = "no regression"
    REGRESSION = "regression"
    INCONCLUSIVE = "inconclusive"


#: The exit status of each verdict, for runs and diffs alike.
EXIT: dict[str, Exit] = {
    Verdict.CONFORMANT: Exit.OK, Verdict.NON_CONFORMANT: Exit.FAILED, Verdict.INCONCLUSIVE: Exit.INCONCLUSIVE,
    DiffVerdict.NO_REGRESSION: Exit.OK, DiffVerdict.REGRESSION: Exit.FAILED,
}

#: The style a report gives a verdict of either kind: which run verdict it reads like.
VERDICT_LOOK: dict[str, Verdict] = {
    **{v: v for v in Verdict},
    DiffVerdict.NO_REGRESSION: Verdict.CONFORMANT, DiffVerdict.REGRESSION: Verdict.NON_CONFORMANT,
}
