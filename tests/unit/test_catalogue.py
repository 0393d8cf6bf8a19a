"""Self-tests of `face_conformance.cases.catalogue`: the rows of docs/contract.md, read from the OpenAPI document."""

from __future__ import annotations

from dataclasses import replace

import pytest

from face_conformance.cases import catalogue

# docs/contract.md, "The documented rows", in the page's order.
DOCUMENTED_ROWS = (
    "200.ok", "400.userdata-too-long", "400.bad-json", "400.name-too-long", "401.invalid-key", "403.quota",
    "404.face-invalid", "404.face-missing", "404.group-invalid", "404.group-missing", "404.person-invalid",
    "404.person-missing", "409.training", "409.concurrent", "415.media-type", "429.rate-limit",
)
# docs/contract.md, "Checks that cut across the rows".
CROSS_ROWS = (
    "x.read-after-write", "x.no-change-on-error", "x.error-envelope", "x.documented-status",
    "x.concurrent-writes", "x.isolation", "x.auth-first", "x.lookup-order",
)

# (ID, status, error code) as docs/contract.md's first table gives them; None where the row has no code.
STATUS_AND_CODE = [
    ("200.ok", 200, None),
    ("400.userdata-too-long", 400, "BadArgument"),
    ("400.bad-json", 400, "BadArgument"),
    ("400.name-too-long", 400, "BadArgument"),
    ("401.invalid-key", 401, "Unspecified"),
    ("403.quota", 403, None),
    ("404.face-invalid", 404, "PersistedFaceNotFound"),
    ("404.face-missing", 404, "PersistedFaceNotFound"),
    ("404.group-invalid", 404, "PersonGroupNotFound"),
    ("404.group-missing", 404, "PersonGroupNotFound"),
    ("404.person-invalid", 404, "PersonNotFound"),
    ("404.person-missing", 404, "PersonNotFound"),
    ("409.training", 409, "PersonGroupTrainingNotFinished"),
    ("409.concurrent", 409, "ConcurrentOperationConflict"),
    ("415.media-type", 415, "BadArgument"),
    ("429.rate-limit", 429, None),
]


def test_every_contract_row_appears_exactly_once_in_contract_order() -> None:
    ids = catalogue.row_ids()
    assert ids == DOCUMENTED_ROWS + CROSS_ROWS
    assert len(set(ids)) == len(ids)


def test_by_id_and_row_agree_with_rows() -> None:
    assert list(catalogue.by_id()) == list(catalogue.row_ids())
    assert all(catalogue.row(r.id) is r for r in catalogue.rows())


def test_unknown_row_id_raises_keyerror_naming_it() -> None:
    with pytest.raises(KeyError, match="nope.row"):
        catalogue.row("nope.row")


@pytest.mark.parametrize(("row_id", "status", "code"), STATUS_AND_CODE)
def test_documented_row_status_and_code(row_id: str, status: int, code: str | None) -> None:
    row = catalogue.row(row_id)
    assert (row.status, row.code) == (status, code)
    assert not row.cross_cutting


def test_envelope_shapes_follow_the_table() -> None:
    shapes = {r.id: r.envelope for r in catalogue.rows() if not r.cross_cutting}
    assert shapes["200.ok"] == "empty"
    assert {i for i, s in shapes.items() if s == "statusCode"} == {"403.quota", "429.rate-limit"}
    assert {i for i, s in shapes.items() if s == "code"} == set(DOCUMENTED_ROWS) - {
        "200.ok", "403.quota", "429.rate-limit"}


def test_levels_must_should_and_not_applicable() -> None:
    levels = {r.id: r.level for r in catalogue.rows()}
    assert levels["400.name-too-long"] == "N/A"
    assert levels["x.lookup-order"] == "SHOULD"
    assert {i for i, lv in levels.items() if lv == "MUST"} == set(levels) - {"400.name-too-long", "x.lookup-order"}
    assert set(levels.values()) <= set(catalogue.LEVELS)


def test_not_applicable_row_gives_its_reason() -> None:
    row = catalogue.row("400.name-too-long")
    assert row.reason and "name" in row.reason
    assert row.observe == "never"


def test_rows_that_cannot_be_provoked_at_will_are_observed_when_seen() -> None:
    observe = {r.id: r.observe for r in catalogue.rows()}
    assert observe["403.quota"] == observe["429.rate-limit"] == observe["409.concurrent"] == "when-seen"
    assert observe["409.training"] == "training"
    assert observe["200.ok"] == observe["404.group-invalid"] == "always"


def test_cross_cutting_rows_have_no_status() -> None:
    cross = [r for r in catalogue.rows() if r.cross_cutting]
    assert tuple(r.id for r in cross) == CROSS_ROWS
    assert all(r.status is None and r.envelope is None for r in cross)


