"""The reference service answers the whole Update Face family, on API v1.0 and v1.2, at once.

Large person groups and large face lists beside person groups: every route of each, the 404
codes of each collection, updates during training (200, or 409 under the config's switch), and
the shapes v1.2 answers in (each one a switch). In process only: `handle` through MockTransport.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from face_conformance.cases import catalogue, operation
from face_conformance.reference import ReferenceConfig, ReferenceService
from face_conformance.reference.family import LARGE_FACE_LISTS, PAGE_ANSWERS

KEY = "reference-key"
ORIGIN = "http://face.test"
UNKNOWN_GUID = "00000000-0000-4000-8000-000000000000"
LIMIT = catalogue.user_data_limit()
LARGE = ("largepersongroup", "largefacelist")
VERSIONS = ("v1.0", "v1.2")
SEGMENT = {"persongroup": "persongroups", "largepersongroup": "largepersongroups", "largefacelist": "largefacelists"}
ID_FIELD = {"persongroup": "personGroupId", "largepersongroup": "largePersonGroupId",
            "largefacelist": "largeFaceListId"}
#: The 404 codes and messages of each large collection (docs/contract.md, "The family").
NOT_FOUND = {
    "largepersongroup": ("LargePersonGroupNotFound", "Large person group ID is invalid.",
                         "Large person group is not found."),
    "largefacelist": ("LargeFaceListNotFound", "Large face list ID is invalid.", "Large face list is not found."),
}
TRAINING_CODE = {"largepersongroup": "LargePersonGroupTrainingNotFinished",
                 "largefacelist": "LargeFaceListTrainingNotFinished"}
NOT_TRAINED_CODE = {"largepersongroup": "LargePersonGroupNotTrained", "largefacelist": "LargeFaceListNotTrained"}
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class FakeClock:
    """A monotonic clock the test moves by hand, so training needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Collections:
    """A provisioned service seen through one kind of collection on one API version.

    Collection c1 holds faces f1 and f2, c2 holds f3; in a large person group each face is on a
    person of its own (p1, p2 in c1; p3 in c2), in a large face list on the list itself.
    """

    def __init__(self, kind: str, version: str, config: ReferenceConfig | None = None,
                 service: ReferenceService | None = None) -> None:
        self.kind, self.version = kind, version
        self.service = service or ReferenceService(config or ReferenceConfig(seed=7))
        self.clock = FakeClock()
        self.service.clock = self.clock
        self.base = f"{ORIGIN}/face/{version}"
        self.client = httpx.Client(base_url=self.base, transport=httpx.MockTransport(self.service.handle),
                                   headers={"Ocp-Apim-Subscription-Key": KEY})
        self.has_persons = kind != "largefacelist"
        for name in ("c1", "c2"):
            assert self.client.put(self.path(name), json={"name": name}).status_code == 200
        self.p1, self.f1 = self.person_with_face("c1")
        self.p2, self.f2 = self.person_with_face("c1")
        self.p3, self.f3 = self.person_with_face("c2")

    def path(self, group: str, tail: str = "") -> str:
        return f"/{SEGMENT[self.kind]}/{group}{tail}"

    def person_with_face(self, group: str) -> tuple[str | None, str]:
        person = None
        if self.has_persons:
            person = self.client.post(self.path(group, "/persons"), json={"name": "p"}).json()["personId"]
        added = self.client.post(self.faces_path(group, person), json={"url": "https://example.test/a.jpg"})
        assert added.status_code == 200, added.text
        return person, added.json()["persistedFaceId"]

    def faces_path(self, group: str = "c1", person: str | None = None) -> str:
        if not self.has_persons:
            return self.path(group, "/persistedfaces")
        return self.path(group, f"/persons/{person or self.p1}/persistedfaces")

    def face_path(self, group: str = "c1", person: str | None = None, face: str | None = None) -> str:
        return f"{self.faces_path(group, person)}/{face or self.f1}"

    def patch(self, body: Any = None, *, path: str | None = None, **kw: Any) -> httpx.Response:
        if body is not None:
            kw["json"] = body
        return self.client.patch(path or self.face_path(), **kw)

    def stored(self, path: str | None = None) -> Any:
        answer = self.client.get(path or self.face_path())
        assert answer.status_code == 200, answer.text
        return answer.json()["userData"]


