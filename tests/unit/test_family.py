"""The family of Update Face operations: operations and versions as data, their paths, rows and readings.

One catalogue, three operations: each operation's rows are the page's with its changes
(`x-operations`), its version's extra codes (`x-api-versions`); the oracle reads the path in the
operation's lookup order; a large collection may take an update while it trains.
"""

from __future__ import annotations

import copy
import json

import pytest

from face_conformance.cases import catalogue, operation
from face_conformance.cases.probes import Probe, user_data_body
from face_conformance.cases.world import FaceRef, World
from face_conformance.config.settings import ConfigError, build_settings
from face_conformance.evidence.exchange import Answer, Exchange, SentRequest
from face_conformance.judging.oracle import envelope_faults, expect, judge

LIST, OTHER_LIST, MISSING = "conformance-l1", "conformance-l2", "conformance-missing"
FACE, OTHER_FACE = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"


@pytest.fixture(autouse=True)
def _page_operation_after():
    """Every test leaves the page's operation selected, whatever it selected."""
    yield
    operation.select()


def list_world() -> World:
    """Two large face lists, a face each (no persons)."""
    return World(face=FaceRef(LIST, "", FACE), missing_group=MISSING, other_group=OTHER_LIST, other_person="",
                 other_face=FaceRef(OTHER_LIST, "", OTHER_FACE))


def answer(status: int, body: dict | None = None) -> Exchange:
    sent = SentRequest("PATCH", "https://face.test/x", (), b"{}")
    raw = json.dumps(body).encode() if body is not None else b""
    return Exchange(sent, Answer(status, (("Content-Type", "application/json"),) if raw else (), raw))


def verdicts(findings) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f.row, set()).add(str(f.verdict))
    return out


def test_every_operation_and_version_is_read_from_the_document() -> None:
    assert operation.operation_names() == ("persongroup", "largepersongroup", "largefacelist")
    assert operation.version_names() == ("v1.0", "v1.2")
    assert operation.current().key == ("persongroup", "v1.0")


@pytest.mark.parametrize(("name", "version", "path"), [
    ("persongroup", "v1.0", "/face/v1.0/persongroups/g/persons/p/persistedFaces/f"),
    ("largepersongroup", "v1.0", "/face/v1.0/largepersongroups/g/persons/p/persistedfaces/f"),
    ("largefacelist", "v1.2", "/face/v1.2/largefacelists/g/persistedfaces/f"),
])
def test_each_operation_spells_its_own_path(name: str, version: str, path: str) -> None:
    op = operation.get(name, version)
    assert op.path("g", "p", "f") == path
    assert op.path("a b", tail="/train").endswith("/a%20b/train")
    assert op.faces_path("g", "p") == path.rsplit("/", 1)[0]


def test_the_face_list_has_no_person_in_its_lookup_order() -> None:
    assert operation.get("largefacelist").path_parts == ("personGroupId", "persistedFaceId")
    assert operation.get("largepersongroup").path_parts == operation.PATH_PARTS
    assert operation.get("largefacelist").parameter_name("personGroupId") == "largeFaceListId"


def test_rows_change_per_operation_and_rows_without_a_part_are_not_applicable() -> None:
    with operation.using("largefacelist"):
        ids = catalogue.row_ids()
        assert "404.list-invalid" in ids and "404.group-invalid" not in ids
        assert catalogue.row("404.list-missing").code == "LargeFaceListNotFound"
        person = catalogue.row("404.person-invalid")
        assert person.level == "N/A" and "no person" in (person.reason or "") and person.probes == ()
        assert catalogue.provoked_by("personGroupId", "unknown") == "404.list-missing"
    with operation.using("largepersongroup"):
        assert catalogue.row("404.group-missing").code == "LargePersonGroupNotFound"
        assert catalogue.row("409.training").training == "either"
    assert catalogue.row("404.group-missing").code == "PersonGroupNotFound"
    assert catalogue.row("409.training").training == "must"


