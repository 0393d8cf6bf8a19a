"""Relations and dimensions: what the page implies across the request space, stated once as data.

The document's `x-relations` and `x-dimensions` say what is tried (`face_conformance.cases.relations`
reads them). Credentials: without the valid key, nothing else lets a request through, on any shape.
Equivalence: Hypothesis draws a base request and a set of spellings (escapes, whitespace, member
order, header-name case, chunked framing), and shrinks a failure to the fewest spellings; every
spelling is tried at least once. Dimensions: each class and edge of the body's bytes, its JSON
structure and its numbers gets a documented status and the row the contract gives. History: the
same update after any history gets the same answer and stores the same value.

All of this belongs to the full profile. A live run gives it a share of its requests
(`EXPLORE_LIVE`); what did not fit is listed in the report's `explored` section.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from face_conformance.cases import relations
from face_conformance.cases.probes import marker, user_data_body
from face_conformance.judging import oracle
from face_conformance.judging.findings import Finding
from face_conformance.reporting.failures import assert_held
from face_conformance.run import scenarios
from face_conformance.run.runner import Runner

BASES = relations.relations()["bases"]
SPELLINGS = relations.relations()["spellings"]
DIMENSIONS = relations.interleaved(relations.dimensions())
CREDENTIALS = relations.credential_pairs()
HISTORIES = relations.relations()["before"]


@pytest.fixture(scope="module")
def explore(runner: Runner) -> Runner:
    """The runner, for the full profile only (a smoke run explores nothing but x.isolation)."""
    if runner.smoke:
        pytest.skip("relations and dimensions belong to --profile full")
    return runner


def _room(runner: Runner, section: str) -> None:
    runner.raise_if_halted()
    if not runner.explore_left(section):
        pytest.skip(f"the run's share of requests for {section} is spent (the report's `explored` lists the rest)")


@pytest.mark.row("401.invalid-key", "x.auth-first")
@pytest.mark.parametrize(("credential", "shape"), CREDENTIALS,
                         ids=[f"{c.id}@{s.id}" for c, s in CREDENTIALS])
def test_no_credential_but_the_key(explore: Runner, credential: relations.Credential,
                                   shape: relations.Shape) -> None:
    """A request without the valid key is 401 (or 429) whatever other credential it carries (point 17)."""
    _room(explore, "credentials")
    assert explore.world is not None
    with explore.exploring("credentials"):
        assert_held(explore.run(relations.credential_probe(explore.world, credential, shape)))


def _spelling_sets() -> st.SearchStrategy[tuple[str, ...]]:
    # Sorted by the document's order, so a failure shrinks to the fewest and earliest spellings.
    return st.lists(st.sampled_from(SPELLINGS), min_size=1, max_size=3, unique=True).map(
        lambda chosen: tuple(s for s in SPELLINGS if s in chosen))


def _cover(test):  # noqa: ANN001, ANN202 - a decorator: every spelling once, on the base the document names
    # Hypothesis runs explicit examples last-applied first: apply them in reverse, so they run in order.
    for base, spelling in reversed(relations.relations()["cover"]):
        test = example(base=base, spellings=(spelling,))(test)
    return test


@pytest.mark.row("200.ok", "x.read-after-write")
@settings(max_examples=max(len(SPELLINGS), settings().max_examples))
@given(base=st.sampled_from(BASES), spellings=_spelling_sets())
@_cover
def test_the_same_request_spelled_differently(explore: Runner, base: relations.Base,
                                              spellings: tuple[str, ...]) -> None:
    """The same request spelled differently gets the same row and stores the same value (point 15)."""
    _room(explore, "equivalence")
    assert explore.world is not None
    plain = relations.equivalent(explore.world, base, ())
    spelled = relations.equivalent(explore.world, base, spellings)
    with explore.exploring("equivalence"):
        assert_held(scenarios.equivalence(explore, base.id, plain, spelled))


@pytest.mark.row("x.documented-status", "400.bad-json", "200.ok")
@pytest.mark.parametrize("cls", DIMENSIONS, ids=[f"{c.dimension}/{c.id}" for c in DIMENSIONS])
def test_every_class_of_every_dimension(explore: Runner, cls: relations.DimensionClass) -> None:
    """Each class and edge gets a documented status and the row the contract gives (points 14, 18)."""
    _room(explore, "dimensions")
    assert explore.world is not None
    with explore.exploring("dimensions"):
        assert_held(explore.run(relations.dimension_probe(explore.world, cls)))


@pytest.mark.row("200.ok", "x.read-after-write")
@pytest.mark.parametrize("before", HISTORIES)
def test_history_does_not_matter(explore: Runner, before: str) -> None:
    """An update gets 200 and stores its value whatever the face held and was sent before (point 16)."""
    _room(explore, "history")
    findings: list[Finding] = []
    with explore.exploring("history"):
        for label, body in _history(explore, before):
            findings += explore.run(explore.probe_on_face(
                f"{relations.LABEL_PREFIX}relation history/{before} @ {label}", body=body, rows=(oracle.OK,)))
    assert_held(findings)


def _history(runner: Runner, before: str) -> list[tuple[str, bytes]]:
    value = marker()  # the probes' counter: a replay takes the recorded bodies, not the runner's counter
    then = ("then", user_data_body(value))
    earlier = {
        "same-twice": [("first", user_data_body(value)), ("again", user_data_body(value))],
        "over-empty": [("an empty value", user_data_body("")), then],
        "over-null": [("null", user_data_body(None)), then],
        "over-long": [("1024 bytes", user_data_body("h" * 1024)), then],
        "after-error": [("an over-long value", user_data_body("e" * 1025)), then],
    }
    return earlier[before]
