"""Self-tests of `face_conformance.cases.probes`: the rows' documented probes and probe building blocks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from face_conformance.cases import catalogue
from face_conformance.cases.probes import (
    Probe,
    describe,
    explicit_cases,
    from_row_data,
    json_bytes,
    marker,
    on_face,
    user_data_body,
)
from face_conformance.cases.world import FaceRef, World, unknown_guid

PERSON = "11111111-1111-4111-8111-111111111111"
SIBLING_PERSON = "22222222-2222-4222-8222-222222222222"
OTHER_PERSON = "33333333-3333-4333-8333-333333333333"
FACE = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
SIBLING_FACE = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
FULL = World(face=FaceRef("conformance-g1", PERSON, FACE), missing_group="conformance-missing",
             sibling=FaceRef("conformance-g1", SIBLING_PERSON, SIBLING_FACE), other_group="conformance-g2",
             other_person=OTHER_PERSON)
BRING_YOUR_OWN = World(face=FaceRef("their-group", PERSON, FACE), missing_group="conformance-missing")
NEEDS_SIBLING = {"{other_face}", "{other_group_person}"}


def case_id(value: Any) -> str:
    """Short test IDs for (row, index, data) cases."""
    return str(value)[:30]


def test_every_documented_row_with_probes_is_covered() -> None:
    rows_with_probes = {row_id for row_id, _, _ in explicit_cases()}
    assert rows_with_probes == {r.id for r in catalogue.rows() if r.probes}
    assert {"200.ok", "400.userdata-too-long", "400.bad-json", "401.invalid-key", "404.group-invalid",
            "404.face-missing", "415.media-type", "x.auth-first", "x.lookup-order"} <= rows_with_probes


@pytest.mark.parametrize(("row_id", "index", "data"), explicit_cases(), ids=case_id)
def test_every_documented_probe_builds_with_placeholders_resolved(row_id: str, index: int,
                                                                  data: dict[str, Any]) -> None:
    probe = from_row_data(catalogue.row(row_id), index, data, FULL)
    assert probe is not None
    assert probe.rows == (row_id,)
    assert not any(v.startswith("{") and v.endswith("}") for v in (probe.group, probe.person, probe.face))
    assert probe.label.startswith(f"{row_id} probe {index + 1}")
    for name, raw in data.get("path", {}).items():
        slot = {"personGroupId": probe.group, "personId": probe.person, "persistedFaceId": probe.face}[name]
        if not raw.startswith("{"):
            assert slot == raw


@pytest.mark.parametrize(("row_id", "index", "data"), explicit_cases(), ids=case_id)
def test_bring_your_own_world_skips_only_probes_that_need_a_sibling(row_id: str, index: int,
                                                                    data: dict[str, Any]) -> None:
    probe = from_row_data(catalogue.row(row_id), index, data, BRING_YOUR_OWN)
    needs = bool(NEEDS_SIBLING & set(data.get("path", {}).values()))
    assert (probe is None) == needs


def test_placeholders_resolve_to_the_world() -> None:
    row = catalogue.row("404.face-missing")
    sibling = from_row_data(row, 1, {"path": {"persistedFaceId": "{other_face}"}}, FULL)
    assert sibling is not None and (sibling.person, sibling.face) == (PERSON, SIBLING_FACE)
    person = from_row_data(catalogue.row("404.person-missing"), 1,
                           {"path": {"personId": "{other_group_person}"}}, FULL)
    assert person is not None and person.person == OTHER_PERSON
    group = from_row_data(catalogue.row("404.group-missing"), 0, {"path": {"personGroupId": "{missing_group}"}},
                          FULL)
    assert group is not None and group.group == "conformance-missing"


def test_unknown_guid_placeholder_is_stable_and_names_nothing() -> None:
    row = catalogue.row("404.face-missing")
    data = {"path": {"persistedFaceId": "{unknown_guid}"}}
    first, again = from_row_data(row, 0, data, FULL), from_row_data(row, 0, data, FULL)
    assert first is not None and again is not None
    assert first.face == again.face == unknown_guid("404.face-missing#0")
    assert first.face not in (FACE, SIBLING_FACE)


def test_bodies_from_row_data() -> None:
    row = catalogue.row("400.userdata-too-long")
    long = from_row_data(row, 0, {"user_data_repeat": {"text": "界", "times": 1025}}, FULL)
    assert long is not None and json.loads(long.body or b"") == {"userData": "界" * 1025}
    raw = from_row_data(catalogue.row("400.bad-json"), 0, {"body": '["userData"]'}, FULL)
    assert raw is not None and raw.body == b'["userData"]'
    given = from_row_data(catalogue.row("x.read-after-write"), 0, {"user_data": " x "}, FULL)
    assert given is not None and json.loads(given.body or b"") == {"userData": " x "}


def test_defaults_are_a_valid_update_with_a_marker() -> None:
    probe = from_row_data(catalogue.row("200.ok"), 0, {}, FULL)
    assert probe is not None
    assert (probe.group, probe.person, probe.face, probe.key) == ("conformance-g1", PERSON, FACE, "valid")
    assert probe.content_type == "application/json"
    assert json.loads(probe.body or b"")["userData"].startswith("conformance-probe-")


def test_key_content_type_and_force_come_from_the_data() -> None:
    data = {"key": "missing", "content_type": "text/plain", "force": "quota"}
    probe = from_row_data(catalogue.row("401.invalid-key"), 0, data, FULL)
    assert probe is not None and (probe.key, probe.content_type, probe.force) == ("missing", "text/plain", "quota")


def test_describe_says_what_the_probe_sends() -> None:
    assert describe({}) == "valid request"
    text = describe({"path": {"personId": "not-a-guid"}, "key": "wrong", "content_type": "text/plain"})
    assert text == "personId=not-a-guid, key wrong, Content-Type text/plain"
    assert "×1025" in describe({"user_data_repeat": {"text": "x", "times": 1025}})


def test_markers_are_distinct() -> None:
    assert len({marker() for _ in range(50)}) == 50


def test_probe_path_and_headers() -> None:
    probe = on_face(FULL, "p", content_type=None, extra_headers=(("X-Test", "1"),))
    assert probe.path == f"/face/v1.0/persongroups/conformance-g1/persons/{PERSON}/persistedFaces/{FACE}"
    assert probe.headers == {"X-Test": "1"}
    assert Probe("p", "g", "p", "f").headers == {"Content-Type": "application/json"}


def test_user_data_body_keeps_non_ascii_as_utf8() -> None:
    assert user_data_body("界") == '{"userData": "界"}'.encode()


def test_json_bytes_escapes_lone_surrogates() -> None:
    assert json_bytes({"userData": "\ud800"}) == b'{"userData": "\\ud800"}'
