"""Self-tests of `face_conformance.cases.steer`: generated IDs mapped onto the run's resources."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from face_conformance.cases import catalogue
from face_conformance.cases.steer import probe_from_case, steer_group, steer_guid
from face_conformance.cases.strategies import PATH_STRUCTURE
from face_conformance.cases.world import FaceRef, World

PERSON = "11111111-1111-4111-8111-111111111111"
FACE = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
WORLD = World(face=FaceRef("conformance-g1", PERSON, FACE), missing_group="conformance-missing")
GUIDS = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(64)]
GROUPS = [f"group-{i}" for i in range(64)]


def test_well_formed_group_ids_map_onto_the_test_group_or_the_missing_one() -> None:
    steered = [steer_group(g, WORLD) for g in GROUPS]
    assert set(steered) == {"conformance-g1", "conformance-missing"}
    assert steered.count("conformance-g1") > steered.count("conformance-missing")  # 3 in 4 by design


@pytest.mark.parametrize("name", ["personId", "persistedFaceId"])
def test_well_formed_guids_map_onto_the_real_id_or_an_unknown_one(name: str) -> None:
    steered = [steer_guid(g, FACE, name) for g in GUIDS]
    assert FACE in steered
    unknown = [s for s in steered if s != FACE]
    assert unknown and all(catalogue.parameter_pattern(name).fullmatch(s) for s in unknown)
    assert not set(unknown) & set(GUIDS)  # never the generated value itself: it might exist


def test_steering_is_stable_for_the_same_input() -> None:
    assert [steer_group(g, WORLD) for g in GROUPS] == [steer_group(g, WORLD) for g in GROUPS]
    assert [steer_guid(g, FACE, "personId") for g in GUIDS] == [steer_guid(g, FACE, "personId") for g in GUIDS]


@pytest.mark.parametrize("value", ["Invalid-Group", "bad!group", "bad.group", "g" * 65, "UPPER", "é"])
def test_safe_malformed_group_ids_are_kept(value: str) -> None:
    assert steer_group(value, WORLD) == value


@pytest.mark.parametrize("value", ["not-a-guid", "12345", "{" + FACE + "}", FACE[:-1] + "z"])
def test_safe_malformed_guids_are_kept(value: str) -> None:
    assert steer_guid(value, FACE, "personId") == value


@pytest.mark.parametrize("value", ["a/b", "a%2Fb", "a?b", "a#b", "a\\b", "", ".", "..", " padded "])
@pytest.mark.parametrize("name", ["personGroupId", "personId", "persistedFaceId"])
def test_values_that_would_change_the_path_are_replaced_by_documented_malformed_ones(name: str, value: str) -> None:
    if name == "personGroupId":
        steered = steer_group(value, WORLD)
    else:
        steered = steer_guid(value, FACE, name)
    assert steered != value
    assert steered in catalogue.parameter(name)["x-malformed"]
    assert not set(steered) & (PATH_STRUCTURE - {"%"})  # documented values may be percent-encoded on purpose


def test_replacement_is_stable() -> None:
    assert steer_group("a/b", WORLD) == steer_group("a/b", WORLD)


# ---- generated cases ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def operation() -> Any:
    """The PATCH operation of the OpenAPI document, as schemathesis loads it."""
    return schemathesis.openapi.from_path(str(catalogue.document_path()))[catalogue.PATCH_PATH]["PATCH"]


def test_case_becomes_a_steered_probe(operation: Any) -> None:
    case = operation.Case(path_parameters={"personGroupId": "bad!group", "personId": "not-a-guid",
                                           "persistedFaceId": "x/y"},
                          headers={"Ocp-Apim-Subscription-Key": "k", "Content-Type": "text/plain"},
                          body={"userData": "é"}, media_type="application/json")
    probe = probe_from_case(case, WORLD)
    assert (probe.group, probe.person) == ("bad!group", "not-a-guid")
    assert probe.face in catalogue.parameter("persistedFaceId")["x-malformed"]
    assert probe.body == '{"userData": "é"}'.encode()
    assert (probe.content_type, probe.key, probe.rows) == ("text/plain", "valid", ("x.documented-status",))


@pytest.mark.parametrize(("headers", "key"), [({}, "missing"), ({"Ocp-Apim-Subscription-Key": ""}, "wrong"),
                                              ({"Ocp-Apim-Subscription-Key": "anything"}, "valid")])
def test_case_key_header_decides_the_probe_key(operation: Any, headers: dict[str, str], key: str) -> None:
    case = operation.Case(path_parameters={"personGroupId": "g", "personId": PERSON, "persistedFaceId": FACE},
                          headers=headers)
    assert probe_from_case(case, WORLD).key == key
