"""Generated cases (Hypothesis): the 1KB boundary, exact round trips, malformed IDs, media types, bodies."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from face_conformance.cases import catalogue, nearmiss, strategies
from face_conformance.cases.nearmiss import NEAR_KEY
from face_conformance.cases.probes import Probe, user_data_body
from face_conformance.judging.findings import Finding
from face_conformance.judging.request import user_data_size
from face_conformance.reporting.failures import assert_held
from face_conformance.run.runner import Runner


@pytest.fixture(scope="module")
def gen(runner: Runner, settings) -> Runner:
    """The runner, for generated cases: skipped by the smoke profile and once the budget is spent."""
    if settings.profile == "smoke":
        pytest.skip("generated cases belong to --profile full")
    return runner


@pytest.fixture
def rows(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The rows this test is about, from its `row` marker: the one place a suite test names them."""
    marker = request.node.get_closest_marker("row")
    return tuple(catalogue.current_id(r) for r in marker.args) if marker else ()


def _send(runner: Runner, label: str, rows: tuple[str, ...], **kw: object) -> list[Finding]:
    return _run_probe(runner, runner.probe_on_face(label, rows=rows, **kw))


@pytest.mark.row("400.userdata-too-long", "200.ok")
@given(value=strategies.user_data_near_limit())
@example(value="x" * 1024)
@example(value="x" * 1025)
@example(value="é" * 512)
@example(value="😀" * 1024)
@example(value="😀" * 1025)
def test_user_data_boundary(gen: Runner, rows: tuple[str, ...], value: str) -> None:
    """At most 1024 UTF-8 bytes MUST be accepted, over 1024 code points MUST be rejected; between, either."""
    size_bytes, points = user_data_size(value)
    # The runner notes which reading of "1KB" an answer between the two shows (INFO).
    _send(gen, f"userData of {size_bytes} UTF-8 bytes / {points} code points", rows, body=user_data_body(value))


@pytest.mark.row("x.read-after-write")
@given(value=st.one_of(strategies.round_trip_text(), strategies.real_user_data_text()))
def test_user_data_round_trips(gen: Runner, rows: tuple[str, ...], value: str) -> None:
    """Any userData within the limit is stored exactly: same code points, no trimming, no normalisation."""
    _send(gen, "round trip", rows, body=user_data_body(value))


