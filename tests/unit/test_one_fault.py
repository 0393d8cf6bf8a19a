"""One fault per MUST verdict: every probe the suite can send is walked, explicit and generated.

A probe that the oracle could fail on a MUST row must differ from a valid update in exactly that
row's part (`onefault.differences`, read without the oracle). The last tests show the check
failing on a two-fault MUST probe, and on an oracle that forgets an either-way body.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from face_conformance.cases import catalogue, nearmiss, relations, strategies
from face_conformance.cases.probes import (
    Probe,
    explicit_cases,
    from_row_data,
    near_miss,
    near_miss_cases,
    on_face,
    user_data_body,
    wrong_key_shapes,
)
from face_conformance.cases.steer import probe_from_case
from face_conformance.cases.world import FaceRef, World
from face_conformance.judging import onefault, oracle
from face_conformance.judging.oracle import Allowed, Expectation

GENERATED = settings(max_examples=60, database=None, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow])


def world() -> World:
    """A provisioned world: two groups, a sibling face, another group's person."""
    return World(face=FaceRef("conformance-5e1f00aa01", "11111111-1111-4111-8111-111111111111",
                              "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"),
                 missing_group="conformance-0ff1ce0000",
                 sibling=FaceRef("conformance-5e1f00aa01", "22222222-2222-4222-8222-222222222222",
                                 "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"),
                 other_group="conformance-9a9a9a9a02", other_person="33333333-3333-4333-8333-333333333333")


def check(probe: Probe, *, training: bool = False) -> None:
    w = world()
    problem = onefault.violation(probe, oracle.expect(probe, w, training=training), w)
    assert problem is None, problem


@pytest.mark.parametrize(("row_id", "index", "data"), explicit_cases(), ids=lambda v: str(v)[:48])
def test_explicit_probes_have_one_fault(row_id: str, index: int, data: dict) -> None:
    probe = from_row_data(catalogue.row(row_id), index, data, world())
    assert probe is not None
    check(probe)


@pytest.mark.parametrize(("part", "rule"), near_miss_cases())
def test_near_misses_have_one_fault(part: str, rule: str) -> None:
    probe = near_miss(world(), part, rule)
    assert onefault.differences(probe, world()) == {part}, probe.label
    check(probe)


def test_wrong_key_shapes_are_judged_on_the_key() -> None:
    shapes = wrong_key_shapes(world())
    assert len(shapes) >= 10
    for probe in shapes:
        exp = oracle.expect(probe, world())
        assert exp.primary in ("401.invalid-key", "x.auth-first"), probe.label
        check(probe)


def test_live_only_probes_have_one_fault() -> None:
    check(on_face(world(), "update while training"), training=True)
    check(on_face(world(), "state after state"))


# -- generated: the suite's Hypothesis recipes, built as the suite builds them -------------------

BODY_RECIPES = {
    "boundary": strategies.user_data_near_limit().map(user_data_body),
    "round-trip": strategies.round_trip_text().map(user_data_body),
    "real-data": strategies.real_user_data_text().map(user_data_body),
    "not-an-object": strategies.non_object_bodies(),
    "wrong-type": strategies.non_string_user_data().map(user_data_body),
    "open": st.sampled_from([b"{}", b'{"userData": null}', b"", b'{"userData": "extra", "unknown": 1}']),
}


@pytest.mark.parametrize("name", list(BODY_RECIPES))
def test_generated_bodies_have_one_fault(name: str) -> None:
    @GENERATED
    @given(body=BODY_RECIPES[name])
    def walk(body: bytes) -> None:
        check(on_face(world(), name, body=body))

    walk()


PATH_RECIPES = {
    "group": strategies.malformed_group_ids(),
    "person": strategies.malformed_guids(),
    "face": strategies.malformed_guids(),
}


@pytest.mark.parametrize("slot", list(PATH_RECIPES))
def test_generated_ids_have_one_fault(slot: str) -> None:
    @GENERATED
    @given(value=PATH_RECIPES[slot])
    def walk(value: str) -> None:
        check(replace(on_face(world(), slot), **{slot: value}))

    walk()


@GENERATED
@given(person=strategies.unknown_guids(), face=st.one_of(st.none(), strategies.unknown_guids()))
def test_generated_unknown_ids_are_judged_on_the_person(person: str, face: str | None) -> None:
    probe = on_face(world(), "unknown")
    check(replace(probe, person=person, face=face or probe.face))


@GENERATED
@given(media=strategies.media_types())
def test_generated_media_types_have_one_fault(media: str) -> None:
    check(on_face(world(), "media", content_type=media))


@GENERATED
@given(near=strategies.near_miss_ids())
def test_generated_near_miss_ids_have_one_fault(near: tuple[str, str]) -> None:
    slot, rule = near
    check(strategies.apply_near_miss(on_face(world(), "near"), slot, rule))