def test_an_operation_outside_the_closed_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = copy.deepcopy(catalogue.load_document())
    doc["x-operations"]["largefacelist"]["rows"]["404.face-missing"]["colour"] = "red"
    monkeypatch.setattr(operation, "load_document", lambda: doc)
    operation.get.cache_clear()
    try:
        with pytest.raises(operation.OperationError, match="colour"):
            operation.get("largefacelist")
        with pytest.raises(operation.OperationError, match="unknown operation 'facelist'"):
            operation.get("facelist")
    finally:
        operation.get.cache_clear()


def test_a_face_of_the_other_list_is_the_missing_face_and_the_person_is_never_read() -> None:
    with operation.using("largefacelist"):
        world = list_world()
        other = Probe("other list's face", LIST, "", OTHER_FACE, body=user_data_body("x"))
        assert expect(other, world).primary == "404.face-missing"
        stray_person = Probe("a person the path does not carry", LIST, "not-a-guid", FACE, body=user_data_body("x"))
        assert expect(stray_person, world).primary == "200.ok"
        assert stray_person.path == f"/face/v1.0/largefacelists/{LIST}/persistedfaces/{FACE}"
        missing = Probe("missing list", MISSING, "", FACE, body=user_data_body("x"))
        found = verdicts(judge(answer(404, {"error": {"code": "LargeFaceListNotFound", "message": "m"}}),
                               expect(missing, world)))
        assert found["404.list-missing"] == {"pass"}
        wrong = verdicts(judge(answer(404, {"error": {"code": "PersonGroupNotFound", "message": "m"}}),
                               expect(missing, world)))
        assert wrong["404.list-missing"] == {"fail"}


@pytest.mark.parametrize("name", ["largepersongroup", "largefacelist"])
def test_a_large_collection_may_take_an_update_while_training(name: str) -> None:
    person = "11111111-1111-4111-8111-111111111111" if name == "largepersongroup" else ""
    with operation.using(name):
        world = World(face=FaceRef(LIST, person, FACE), missing_group=MISSING)
        probe = Probe("while training", LIST, person, FACE, body=user_data_body("x"))
        expectation = expect(probe, world, training=True)
        assert verdicts(judge(answer(200), expectation))["409.training"] == {"pass"}
        code = catalogue.row("409.training").code
        assert verdicts(judge(answer(409, {"error": {"code": code, "message": "m"}}), expectation))[
            "409.training"] == {"pass"}
        assert verdicts(judge(answer(409, {"error": {"code": "PersonGroupTrainingNotFinished", "message": "m"}}),
                              expectation))["409.training"] == {"fail"}


def test_a_person_group_must_still_refuse_an_update_while_training() -> None:
    world = World(face=FaceRef("g", "11111111-1111-4111-8111-111111111111", FACE), missing_group=MISSING)
    probe = Probe("while training", "g", world.face.person, FACE, body=user_data_body("x"))
    assert verdicts(judge(answer(200), expect(probe, world, training=True)))["409.training"] == {"fail"}


def test_v1_2_answers_401_and_429_with_their_own_codes() -> None:
    probe = Probe("wrong key", LIST, "", FACE, key="wrong", body=user_data_body("x"))
    with operation.using("largefacelist", "v1.2"):
        expectation = expect(probe, list_world())
        assert verdicts(judge(answer(401, {"error": {"code": "401", "message": "m"}}), expectation))[
            "401.invalid-key"] == {"pass"}
        assert envelope_faults(answer(429, {"error": {"code": "429", "message": "m"}}), "429.rate-limit") == []
    with operation.using("largefacelist", "v1.0"):
        expectation = expect(probe, list_world())
        assert verdicts(judge(answer(401, {"error": {"code": "401", "message": "m"}}), expectation))[
            "401.invalid-key"] == {"fail"}
        assert envelope_faults(answer(429, {"error": {"code": "429", "message": "m"}}), "429.rate-limit")