#: The newer recipes repeat what the explicit probes already cover in part: a third of the profile's examples.
FEWER = settings(max_examples=max(2, settings().max_examples // 3))


@pytest.mark.row("x.read-after-write", "400.userdata-too-long")
@FEWER
@given(value=strategies.real_user_data_near_limit())
def test_real_user_data_at_the_limit(gen: Runner, rows: tuple[str, ...], value: str) -> None:
    """Real-looking userData (line ends, quotes, markup, ...) at the 1KB boundary: accepted and stored exactly."""
    size_bytes, points = user_data_size(value)
    _send(gen, f"real userData of {size_bytes} UTF-8 bytes / {points} code points", rows, body=user_data_body(value))


@pytest.mark.row("404.group-missing")
@FEWER
@given(near=strategies.near_miss_ids())
def test_near_miss_ids(gen: Runner, rows: tuple[str, ...], near: tuple[str, str]) -> None:
    """An ID one edit away from a real one (shrinkable): 'not found' or 'invalid', as its form says."""
    slot, rule = near
    assert gen.world is not None
    known = frozenset({*gen.world.groups(), *gen.world.all_persons(), *(f.face.lower() for f in gen.world.faces)})
    probe = gen.probe_on_face(f"near miss of the {slot} ID ({rule})", rows=rows)
    _run_probe(gen, strategies.apply_near_miss(probe, slot, rule, known))


@pytest.mark.row("404.group-invalid")
@given(group=strategies.malformed_group_ids())
def test_malformed_group_ids(gen: Runner, rows: tuple[str, ...], group: str) -> None:
    """A personGroupId that breaks the format gets 404 PersonGroupNotFound."""
    probe = gen.probe_on_face(f"malformed personGroupId {group!r}", rows=rows)
    _run_probe(gen, replace(probe, group=group))


@pytest.mark.row("404.person-invalid")
@given(person=strategies.malformed_guids())
def test_malformed_person_ids(gen: Runner, rows: tuple[str, ...], person: str) -> None:
    """A personId that is not a GUID gets 404 PersonNotFound."""
    probe = gen.probe_on_face(f"malformed personId {person!r}", rows=rows)
    _run_probe(gen, replace(probe, person=person))


@pytest.mark.row("404.face-invalid")
@given(face=strategies.malformed_guids())
def test_malformed_face_ids(gen: Runner, rows: tuple[str, ...], face: str) -> None:
    """A persistedFaceId that is not a GUID gets 404 PersistedFaceNotFound."""
    probe = gen.probe_on_face(f"malformed persistedFaceId {face!r}", rows=rows)
    _run_probe(gen, replace(probe, face=face))


@pytest.mark.row("404.person-missing")
@given(person=strategies.unknown_guids(), face=st.one_of(st.none(), strategies.unknown_guids()))
def test_unknown_ids(gen: Runner, rows: tuple[str, ...], person: str, face: str | None) -> None:
    """Well-formed IDs that name nothing get the 'not found' rows, person before face."""
    probe = gen.probe_on_face("unknown person", rows=rows)
    _run_probe(gen, replace(probe, person=person, face=face or probe.face))


@pytest.mark.row("415.media-type")
@given(media=strategies.media_types())
def test_media_types(gen: Runner, rows: tuple[str, ...], media: str) -> None:
    """JSON is accepted (parameters and case allowed); the listed non-JSON types get 415."""
    _send(gen, f"Content-Type {media}", rows, content_type=media)


@pytest.mark.row("400.bad-json")
@given(body=strategies.non_object_bodies())
def test_bodies_that_are_not_objects(gen: Runner, rows: tuple[str, ...], body: bytes) -> None:
    """A body that is not parsable JSON, or JSON but not an object, gets 400 BadArgument."""
    _send(gen, "body that is not a JSON object", rows, body=body)


@pytest.mark.row("400.bad-json")
@given(value=strategies.non_string_user_data())
def test_user_data_of_the_wrong_type(gen: Runner, rows: tuple[str, ...], value: object) -> None:
    """A userData that is not a string SHOULD get 400 BadArgument (coercion is a warning)."""
    _send(gen, f"userData of type {type(value).__name__}", rows, body=user_data_body(value))


@pytest.mark.row("200.ok")
@pytest.mark.parametrize("body", [b"{}", b'{"userData": null}', b"", b'{"userData": "extra", "unknown": 1}'],
                         ids=["no-userData", "null-userData", "empty-body", "extra-field"])
def test_open_bodies(gen: Runner, rows: tuple[str, ...], body: bytes) -> None:
    """Bodies the page leaves open: accepted (a rejection is a warning), what is stored is reported."""
    _send(gen, f"body {body!r}", rows, body=body)


@pytest.mark.row("401.invalid-key")
@FEWER
@given(rule=strategies.near_miss_rules("key"))
def test_near_miss_keys(gen: Runner, rows: tuple[str, ...], rule: str) -> None:
    """A key one edit away from the real one (shrinkable) is a wrong key: 401, and nothing changes."""
    _send(gen, f"near-miss key ({rule})", rows, key=f"{NEAR_KEY}{rule}")


@pytest.mark.row("415.media-type")
@FEWER
@given(rule=strategies.near_miss_rules("content_type"))
def test_near_miss_media_types(gen: Runner, rows: tuple[str, ...], rule: str) -> None:
    """A media type one edit away from application/json is another media type (or, by case, the same)."""
    media = nearmiss.derive("content_type", rule, "application/json")
    _send(gen, f"Content-Type {media!r}", rows, content_type=media)


def _run_probe(runner: Runner, probe: Probe) -> list[Finding]:
    if not runner.spend_check(probe.rows):
        pytest.skip("request budget spent")  # as every suite test does; the rows say why in the report
    findings = runner.run(probe)
    assert_held(findings)
    return findings
