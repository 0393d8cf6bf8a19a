"""Self-tests of relations and dimensions: the closed data, the spellings, the checks and `explored`."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from face_conformance.cases import catalogue, relations
from face_conformance.cases.world import FaceRef
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest
from face_conformance.evidence.recording import Entry
from face_conformance.evidence.run_record import RunRecord
from face_conformance.judging import checks
from face_conformance.judging.request import read_body
from face_conformance.run.explored import explored, planned

BASES = relations.relations()["bases"]


@pytest.fixture
def document(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A copy of the OpenAPI document the relations are read from, to break in a test."""
    doc = copy.deepcopy(catalogue.load_document())
    monkeypatch.setattr(catalogue, "load_document", lambda: doc)
    relations.relations.cache_clear()
    relations.dimensions.cache_clear()
    yield doc
    relations.relations.cache_clear()
    relations.dimensions.cache_clear()


@pytest.mark.parametrize(("where", "change", "named"), [
    (("x-relations",), {"equivalance": {}}, "'equivalance'"),
    (("x-relations", "equivalence"), {"spelings": []}, "'spelings'"),
    (("x-relations", "equivalence", "spellings"), ["pretty", "rot13"], "'rot13'"),
    (("x-relations", "history", "before"), ["same-thrice"], "'same-thrice'"),
    (("x-relations", "credentials", "carried", 0), {"scheme": "x"}, "'scheme'"),
    (("x-dimensions", "numbers", 0), {"precision": 3}, "'precision'"),
])
def test_an_unknown_key_or_name_is_an_error_naming_it(document: dict[str, Any], where: tuple[Any, ...],
                                                      change: Any, named: str) -> None:
    holder = document
    for step in where[:-1]:
        holder = holder[step]
    last = where[-1]
    if isinstance(change, dict) and isinstance(holder[last], dict):
        holder[last] = {**holder[last], **change}
    else:
        holder[last] = change
    with pytest.raises(relations.RelationError, match=named):
        relations.check_document()


def test_a_class_has_exactly_one_kind(document: dict[str, Any]) -> None:
    document["x-dimensions"]["numbers"][0] = {"id": "two", "number": "1", "depth": 3}
    with pytest.raises(relations.RelationError, match="exactly one kind"):
        relations.check_document()


def test_a_credential_is_never_tried_with_the_valid_key(document: dict[str, Any]) -> None:
    document["x-relations"]["credentials"]["carried"][0]["key"] = "valid"
    with pytest.raises(relations.RelationError, match="without the valid key"):
        relations.check_document()


def test_the_document_declares_every_kind_of_relation() -> None:
    assert set(catalogue.load_document()["x-relations"]) == set(relations.RELATION_KINDS)
    assert relations.relations()["spellings"] == relations.SPELLINGS


@given(base=st.sampled_from(BASES),
       spellings=st.lists(st.sampled_from(relations.SPELLINGS[:7]), unique=True, max_size=7))
def test_every_spelling_decodes_to_the_same_value(base: relations.Base, spellings: list[str]) -> None:
    assert json.loads(relations.spell(base.body, spellings)) == base.body


@pytest.mark.parametrize("spelling", relations.SPELLINGS[:7])
def test_every_body_spelling_changes_the_bytes(spelling: str) -> None:
    body = {**next(b for b in BASES if b.id == "astral-and-solidus").body, "note": "second member"}
    assert relations.spell(body, [spelling]) != relations.spell(body, [])


def test_escape_all_escapes_member_names_and_astral_characters_as_surrogate_pairs() -> None:
    text = relations.spell({"userData": "😀/"}, ["escape-all"]).decode()
    assert text == '{"\\u0075\\u0073\\u0065\\u0072\\u0044\\u0061\\u0074\\u0061":"\\ud83d\\ude00\\u002f"}'


def test_header_spellings_and_framing_leave_the_body_and_set_the_hints() -> None:
    world = _world()
    probe = relations.equivalent(world, BASES[0], ("header-names-upper", "chunked"))
    assert (probe.header_case, probe.framing) == ("upper", "chunked")
    assert json.loads(probe.body)["userData"].startswith(BASES[0].body["userData"])


def test_each_spelled_request_writes_a_distinct_value() -> None:
    world = _world()
    one, two = (relations.equivalent(world, BASES[0], ("pretty",)) for _ in range(2))
    assert json.loads(one.body) != json.loads(two.body)