@pytest.fixture(params=[(k, v) for k in LARGE for v in VERSIONS], ids=lambda p: f"{p[0]}-{p[1]}")
def large(request: pytest.FixtureRequest) -> Collections:
    kind, version = request.param
    return Collections(kind, version)


def error_of(answer: httpx.Response, status: int, code: str | None, message: str | None = None) -> dict[str, Any]:
    """The answer is `status` with a JSON error of this code (and message, if given)."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    error = answer.json()["error"]
    if code is not None:
        assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    if message is not None:
        assert error["message"] == message
    return error


# -- the collection's own calls -------------------------------------------------------------------


def test_create_get_list_and_delete_a_collection(large: Collections) -> None:
    id_field = ID_FIELD[large.kind]
    assert large.client.put(large.path("b"), json={"name": "B", "userData": "u"}).status_code == 200
    assert large.client.get(large.path("b")).json() == {id_field: "b", "name": "B", "userData": "u"}
    listed = large.client.get(f"/{SEGMENT[large.kind]}").json()
    assert [c[id_field] for c in listed] == ["b", "c1", "c2"]
    assert all(set(c) == {id_field, "name", "userData"} for c in listed)
    page = large.client.get(f"/{SEGMENT[large.kind]}", params={"start": "b", "top": 1}).json()
    assert [c[id_field] for c in page] == ["c1"]
    assert large.client.delete(large.path("b")).status_code == 200
    code, _, missing = NOT_FOUND[large.kind]
    error_of(large.client.get(large.path("b")), 404, code, missing)


def test_create_twice_is_409_exists(large: Collections) -> None:
    exists = large.client.put(large.path("c1"), json={"name": "again"})
    expected = {"largepersongroup": "LargePersonGroupExists", "largefacelist": "LargeFaceListExists"}
    error_of(exists, 409, expected[large.kind])


def test_each_kind_and_person_groups_are_separate_namespaces(large: Collections) -> None:
    groups = large.client.get("/persongroups").json()
    assert groups == []
    assert large.client.put("/persongroups/c1", json={"name": "pg"}).status_code == 200
    assert large.client.get(large.path("c1")).json()["name"] == "c1"
    other = "largefacelists" if large.kind == "largepersongroup" else "largepersongroups"
    assert large.client.get(f"/{other}").json() == []


def test_both_versions_see_the_same_collections() -> None:
    lfl = Collections("largefacelist", "v1.0")
    assert lfl.patch({"userData": "one store"}).status_code == 200
    v12 = httpx.Client(base_url=f"{ORIGIN}/face/v1.2", transport=httpx.MockTransport(lfl.service.handle),
                       headers={"Ocp-Apim-Subscription-Key": KEY})
    assert v12.get(lfl.face_path()).json()["userData"] == "one store"


# -- persons and faces ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_large_person_group_persons(version: str) -> None:
    lpg = Collections("largepersongroup", version)
    person = lpg.client.get(lpg.path("c1", f"/persons/{lpg.p1}")).json()
    assert person == {"personId": lpg.p1, "name": "p", "userData": None, "persistedFaceIds": [lpg.f1]}
    created = lpg.client.post(lpg.path("c1", "/persons"), json={"name": "n", "userData": "u"})
    assert set(created.json()) == {"personId"}
    error_of(lpg.client.get(lpg.path("c1", f"/persons/{lpg.p3}")), 404, "PersonNotFound", "Person is not found.")
    error_of(lpg.client.get(lpg.path("c1", "/persons/bad")), 404, "PersonNotFound")


def test_add_face_from_url_or_bytes_with_user_data(large: Collections) -> None:
    added = large.client.post(large.faces_path(), params={"userData": "from query"}, content=b"\xff\xd8jpeg",
                              headers={"Content-Type": "application/octet-stream"})
    assert added.status_code == 200 and set(added.json()) == {"persistedFaceId"}
    face = added.json()["persistedFaceId"]
    assert large.client.get(large.face_path(face=face)).json() == {"persistedFaceId": face, "userData": "from query"}
    error_of(large.client.post(large.faces_path(), json={"url": ""}), 400, "BadArgument")
    error_of(large.client.post(large.faces_path(), content=b"x", headers={"Content-Type": "text/plain"}),
             415, "BadArgument")


def test_update_get_and_delete_a_face(large: Collections) -> None:
    answer = large.patch({"userData": "hello"})
    assert answer.status_code == 200 and answer.content == b"" and "content-type" not in answer.headers
    assert large.client.get(large.face_path()).json() == {"persistedFaceId": large.f1, "userData": "hello"}
    assert large.stored(large.face_path(person=large.p2, face=large.f2)) is None
    assert large.client.delete(large.face_path()).status_code == 200
    error_of(large.client.get(large.face_path()), 404, "PersistedFaceNotFound", "Persisted face is not found.")
    error_of(large.client.delete(large.face_path()), 404, "PersistedFaceNotFound")


@pytest.mark.parametrize("version", VERSIONS)
def test_list_a_face_lists_faces(version: str) -> None:
    lfl = Collections("largefacelist", version)
    faces = lfl.client.get(lfl.faces_path()).json()
    assert sorted(f["persistedFaceId"] for f in faces) == sorted([lfl.f1, lfl.f2])
    assert all(set(f) == {"persistedFaceId", "userData"} for f in faces)
    first = min(lfl.f1, lfl.f2)
    page = lfl.client.get(lfl.faces_path(), params={"start": first, "top": 1000}).json()
    assert [f["persistedFaceId"] for f in page] == [max(lfl.f1, lfl.f2)]
    error_of(lfl.client.get(lfl.faces_path(), params={"top": "0"}), 400, "BadArgument")


def test_person_groups_keep_their_routes_and_take_no_face_delete() -> None:
    pg = Collections("persongroup", "v1.2")
    answer = pg.client.delete(pg.face_path())
    assert answer.status_code == 405 and answer.headers["allow"] == "GET, PATCH"
    assert pg.client.get(pg.path("c1", f"/persons/{pg.p1}")).json()["persistedFaceIds"] == [pg.f1]


def test_literal_segments_match_case_insensitively(large: Collections) -> None:
    upper = large.face_path().replace(SEGMENT[large.kind], SEGMENT[large.kind].upper())
    upper = upper.replace("persistedfaces", "persistedFaces").replace("/persons/", "/Persons/")
    url = f"{ORIGIN}/Face/{large.version.upper()}{upper}"
    assert large.client.patch(url, json={"userData": "cased"}).status_code == 200
    assert large.stored() == "cased"


@pytest.mark.parametrize("path", ["/face/v1.2/nothing", "/face/v1.1/largefacelists", "/face/v1.2/largefacelists/c1/x",
                                  "/face/v1.0/largefacelists/c1/persons/x/persistedfaces"])
def test_unknown_paths_keep_the_json_404(path: str) -> None:
    service = ReferenceService()
    answer = service.handle(httpx.Request("GET", ORIGIN + path, headers={"Ocp-Apim-Subscription-Key": KEY}))
    error_of(answer, 404, "NotFound")


@pytest.mark.parametrize("kind", LARGE)
def test_ids_repeat_under_a_seed(kind: str) -> None:
    first, second = Collections(kind, "v1.2"), Collections(kind, "v1.2")
    assert (first.p1, first.f1, first.f3) == (second.p1, second.f1, second.f3)
    assert first.f1 != Collections(kind, "v1.2", ReferenceConfig(seed=8)).f1


# -- 404s of each collection and the lookup order --------------------------------------------------


def test_the_collections_404_codes(large: Collections) -> None:
    code, invalid, missing = NOT_FOUND[large.kind]
    error_of(large.patch({"userData": "x"}, path=large.face_path(group="Bad!")), 404, code, invalid)
    error_of(large.patch({"userData": "x"}, path=large.face_path(group="nosuch")), 404, code, missing)
    error_of(large.client.post(large.path("nosuch", "/train")), 404, code, missing)


def test_face_404s(large: Collections) -> None:
    error_of(large.patch({"userData": "x"}, path=large.face_path(face="bad")), 404, "PersistedFaceNotFound",
             "Persisted face ID is invalid.")
    error_of(large.patch({"userData": "x"}, path=large.face_path(face=UNKNOWN_GUID)), 404, "PersistedFaceNotFound",
             "Persisted face is not found.")


def test_a_face_of_the_other_collection_is_persisted_face_not_found(large: Collections) -> None:
    # In c1, f3 is c2's face; in a large person group, reached through p1 (and p3 is no person of c1).
    error_of(large.patch({"userData": "x"}, path=large.face_path(face=large.f3)), 404, "PersistedFaceNotFound")
    if large.has_persons:
        error_of(large.patch({"userData": "x"}, path=large.face_path(face=large.f2)), 404, "PersistedFaceNotFound")
        error_of(large.patch({"userData": "x"}, path=large.face_path(person=large.p3, face=large.f3)), 404,
                 "PersonNotFound")
    assert large.stored(large.face_path("c2", large.p3, large.f3)) is None


@pytest.mark.parametrize("version", VERSIONS)
def test_person_404s_of_a_large_person_group(version: str) -> None:
    lpg = Collections("largepersongroup", version)
    error_of(lpg.patch({"userData": "x"}, path=lpg.face_path(person="bad")), 404, "PersonNotFound")
    error_of(lpg.patch({"userData": "x"}, path=lpg.face_path(person=UNKNOWN_GUID)), 404, "PersonNotFound",
             "Person is not found.")


def test_lookup_order_is_collection_person_face_then_body(large: Collections) -> None:
    code = NOT_FOUND[large.kind][0]
    bad_body = {"content": b"{bad", "headers": {"Content-Type": "text/plain"}}
    cases = [({"group": "Bad", "person": "bad", "face": "bad"}, code),
             ({"group": "nosuch", "person": "bad", "face": "bad"}, code),
             ({"face": "bad"}, "PersistedFaceNotFound"),
             ({}, "BadArgument")]
    if large.has_persons:
        cases.insert(2, ({"person": "bad", "face": "bad"}, "PersonNotFound"))
    for parts, expected in cases:
        answer = large.client.patch(large.face_path(**parts), **bad_body)
        assert answer.json()["error"]["code"] == expected, (parts, answer.text)


def test_key_comes_first(large: Collections) -> None:
    path = large.face_path(group="Bad!", face="bad")
    answer = large.client.patch(path, content=b"{bad", headers={"Ocp-Apim-Subscription-Key": "wrong"})
    assert answer.status_code == 401


# -- the shared body rules ------------------------------------------------------------------------


def test_the_body_rules_are_the_page_rules(large: Collections) -> None:
    assert large.patch({"userData": "before"}).status_code == 200
    error_of(large.patch(content=b'{"userData": "x"}', headers={"Content-Type": "text/plain"}), 415, "BadArgument",
             "Invalid Media Type")
    error_of(large.patch(content=b"[1]", headers={"Content-Type": "application/json"}), 400, "BadArgument")
    error_of(large.patch({"userData": 5}), 400, "BadArgument")
    error_of(large.patch({"userData": "x" * (LIMIT + 1)}), 400, "BadArgument", "'userData' is too long.")
    assert large.stored() == "before"
    assert large.patch({"userData": "é" * (LIMIT // 2)}).status_code == 200
    assert large.patch(content=b"", headers={"Content-Type": "application/json"}).status_code == 200
    assert large.stored() is None


def test_a_variant_of_a_body_rule_reaches_every_collection() -> None:
    class CodePoints(ReferenceService):
        def user_data_too_long(self, value: str) -> bool:
            return len(value) > LIMIT

    lfl = Collections("largefacelist", "v1.2", service=CodePoints(ReferenceConfig(seed=7)))
    assert lfl.patch({"userData": "é" * LIMIT}).status_code == 200


# -- training ---------------------------------------------------------------------------------------


def test_training_runs_then_succeeds_and_takes_writes_meanwhile(large: Collections) -> None:
    error_of(large.client.get(large.path("c1", "/training")), 404, NOT_TRAINED_CODE[large.kind])
    train = large.client.post(large.path("c1", "/train"))
    assert train.status_code == 202 and train.content == b""
    assert large.client.get(large.path("c1", "/training")).json()["status"] == "running"
    assert large.patch({"userData": "during"}).status_code == 200
    assert large.stored() == "during"
    large.clock.now += large.service.config.training_seconds
    done = large.client.get(large.path("c1", "/training")).json()
    assert done["status"] == "succeeded"
    assert ISO_TIME.fullmatch(done["createdDateTime"]) and ISO_TIME.fullmatch(done["lastActionDateTime"])


def test_update_during_training_is_409_under_the_switch(large: Collections) -> None:
    large.service.config.large_training_conflict = True
    assert large.client.post(large.path("c1", "/train")).status_code == 202
    error = error_of(large.patch({"userData": "during"}), 409, TRAINING_CODE[large.kind])
    assert "under training" in error["message"]
    assert large.stored() is None
    assert large.patch({"userData": "other"}, path=large.face_path("c2", large.p3, large.f3)).status_code == 200
    large.clock.now += large.service.config.training_seconds
    assert large.patch({"userData": "after"}).status_code == 200


@pytest.mark.parametrize("conflict", [False, True])
@pytest.mark.parametrize("version", VERSIONS)
def test_person_groups_always_answer_409_while_training(version: str, conflict: bool) -> None:
    pg = Collections("persongroup", version, ReferenceConfig(seed=7, large_training_conflict=conflict))
    assert pg.client.post(pg.path("c1", "/train")).status_code == 202
    error_of(pg.patch({"userData": "x"}), 409, "PersonGroupTrainingNotFinished", "Person group 'c1' is under training.")


# -- API v1.2's shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ("persongroup", *LARGE))
def test_v1_2_401_code_and_v1_0_unchanged(kind: str) -> None:
    for version, code in (("v1.0", "Unspecified"), ("v1.2", "401")):
        c = Collections(kind, version)
        answer = c.patch({"userData": "x"}, headers={"Ocp-Apim-Subscription-Key": "wrong"})
        error_of(answer, 401, code, PAGE_ANSWERS["401.invalid-key"].message)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_bearer_token_is_never_a_credential(version: str) -> None:
    lfl = Collections("largefacelist", version)
    request = httpx.Request("PATCH", lfl.base + lfl.face_path(), json={"userData": "x"},
                            headers={"Authorization": "Bearer eyJ0eXAiOiJKV1QifQ.e30.sig"})
    assert lfl.service.handle(request).status_code == 401
    assert lfl.patch({"userData": "x"}, headers={"Authorization": "Bearer anything"}).status_code == 200


def test_v1_2_429_has_a_code_and_v1_0_a_status_code(large: Collections) -> None:
    large.service.force("rate-limit-retry-after")
    answer = large.patch({"userData": "x"})
    assert answer.status_code == 429 and answer.headers["retry-after"] == "1"
    error = answer.json()["error"]
    assert error["message"] == "Rate limit is exceeded. Try again in 1 seconds."
    if large.version == "v1.2":
        assert error == {"code": "429", "message": error["message"]}
    else:
        assert error == {"statusCode": 429, "message": error["message"]}


def test_gateway_429s_of_supporting_calls_take_the_versions_shape() -> None:
    service = ReferenceService(ReferenceConfig(rate_limit_every=1))
    for version, field in (("v1.0", "statusCode"), ("v1.2", "code")):
        request = httpx.Request("GET", f"{ORIGIN}/face/{version}/largefacelists",
                                headers={"Ocp-Apim-Subscription-Key": KEY})
        answer = service.handle(request)
        assert answer.status_code == 429 and field in answer.json()["error"]
        assert service.handle(request).status_code == 200  # the repeat passes


def test_v1_2_train_carries_operation_location(large: Collections) -> None:
    answer = large.client.post(large.path("c1", "/train"), params={"x": "1"})
    if large.version == "v1.0":
        assert "operation-location" not in answer.headers
        return
    location = answer.headers["operation-location"]
    assert location == f"{ORIGIN}/face/v1.2/{SEGMENT[large.kind]}/c1/training"
    assert large.client.get(location).json()["status"] == "running"


@pytest.mark.parametrize("version", VERSIONS)
def test_training_status_spelling_per_version(version: str) -> None:
    pg = Collections("persongroup", version)
    status = pg.client.get(pg.path("c1", "/training")).json()
    assert status["status"] == ("notStarted" if version == "v1.2" else "notstarted")
    assert ("lastSuccessfulTrainingDateTime" in status) == (version == "v1.2")
    pg.client.post(pg.path("c1", "/train"))
    pg.clock.now += pg.service.config.training_seconds
    done = pg.client.get(pg.path("c1", "/training")).json()
    assert done["status"] == "succeeded"
    if version == "v1.2":
        assert done["lastSuccessfulTrainingDateTime"] == done["lastActionDateTime"]


def test_the_error_code_header_is_off_by_default_and_v1_2_only(large: Collections) -> None:
    assert "x-ms-error-code" not in large.patch({"userData": "x"}, path=large.face_path(face="bad")).headers
    large.service.config.v1_2_error_code_header = True
    answers = {
        "PersistedFaceNotFound": large.patch({"userData": "x"}, path=large.face_path(face="bad")),
        NOT_TRAINED_CODE[large.kind]: large.client.get(large.path("c1", "/training")),
        "NotFound": large.client.get("/nothing"),
    }
    large.service.force("quota")
    answers["403"] = large.patch({"userData": "x"})  # a statusCode body: the header holds the status
    for code, answer in answers.items():
        expected = code if large.version == "v1.2" else None
        assert answer.headers.get("x-ms-error-code") == expected, (code, answer.text)
    assert "x-ms-error-code" not in large.patch({"userData": "x"}).headers  # never on a success


def test_every_v1_2_shape_switches_back_to_v1_0s() -> None:
    config = ReferenceConfig(seed=7, v1_2_code_401=False, v1_2_code_429=False, v1_2_operation_location=False,
                             v1_2_camel_case_status=False)
    pg = Collections("persongroup", "v1.2", config)
    error_of(pg.patch({"userData": "x"}, headers={"Ocp-Apim-Subscription-Key": ""}), 401, "Unspecified")
    pg.service.force("rate-limit")
    assert pg.patch({"userData": "x"}).json()["error"]["statusCode"] == 429
    assert pg.client.get(pg.path("c1", "/training")).json()["status"] == "notstarted"
    assert "operation-location" not in pg.client.post(pg.path("c1", "/train")).headers


# -- independent of the suite's selected operation, and agreeing with its catalogue --------------


def test_the_reference_ignores_the_globally_selected_operation() -> None:
    pg, lfl = Collections("persongroup", "v1.0"), Collections("largefacelist", "v1.0")
    with operation.using("largefacelist", "v1.2"):
        error_of(pg.patch({"userData": "x"}, path=pg.face_path(group="nosuch")), 404, "PersonGroupNotFound",
                 "Person group 'nosuch' is not found.")
        error_of(pg.patch({"userData": "x"}, headers={"Ocp-Apim-Subscription-Key": "no"}), 401, "Unspecified")
    with operation.using("persongroup", "v1.0"):
        error_of(lfl.patch({"userData": "x"}, path=lfl.face_path(group="nosuch")), 404, "LargeFaceListNotFound")


#: What provokes each 404 row of the catalogue: (trigger part, fault) -> path parts of a Collections.
PROVOKE = {("personGroupId", "malformed"): {"group": "Bad!"}, ("personGroupId", "unknown"): {"group": "nosuch"},
           ("personId", "malformed"): {"person": "bad"}, ("personId", "unknown"): {"person": UNKNOWN_GUID},
           ("persistedFaceId", "malformed"): {"face": "bad"}, ("persistedFaceId", "unknown"): {"face": UNKNOWN_GUID}}


def test_the_404s_agree_with_the_catalogue_of_each_operation(large: Collections) -> None:
    with operation.using(large.kind, large.version) as op:
        for (part, fault), parts in PROVOKE.items():
            if part not in op.path_parts:
                continue
            row = catalogue.row(catalogue.provoked_by(part, fault))
            error = error_of(large.patch({"userData": "x"}, path=large.face_path(**parts)), row.status, None)
            assert error["code"] in row.codes, (row.id, error)
            assert row.message_pattern is None or row.message_pattern.match(error["message"]), (row.id, error)


def test_the_suites_names_of_a_face_lists_rows_are_understood() -> None:
    assert LARGE_FACE_LISTS.answer("404.list-missing") == LARGE_FACE_LISTS.answer("404.group-missing")
    assert LARGE_FACE_LISTS.answer("404.list-invalid").code == "LargeFaceListNotFound"
    with pytest.raises(KeyError, match="x.isolation"):
        LARGE_FACE_LISTS.answer("x.isolation")