@GENERATED
@given(key=strategies.near_miss_rules("key"), media=strategies.near_miss_rules("content_type"))
def test_generated_near_miss_keys_and_media_types_have_one_fault(key: str, media: str) -> None:
    check(on_face(world(), "near key", key=f"near:{key}"))
    check(on_face(world(), "near media", content_type=nearmiss.derive("content_type", media, "application/json")))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_cases_have_one_fault(mode: GenerationMode) -> None:
    operation = schemathesis.openapi.from_dict(catalogue.load_document()).find_operation_by_id("updatePersonFace")

    @GENERATED
    @given(case=operation.as_strategy(generation_mode=mode))
    def walk(case: schemathesis.Case) -> None:
        check(probe_from_case(case, world()))

    walk()


# -- the check itself fails where it must ----------------------------------------------------------


def test_a_two_fault_must_probe_is_caught() -> None:
    """A missing group and an empty body, judged as a MUST 404: the check names both parts."""
    w = world()
    probe = replace(on_face(w, "two faults", body=b""), group=w.missing_group)
    must = Expectation("404.group-missing", (Allowed("404.group-missing", "404.group-missing"),), face_id=None)
    problem = onefault.violation(probe, must, w)
    assert problem is not None and "body" in problem and "personGroupId" in problem
    # The oracle itself makes it a warning, so the suite never sends it as a MUST probe.
    assert oracle.expect(probe, w).miss_verdict == "warn"
    assert onefault.violation(probe, oracle.expect(probe, w), w) is None


def test_an_oracle_that_forgets_an_either_way_body_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the empty body not an either-way reading, the walk would find the two-fault probe."""
    real = oracle.read_request_body

    def forgetful(probe: Probe) -> oracle.BodyReading:
        reading = real(probe)
        return replace(reading, either=())

    monkeypatch.setattr(oracle, "read_request_body", forgetful)
    w = world()
    probe = replace(on_face(w, "two faults", body=b""), group=w.missing_group)
    assert onefault.violation(probe, oracle.expect(probe, w), w) is not None


def test_differences_name_each_part() -> None:
    w = world()
    valid = on_face(w, "valid")
    assert onefault.differences(valid, w) == set()
    assert onefault.differences(replace(valid, key="wrong"), w) == {"key"}
    assert onefault.differences(replace(valid, content_type="application/json; charset=utf-8"), w) == set()
    assert onefault.differences(replace(valid, content_type=None), w) == {"content_type"}
    assert onefault.differences(replace(valid, body=b'{"userData": "x", "more": 1}'), w) == {"body"}
    assert onefault.differences(replace(valid, person=w.face.person.upper()), w) == set()
    assert onefault.differences(replace(valid, group=w.missing_group, face="x"), w) == {"personGroupId",
                                                                                          "persistedFaceId"}


# ---- relations and dimensions (x-relations, x-dimensions) ----------------------------------------------


@pytest.mark.parametrize("spellings", [(), *((s,) for s in relations.SPELLINGS), tuple(relations.SPELLINGS[:3])])
@pytest.mark.parametrize("base", relations.relations()["bases"], ids=lambda b: b.id)
def test_every_spelling_of_every_base_has_one_fault(base: relations.Base, spellings: tuple[str, ...]) -> None:
    check(relations.equivalent(world(), base, spellings))


@pytest.mark.parametrize(("credential", "shape"), relations.credential_pairs(),
                         ids=lambda v: getattr(v, "id", str(v)))
def test_every_credential_probe_is_judged_on_the_key(credential: relations.Credential,
                                                      shape: relations.Shape) -> None:
    probe = relations.credential_probe(world(), credential, shape)
    assert "key" in onefault.differences(probe, world())
    assert oracle.expect(probe, world()).primary in ("401.invalid-key", "x.auth-first")
    check(probe)


@pytest.mark.parametrize("cls", relations.dimensions(), ids=lambda c: f"{c.dimension}/{c.id}")
def test_every_dimension_class_has_one_fault(cls: relations.DimensionClass) -> None:
    probe = relations.dimension_probe(world(), cls)
    assert onefault.differences(probe, world()) <= {"body", "content_type"}
    check(probe)


def test_the_idle_group_probe_is_one_face_away_from_a_valid_request() -> None:
    """Through the run's other group and its person, the face under test is a missing face: one fault."""
    w = world()
    probe = Probe(label="an idle group", group=w.other_group, person=w.other_person, face=w.face.face,
                  body=user_data_body("x"))
    assert onefault.differences(probe, w) == {"persistedFaceId"}
    assert oracle.expect(probe, w).primary == "404.face-missing"
    check(probe)