@pytest.mark.parametrize("cls", relations.dimensions(), ids=lambda c: f"{c.dimension}/{c.id}")
def test_every_dimension_body_is_within_64_kib_and_read_as_the_contract_says(cls: relations.DimensionClass) -> None:
    body = relations.dimension_body(cls, "value")
    assert len(body) <= 64 * 1024
    content_type = f"application/json; charset={cls.value}" if cls.kind == "charset" else "application/json"
    read = read_body(body, content_type)
    expected = "undecodable" if cls.kind == "bytes_in_string" else "object"
    assert read.kind == expected, read


def test_credentials_try_each_one_on_a_shape_before_any_repeats() -> None:
    pairs = relations.credential_pairs()
    carried = relations.relations()["carried"]
    assert [c for c, _ in pairs[:len(carried)]] == list(carried)
    assert len(pairs) == len(carried) * len(relations.relations()["shapes"])
    assert all("{" not in v for c in carried for _, v in (*c.headers, *c.query))  # placeholders filled


# ---- the checks -----------------------------------------------------------------------------------------


def _exchange(status: int, code: str | None = None) -> Exchange:
    body = json.dumps({"error": {"code": code, "message": "m"}}).encode() if code else b""
    return Exchange(SentRequest("PATCH", "https://x/face", (), b"{}"), Answer(status, (), body))


def test_two_spellings_must_get_the_same_row() -> None:
    same = checks.same_answer("rel", "400.bad-json", _exchange(400, "BadArgument"), _exchange(400, "BadArgument"))
    assert [(f.row, f.verdict) for f in same] == [("400.bad-json", "pass")]
    other = checks.same_answer("rel", "400.bad-json", _exchange(400, "BadArgument"), _exchange(200))
    assert [(f.row, f.verdict) for f in other] == [("400.bad-json", "fail")]
    assert "written plainly it got HTTP 400" in other[0].note
    assert checks.same_answer("rel", "200.ok", _exchange(200), _exchange(429)) == []


def test_a_face_no_request_wrote_must_hold_its_value() -> None:
    face = FaceRef("g", "p", "f")
    assert checks.untouched(face, "a", "a", _exchange(200), after="x").verdict == "pass"
    assert checks.untouched(face, None, "", _exchange(200), after="x").verdict == "pass"
    changed = checks.untouched(face, "a", "b", _exchange(200), after="x")
    assert (changed.row, changed.verdict) == ("x.isolation", "fail")


def test_an_idle_resource_must_not_answer_as_if_in_another_ones_state() -> None:
    assert [f.verdict for f in checks.unaffected("training", "404.face-missing", _exchange(404, "X"))] == ["pass"]
    leaked = checks.unaffected("training", "404.face-missing", _exchange(409, "PersonGroupTrainingNotFinished"))
    assert [(f.row, f.verdict) for f in leaked] == [("x.isolation", "fail")]
    assert checks.unaffected("training", "200.ok", _exchange(429)) == []


# ---- explored -----------------------------------------------------------------------------------------


def _world():  # noqa: ANN202
    from face_conformance.cases.world import World

    return World(face=FaceRef("g1", "11111111-1111-4111-8111-111111111111", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"),
                 missing_group="g0", sibling=FaceRef("g1", "22222222-2222-4222-8222-222222222222",
                                                     "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"),
                 other_group="g2", other_person="33333333-3333-4333-8333-333333333333")


def test_explored_counts_requests_and_rows_per_class_and_lists_what_was_not_tried() -> None:
    steps = ({"call": "run", "probe": {"label": "explore dimension numbers/int64-max"}},
             {"call": "equivalence", "spelled": {"label": "explore relation equivalence/pretty+chunked @ b"}},
             {"call": "run", "probe": {"label": "a documented row"}})
    entries = tuple(Entry(_exchange(200).__class__(_exchange(200).request, _exchange(200).answer, entry=i), "x",
                          "valid", 0.0, step, 10, 0) for i, step in enumerate((0, 1, 1, 2)))
    record = RunRecord("t", steps=steps, entries=entries, judged={0: [("200.ok", "pass")], 2: [("200.ok", "fail")]})
    found = {(e["section"], e["name"]): e for e in explored(record, profile="full", mode="live")}
    numbers = found[("dimension", "numbers")]
    assert numbers["classes"] == [{"class": "int64-max", "requests": 1, "rows": {"200.ok": "pass"}}]
    assert "int64-max" not in numbers["not_tried"] and numbers["not_tried"]
    assert "share of requests" in numbers["why_not_tried"]
    equivalence = found[("relation", "equivalence")]
    assert equivalence["requests"] == 2 and equivalence["classes"][0]["rows"] == {"200.ok": "fail"}
    assert {"pretty", "chunked"}.isdisjoint(equivalence["not_tried"])
    assert [(s, n) for s, n, _ in planned()] == list(found)