def test_every_row_cites_the_page_in_both_languages() -> None:
    for row in catalogue.rows():
        assert row.page_zh and row.page_en and row.when, row.id


def test_documented_statuses_are_exactly_the_page_tables() -> None:
    assert catalogue.DOCUMENTED_STATUSES == {200, 400, 401, 403, 404, 409, 415, 429}
    assert {r.status for r in catalogue.rows() if r.status} == catalogue.DOCUMENTED_STATUSES


def test_the_404_rows_are_the_path_faults() -> None:
    assert {r.id for r in catalogue.rows() if r.status == 404} == {
        catalogue.provoked_by(part, fault) for part in ("personGroupId", "personId", "persistedFaceId")
        for fault in ("malformed", "unknown")} == {
        "404.face-invalid", "404.face-missing", "404.group-invalid", "404.group-missing",
        "404.person-invalid", "404.person-missing"}


# (form of the trigger, its value, the row it must name): the table as the page gives it.
TRIGGERS = [
    (("part", "key", "wrong"), "401.invalid-key"),
    (("part", "key", "wrong-with-other-faults"), "x.auth-first"),
    (("part", "personGroupId", "malformed"), "404.group-invalid"),
    (("part", "personGroupId", "unknown"), "404.group-missing"),
    (("part", "personId", "malformed"), "404.person-invalid"),
    (("part", "personId", "unknown"), "404.person-missing"),
    (("part", "persistedFaceId", "malformed"), "404.face-invalid"),
    (("part", "persistedFaceId", "unknown"), "404.face-missing"),
    (("part", "content_type", "not-json"), "415.media-type"),
    (("part", "body", "not-a-json-object"), "400.bad-json"),
    (("part", "body", "user-data-too-long"), "400.userdata-too-long"),
    (("state", "quota"), "403.quota"),
    (("state", "training"), "409.training"),
    (("state", "concurrent"), "409.concurrent"),
    (("state", "rate-limit"), "429.rate-limit"),
    (("valid", "request"), "200.ok"),
]


@pytest.mark.parametrize(("key", "row_id"), TRIGGERS, ids=[r for _, r in TRIGGERS])
def test_each_trigger_names_its_row(key: tuple[str, ...], row_id: str) -> None:
    lookup = {"part": lambda k: catalogue.provoked_by(k[1], k[2]), "state": lambda k: catalogue.state_row(k[1]),
              "valid": lambda k: catalogue.success_row()}[key[0]]
    assert lookup(key) == row_id
    assert catalogue.row(row_id).trigger.key == key


def test_every_applicable_row_has_a_trigger_and_every_check_a_cross_row() -> None:
    for row in catalogue.rows():
        assert (row.trigger is None) == (row.level == "N/A"), row.id
    assert {catalogue.check_row(c) for c in catalogue.CHECKS} | {"x.auth-first"} == {
        r.id for r in catalogue.rows() if r.cross_cutting}


@pytest.mark.parametrize(("trigger", "names"), [
    ({"part": "body", "fault": "not-json"}, "fault 'not-json' of body"),
    ({"part": "header", "fault": "wrong"}, "part 'header'"),
    ({"part": "body", "fault": "not-a-json-object", "how": "x"}, "'how'"),
    ({"state": "sleeping"}, "state 'sleeping'"),
    ({"cheque": "error-envelope"}, "'cheque'"),
    ("body", "must be a mapping"),
])
def test_a_wrong_trigger_is_an_error_naming_the_row_and_key(trigger: object, names: str) -> None:
    meta = {"id": "400.bad-json", "level": "MUST", "trigger": trigger}
    with pytest.raises(catalogue.CatalogueError) as caught:
        catalogue.check_row_meta(meta)
    assert "row 400.bad-json" in str(caught.value) and names in str(caught.value)


def test_a_row_without_trigger_is_an_error_unless_not_applicable() -> None:
    with pytest.raises(catalogue.CatalogueError, match="row 400.bad-json: no trigger"):
        catalogue.check_row_meta({"id": "400.bad-json", "level": "MUST"})
    catalogue.check_row_meta({"id": "400.name-too-long", "level": "N/A"})


def test_two_rows_with_one_trigger_or_a_trigger_nobody_has_are_errors() -> None:
    rows = list(catalogue.rows())
    twin = replace(rows[0], id="200.twin")
    with pytest.raises(catalogue.CatalogueError, match="already row"):
        catalogue._check_triggers([*rows, twin])
    with pytest.raises(catalogue.CatalogueError, match="no row has the trigger"):
        catalogue._check_triggers([r for r in rows if r.id != "415.media-type"])


