"""`face_conformance.run.diff`'s classes, on hand-built answers.

Two services compared through `face-conformance diff`, mock and on loopback, are the end-to-end
tier's (`tests/e2e/test_diff_cli.py`).
"""

from __future__ import annotations

import pytest

from face_conformance.cases.outcomes import DiffClass
from face_conformance.run.diff import Answer, classify, classify_row


def _answer(status: int, **judged: str) -> Answer:
    return Answer(status, judged={row.replace("_", "."): verdict for row, verdict in judged.items()})


@pytest.mark.parametrize(("a", "b", "kind"), [
    (_answer(200, x_read_after_write="pass"), _answer(200, x_read_after_write="fail"), DiffClass.REGRESSION),
    (_answer(200, x_read_after_write="fail"), _answer(200, x_read_after_write="pass"), DiffClass.IMPROVEMENT),
    (_answer(400, x_documented_status="pass"), _answer(200, x_documented_status="pass"), DiffClass.DIVERGENCE),
    (_answer(200), _answer(200), DiffClass.SAME),
])
def test_classify(a: Answer, b: Answer, kind: str) -> None:
    """B breaks what A holds; the reverse; both conform but differ; the same."""
    assert classify(a, b)[0] == kind


def test_a_row_seen_on_one_side_only_is_no_difference() -> None:
    """A 429 met by one side is shown as such; a regression on it is not claimed."""
    a = _answer(200, x_read_after_write="pass")
    b = Answer(200, judged={"x.read-after-write": "pass", "429.rate-limit": "fail"})
    assert classify(a, b) == (DiffClass.ONE_SIDE, "seen on one side only: 429.rate-limit")
    assert classify_row("pass", "not-observed") == DiffClass.ONE_SIDE
    assert classify_row("pass", "fail") == DiffClass.REGRESSION
    assert classify_row("fail", "pass") == DiffClass.IMPROVEMENT


def test_the_envelope_and_media_type_are_compared_too() -> None:
    """Same status and code, but another error object or media type: a divergence that says which."""
    a = Answer(400, code="BadArgument", envelope=("code", "message"), media="application/json")
    b = Answer(400, code="BadArgument", envelope=("code", "innererror", "message"), media="application/json")
    kind, why = classify(a, b)
    assert kind == DiffClass.DIVERGENCE and "envelope" in why
    assert classify(a, Answer(400, code="BadArgument", envelope=("code", "message"), media="text/json"))[0] == \
        DiffClass.DIVERGENCE


def test_without_answers_only_rows_count() -> None:
    """Parallel writes and training: which write won, or when training ended, is no divergence."""
    assert classify(_answer(200), _answer(409), answers=False)[0] == DiffClass.SAME
