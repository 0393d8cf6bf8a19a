"""Self-tests of `face_conformance.cases.strategies`: each recipe makes what its name says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings

from face_conformance.cases import catalogue, strategies
from face_conformance.judging import oracle

CHECK = settings(max_examples=150, derandomize=True, database=None, deadline=None)
GUID = oracle.GUID


def sizes(text: str) -> dict[str, int]:
    """The three readings of a string's size."""
    return {"bytes": len(text.encode("utf-8")), "points": len(text), "utf16": len(text.encode("utf-16-le")) // 2}


@CHECK
@given(strategies.user_data_near_limit())
def test_user_data_near_limit_is_within_the_spread_in_some_measure(text: str) -> None:
    assert any(abs(n - 1024) <= 8 for n in sizes(text).values()), sizes(text)


@CHECK
@given(strategies.user_data_near_limit(spread=1))
def test_user_data_near_limit_honours_a_tight_spread(text: str) -> None:
    assert any(abs(n - 1024) <= 1 for n in sizes(text).values()), sizes(text)


def test_user_data_near_limit_covers_both_sides_of_the_limit() -> None:
    seen: set[str] = set()

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(strategies.user_data_near_limit())
    def collect(text: str) -> None:
        points, size = len(text), len(text.encode())
        seen.add("over" if points > 1024 else "between" if size > 1024 else "under")

    collect()
    assert {"over", "under", "between"} <= seen


@CHECK
@given(strategies.round_trip_text(max_size=20))
def test_round_trip_text_has_no_lone_surrogates_and_is_bounded(text: str) -> None:
    text.encode("utf-8")  # raises on a lone surrogate
    assert len(text) <= 20 + 4


@CHECK
@given(strategies.malformed_group_ids())
def test_malformed_group_ids_never_match_the_pattern(value: str) -> None:
    from urllib.parse import unquote

    pattern = catalogue.parameter_pattern("personGroupId")
    assert not pattern.match(value) and not pattern.match(unquote(value))
    assert value and "/" not in value and "?" not in value and "#" not in value


@CHECK
@given(strategies.malformed_guids())
def test_malformed_guids_never_match_the_canonical_guid_regex(value: str) -> None:
    from urllib.parse import unquote

    assert not GUID.match(value) and not GUID.match(unquote(value))
    assert not catalogue.parameter_pattern("personId").match(value)


@CHECK
@given(strategies.unknown_guids())
def test_unknown_guids_are_well_formed(value: str) -> None:
    assert GUID.fullmatch(value)


@CHECK
@given(strategies.non_object_bodies())
def test_non_object_bodies_are_not_json_objects(body: bytes) -> None:
    assert oracle.read_body(body).kind in ("bad", "undecodable")


@CHECK
@given(strategies.non_string_user_data())
def test_non_string_user_data_is_never_a_string_or_null(value: Any) -> None:
    assert value is not None and not isinstance(value, str)
    json.dumps(value)  # it can be sent


@CHECK
@given(strategies.media_types())
def test_media_types_are_read_as_point_4_says(value: str) -> None:
    # Each drawn type is one the oracle reads as JSON (either case) or as rejected or either-way:
    # never 'absent' or 'malformed', which belong to other tests.
    assert oracle.media_kind(value) in {"json", "json-case", "rejected", "json-like"}


def test_media_type_lists_agree_with_the_oracle() -> None:
    assert {oracle.media_kind(m) for m in strategies.SHOULD_ACCEPT_MEDIA_TYPES} <= {"json", "json-case"}
    assert {oracle.media_kind(m) for m in strategies.MUST_REJECT_MEDIA_TYPES} == {"rejected"}
    assert {oracle.media_kind(m) for m in strategies.EITHER_MEDIA_TYPES} == {"json-like"}


@pytest.mark.parametrize(("value", "safe"), [("abc", True), ("", False), (".", False), ("..", False),
                                             ("a/b", False), ("a?b", False), ("a#b", False), ("...", True)])
def test_safe_segment_keeps_the_path_structure(value: str, safe: bool) -> None:
    assert strategies.safe_segment(value) is safe


@pytest.mark.parametrize(("factory", "kwargs", "argument"), [
    (strategies.user_data_near_limit, {"spread": 0}, "spread"),
    (strategies.user_data_near_limit, {"spread": -5}, "spread"),
    (strategies.round_trip_text, {"max_size": 0}, "max_size"),
])
def test_bad_arguments_are_rejected_naming_the_argument(factory: Any, kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        factory(**kwargs)


@pytest.mark.parametrize("factory", [strategies.user_data_near_limit, strategies.round_trip_text])
def test_options_are_keyword_only(factory: Any) -> None:
    with pytest.raises(TypeError):
        factory(8)