def test_examples_carry_the_error_body_of_their_row() -> None:
    for row in catalogue.rows():
        if row.envelope == "code":
            assert row.example["error"]["code"] == row.code, row.id
        elif row.envelope == "statusCode":
            assert row.example["error"]["statusCode"] == row.status, row.id


def test_outcomes_are_the_contract_vocabulary() -> None:
    assert set(catalogue.OUTCOMES) == {"pass", "fail", "warn", "info", "accepted", "not-observed",
                                       "not-applicable", "error"}


def test_user_data_limit_is_1024() -> None:
    assert catalogue.user_data_limit() == 1024


# ---- message patterns (docs/contract.md point 6) ------------------------------------------------------


@pytest.mark.parametrize(("row_id", "message"), [
    ("429.rate-limit", "Rate limit is exceeded. Try again in 26 seconds."),
    ("429.rate-limit", "Rate limit is exceeded. Try again in 3 seconds"),
    ("429.rate-limit", "rate limit is exceeded. try again in 1.5 seconds."),
    ("403.quota", "Out of call volume quota. Quota will be replenished in 5 days."),
    ("403.quota", "Out of call volume quota. Quota will be replenished in 0.5 days"),
    ("404.group-missing", "Person group 'conformance-abc123' is not found."),
    ("404.group-missing", "Person group '' is not found"),
    ("409.training", "Person group 'g1' is under training."),
    ("400.userdata-too-long", "'userData' is too long"),
    ("415.media-type", "Invalid Media Type."),
])
def test_message_pattern_frees_quoted_ids_numbers_and_final_period(row_id: str, message: str) -> None:
    pattern = catalogue.row(row_id).message_pattern
    assert pattern is not None and pattern.match(message)


@pytest.mark.parametrize(("row_id", "message"), [
    ("429.rate-limit", "Rate limit exceeded"),
    ("429.rate-limit", "Rate limit is exceeded. Try again in a few seconds."),
    ("403.quota", "Quota exceeded."),
    ("404.group-missing", "Person group sample_group is not found."),
    ("404.group-missing", "Person group 'x' is not found.. really"),
    ("415.media-type", "Unsupported Media Type"),
    ("401.invalid-key", "Access denied."),
])
def test_message_pattern_rejects_other_wording(row_id: str, message: str) -> None:
    pattern = catalogue.row(row_id).message_pattern
    assert pattern is not None and not pattern.match(message)


def test_rows_without_an_example_message_have_no_pattern() -> None:
    assert catalogue.row("404.face-invalid").message_pattern is None
    assert catalogue.row("200.ok").message_pattern is None


def test_message_pattern_escapes_regex_characters() -> None:
    pattern = catalogue._message_regex("Is (this) a [test]? 3 items.")
    assert pattern.match("Is (this) a [test]? 42 items")
    assert not pattern.match("Is this a test? 42 items")


# ---- path parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["sample_group", "a", "0-9_z", "g" * 64])
def test_group_pattern_accepts_documented_format(value: str) -> None:
    assert catalogue.parameter_pattern("personGroupId").fullmatch(value)


@pytest.mark.parametrize("value", ["", "Sample", "g" * 65, "bad!group", "bad.group", "a b", "é"])
def test_group_pattern_rejects_other_ids(value: str) -> None:
    assert not catalogue.parameter_pattern("personGroupId").fullmatch(value)


@pytest.mark.parametrize("name", ["personId", "persistedFaceId"])
def test_guid_pattern_accepts_guids_in_either_case_and_nothing_else(name: str) -> None:
    pattern = catalogue.parameter_pattern(name)
    assert pattern.fullmatch("0f8fad5b-d9cb-469f-a165-70867728950e")
    assert pattern.fullmatch("0F8FAD5B-D9CB-469F-A165-70867728950E")
    for bad in ("not-a-guid", "{0f8fad5b-d9cb-469f-a165-70867728950e}", "0f8fad5bd9cb469fa16570867728950e"):
        assert not pattern.fullmatch(bad), bad


@pytest.mark.parametrize("name", ["personGroupId", "personId", "persistedFaceId"])
def test_documented_malformed_values_break_their_pattern(name: str) -> None:
    from urllib.parse import unquote

    malformed = catalogue.parameter(name)["x-malformed"]
    assert malformed
    for value in malformed:
        assert not catalogue.parameter_pattern(name).fullmatch(unquote(value)), value


def test_document_path_resolves_to_the_yaml() -> None:
    path = catalogue.document_path()
    assert path.is_file() and path.name == "face-v1.0.yaml"
    assert catalogue.load_document()["openapi"].startswith("3.")
