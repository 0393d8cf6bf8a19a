"""Near misses: the rules (`face_conformance.cases.nearmiss`) and the probes built from them.

That no key derived from the run's key leaks, against a live server that echoes them, is
`tests/e2e/test_key_never_leaks.py`'s.
"""

from __future__ import annotations

import pytest

from face_conformance.cases import catalogue, nearmiss
from face_conformance.cases.probes import near_miss, near_miss_cases
from face_conformance.cases.world import FaceRef, World
from face_conformance.judging import oracle

GUID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def world() -> World:
    return World(face=FaceRef("conformance-7f3e", GUID, "ffffffff-ffff-4fff-8fff-ffffffffffff"),
                 missing_group="conformance-none", other_group="conformance-7f3f",
                 other_person="11111111-1111-4111-8111-111111111111")


def test_every_rule_the_document_names_is_implemented() -> None:
    nearmiss.check_catalogue()
    assert all(catalogue.near_miss_rules(part) for part in catalogue.REQUEST_PARTS)


@pytest.mark.parametrize(("part", "rule"), near_miss_cases())
def test_a_near_miss_differs_from_its_value(part: str, rule: str) -> None:
    value = {"key": "abc", "personGroupId": "conformance-7f3e", "personId": GUID, "persistedFaceId": GUID,
             "content_type": "application/json", "body": "x"}[part]
    assert nearmiss.derive(part, rule, value) != value


@pytest.mark.parametrize(("value", "rule", "expected"), [
    ("conformance-7f3e", "change-last", "conformance-7f3f"),
    ("conformance-7f3e", "drop-last", "conformance-7f3"),
    ("conformance-7f3e", "add-one", "conformance-7f3ea"),
    ("conformance-7f3e", "swap-case", "CONFORMANCE-7F3E"),
    ("conformance-7f3e", "punctuate", "conformance-7f3."),
    (GUID, "non-hex-last", GUID[:-1] + "g"),
    (GUID, "change@0", "1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
    ("9", "change-last", "a"),
])
def test_rules_edit_one_place(value: str, rule: str, expected: str) -> None:
    part = "personGroupId" if value.startswith("conformance") or value == "9" else "personId"
    assert nearmiss.derive(part, rule, value) == expected


def test_group_past_the_limit_is_malformed() -> None:
    assert len(nearmiss.derive("personGroupId", "pad-past-limit", "conformance-7f3e")) == 65


def test_an_unknown_rule_is_an_error() -> None:
    with pytest.raises(nearmiss.UnknownRule, match="no-such-rule"):
        nearmiss.derive("key", "no-such-rule", "abc")
    with pytest.raises(nearmiss.UnknownRule):
        nearmiss.body("no-such-rule", "x")


@pytest.mark.parametrize("rule", catalogue.near_miss_rules("body"))
def test_near_miss_bodies_are_not_json_but_nearly(rule: str) -> None:
    raw = nearmiss.body(rule, "marker")
    assert oracle.read_body(raw).kind == "bad"
    assert b"userData" in raw and b"marker" in raw


def test_descriptions_name_no_character_of_the_key() -> None:
    for rule in catalogue.near_miss_rules("key"):
        text = nearmiss.describe("key", rule)
        assert text.startswith("the real key with") and "'" not in text


def test_near_miss_ids_avoid_the_runs_other_resources() -> None:
    """change-last of conformance-7f3e is the other group here: derived again, it names nothing."""
    probe = near_miss(world(), "personGroupId", "change-last")
    assert probe.group not in world().groups()
    assert oracle.expect(probe, world()).primary == "404.group-missing"


@pytest.mark.parametrize(("part", "rule", "row"), [
    ("personGroupId", "drop-last", "404.group-missing"), ("personGroupId", "swap-case", "404.group-invalid"),
    ("personId", "change-last", "404.person-missing"), ("personId", "add-one", "404.person-invalid"),
    ("persistedFaceId", "non-hex-last", "404.face-invalid"), ("content_type", "add-one", "415.media-type"),
    ("body", "trailing-garbage", "400.bad-json"), ("key", "first-half", "401.invalid-key"),
])
def test_the_oracle_reads_each_near_miss_for_what_it_is(part: str, rule: str, row: str) -> None:
    exp = oracle.expect(near_miss(world(), part, rule), world())
    assert exp.primary == row and exp.miss_verdict == "fail"


def test_closed_format_names_the_row_and_key() -> None:
    meta = {"id": "400.x", "level": "MUST", "when": "w", "page": {"zh": "z", "en": "e"},
            "probes": [{"content-type": "text/plain"}]}
    with pytest.raises(catalogue.CatalogueError, match=r"row 400\.x probe 1: unknown key\(s\) 'content-type'"):
        catalogue.check_row_meta(meta)
    with pytest.raises(catalogue.CatalogueError, match=r"row 400\.x: unknown key\(s\) 'probe'"):
        catalogue.check_row_meta({**meta, "probes": [], "probe": []})
    with pytest.raises(catalogue.CatalogueError, match="trigger"):
        catalogue.check_row_meta({**meta, "probes": [], "trigger": "header"})
    with pytest.raises(catalogue.CatalogueError, match="path"):
        catalogue.check_row_meta({**meta, "probes": [{"path": {"groupId": "x"}}]})


def test_every_row_of_the_document_is_in_the_closed_format() -> None:
    doc = catalogue.load_document()
    for row in catalogue.rows():
        assert row.part is None or row.part in catalogue.REQUEST_PARTS
    assert {r.part for r in catalogue.rows()} - {None} == set(catalogue.REQUEST_PARTS) == set(catalogue.FAULTS)
    assert set(doc["x-near-misses"]) == set(catalogue.REQUEST_PARTS)