def test_the_options_select_the_operation_and_check_its_bring_your_own_ids() -> None:
    settings = build_settings({"operation": "largefacelist", "api_version": "v1.2"}, {})
    assert operation.current().label == "LargeFaceList - Update Face, API v1.2" == settings.target.label
    byo = build_settings({"endpoint": "https://x.example", "key": "k", "operation": "largefacelist",
                          "large_face_list_id": "l1", "persisted_face_id": FACE}, {})
    assert (byo.large_face_list_id, byo.person_id, byo.bring_your_own) == ("l1", "", True)
    for bad, message in [
        ({"operation": "facelist"}, "--operation must be one of"),
        ({"api_version": "v2"}, "--api-version must be one of"),
        ({"operation": "largefacelist", "person_id": "p"}, "--person-id does not go with"),
        ({"operation": "largepersongroup", "person_group_id": "g"}, "use --large-person-group-id"),
        ({"operation": "largepersongroup", "large_person_group_id": "g"}, "go together"),
    ]:
        with pytest.raises(ConfigError, match=message):
            build_settings(bad, {})
    assert build_settings({}, {"FACE_OPERATION": "largepersongroup"}).operation == "largepersongroup"


def test_a_fourth_operation_of_the_same_shape_is_a_data_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    """An `x-operations` entry is all the suite's side needs: paths, rows, the oracle's lookup order follow."""
    doc = copy.deepcopy(catalogue.load_document())
    doc["x-operations"]["dynamicgroup"] = {
        "title": "DynamicGroup - Update Face", "noun": "dynamic group", "container": "dynamicGroupId",
        "path": "/dynamicgroups/{dynamicGroupId}/persistedfaces/{persistedFaceId}",
        "rows": {"404.group-missing": {"id": "404.dynamic-missing", "code": "DynamicGroupNotFound"},
                 "404.person-invalid": {"not-applicable": "no person"},
                 "404.person-missing": {"not-applicable": "no person"}}}
    monkeypatch.setattr(operation, "load_document", lambda: doc)
    operation.get.cache_clear()
    try:
        with operation.using("dynamicgroup", "v1.2") as op:
            assert op.path("d", None, FACE) == f"/face/v1.2/dynamicgroups/d/persistedfaces/{FACE}"
            assert catalogue.provoked_by("personGroupId", "unknown") == "404.dynamic-missing"
            assert catalogue.row("404.dynamic-missing").code == "DynamicGroupNotFound"
            missing = Probe("missing", MISSING, "", FACE, body=user_data_body("x"))
            assert expect(missing, list_world()).primary == "404.dynamic-missing"
    finally:
        operation.get.cache_clear()


def test_run_list_prints_the_operations_rows(capsys: pytest.CaptureFixture[str]) -> None:
    from face_conformance import cli

    assert cli.main(["run", "--list", "--operation", "largefacelist"]) == 0
    out = capsys.readouterr().out
    assert "404.list-invalid" in out and "404.group-invalid" not in out
    assert any(line.startswith("404.person-missing") and " N/A " in line for line in out.splitlines())


def test_runs_in_one_process_each_collect_their_own_operations_rows(tmp_path) -> None:
    """The suite's modules parametrize by the operation's rows on import: a later in-process run for
    another operation (a script calling `run_suite`, side A of a diff) must not collect the earlier's."""
    from face_conformance import cli

    outcomes = {}
    for name in ("persongroup", "largefacelist", "persongroup"):
        report = tmp_path / f"{name}-{len(outcomes)}"
        assert cli.main(["run", "--profile", "smoke", "--operation", name, "--report-dir", str(report)]) == 0
        rows = json.loads((report / "conformance.json").read_text(encoding="utf-8"))["rows"]
        outcomes[f"{name}-{len(outcomes)}"] = {row["id"]: row["outcome"] for row in rows}
    first, listed, again = outcomes.values()
    assert first == again
    assert "404.list-missing" in listed and "404.group-missing" not in listed
    # A run that collected the person group's tests would leave the list's own probes unsent.
    assert {row for row, outcome in listed.items() if outcome not in ("pass", "not-applicable")} == set(), listed
    assert listed["404.person-missing"] == "not-applicable" and first["404.person-missing"] == "pass"
