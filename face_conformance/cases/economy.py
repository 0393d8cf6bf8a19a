"""Request economy: the fewest requests a live smoke run could send, term by term.

A smoke run against a live (metered, rate-limited) endpoint should cost little more than the
floor computed here; `benchmarks/smoke_requests.py` prints the ratio and
`tests/e2e/test_smoke_economy.py` holds it under `SMOKE_BUDGET_RATIO`.

The floor counts:

- one request for each row a live run can provoke at will and that needs a request of its own
  (`own_request_rows`): the rows of the catalogue that are not N/A and whose `observe` is
  `always` or `training`, less the rows judged on the answers other rows provoke
  (`RIDES_ON_OTHERS`). The rows a live server shows only when it chooses to (403 quota, 429
  rate limit, 409 concurrent: `observe: when-seen`) cannot be provoked and cost nothing.
  `x.concurrent-writes` needs at least two parallel updates; it is still counted at one, so the
  floor stays a floor;
- the read-backs (Get Face) those rows need (`READ_BACKS`);
- training: one Train and one Training Status that shows it running (`TRAINING_CALLS`);
- set-up, as docs/contract.md fixes it: two groups, three persons (two in the first, one in the
  second), three faces (`SETUP_CALLS`): the scoping rows need a person of another group and a face
  of another person; a large face list, which has no persons, needs two lists and a face in each
  (`setup_calls`);
- teardown: one Delete Person Group per group (`TEARDOWN_CALLS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from face_conformance.cases import catalogue, operation

#: Rows judged on the answers to other rows' requests: they provoke nothing themselves.
#: (x.no-change-on-error needs a read-back after the error answers: see READ_BACKS.)
RIDES_ON_OTHERS = frozenset(catalogue.check_row(c) for c in ("error-envelope", "documented-status",
                                                              "no-change-on-error"))

#: The Get Face calls the rows need, each with why.
READ_BACKS = {
    catalogue.check_row("read-after-write"): "Get Face after the 200, to see the value written",
    catalogue.check_row("no-change-on-error"): "one Get Face after the error answers (batched), to see nothing "
                                               "changed",
    catalogue.check_row("concurrent-writes"): "Get Face after the parallel updates, to see which value won",
    catalogue.check_row("isolation"): "Get Face of the run's other face, to see it kept its value",
}
#: Train, then one Training Status showing `running` (the PATCH in between is 409.training's own).
TRAINING_CALLS = 2
#: Create Person Group ×2, Create Person ×3, Add Face ×3 (docs/contract.md: two groups, two faces; a third, in the
#: second group, for x.isolation).
SETUP_CALLS = 8
#: Delete Person Group, once per group.
TEARDOWN_CALLS = 2
#: How far above the floor a live smoke run may go.
SMOKE_BUDGET_RATIO = 1.5


@dataclass(frozen=True)
class Term:
    """One term of the floor: a name, its request count and what it stands for."""

    name: str
    requests: int
    why: str


def at_will_rows() -> tuple[str, ...]:
    """Rows a live run can provoke at will: not N/A, and `observe` `always` or `training`."""
    return tuple(r.id for r in catalogue.rows() if r.level != "N/A" and r.observe in ("always", "training"))


def own_request_rows() -> tuple[str, ...]:
    """The at-will rows that need a PATCH of their own (one each, at the floor)."""
    return tuple(r for r in at_will_rows() if r not in RIDES_ON_OTHERS)


def setup_calls() -> tuple[int, str]:
    """The set-up calls of the selected operation, and what they are."""
    noun = operation.current().noun
    if operation.current().has_person:
        return SETUP_CALLS, f"Create {noun} ×2, Create Person ×3, Add Face ×3"
    return 4, f"Create {noun} ×2, Add Face ×2"


def minimum_terms() -> list[Term]:
    """The floor of a live smoke run (of the selected operation), term by term."""
    own = own_request_rows()
    setup, what = setup_calls()
    return [
        Term("set-up", setup, what),
        Term("rows", len(own), f"one PATCH for each row provoked at will: {', '.join(own)}"),
        Term("read-backs", len(READ_BACKS), "; ".join(f"{row}: {why}" for row, why in READ_BACKS.items())),
        Term("training", TRAINING_CALLS, "Train, and one Training Status that shows it running"),
        Term("teardown", TEARDOWN_CALLS, f"Delete {operation.current().noun} ×2"),
    ]


def minimum_smoke_requests() -> int:
    """The fewest requests a live smoke run could send and still observe every at-will row."""
    return sum(term.requests for term in minimum_terms())
