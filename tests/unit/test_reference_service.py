"""The reference service in process: `handle` directly, through httpx.MockTransport, and through respx."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any

import httpx
import pytest
import respx

import face_conformance.reference as reference
from face_conformance.cases import catalogue
from face_conformance.reference import ReferenceConfig, ReferenceService

KEY = "reference-key"
ORIGIN = "http://face.test"
API = f"{ORIGIN}/face/v1.0"
JSON_TYPE = "application/json; charset=utf-8"
UNKNOWN_GUID = "00000000-0000-4000-8000-000000000000"
LIMIT = catalogue.user_data_limit()


class FakeClock:
    """A monotonic clock the test moves by hand, so training needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class World:
    """A provisioned service: group g1 with persons p1, p2 (faces f1, f2); group g2 with p3 (face f3)."""

    def __init__(
        self, config: ReferenceConfig | None = None, service_class: type[ReferenceService] = ReferenceService
    ) -> None:
        self.service = service_class(config or ReferenceConfig(seed=7))
        self.clock = FakeClock()
        self.service.clock = self.clock
        self.client = httpx.Client(
            base_url=API,
            transport=httpx.MockTransport(self.service.handle),
            headers={"Ocp-Apim-Subscription-Key": KEY},
        )
        self.g1, self.g2 = "g1", "g2"
        self.create_group(self.g1)
        self.create_group(self.g2)
        self.p1, self.f1 = self.person_with_face(self.g1)
        self.p2, self.f2 = self.person_with_face(self.g1)
        self.p3, self.f3 = self.person_with_face(self.g2)

    def create_group(self, group_id: str) -> None:
        assert self.client.put(f"/persongroups/{group_id}", json={"name": group_id}).status_code == 200

    def person_with_face(self, group_id: str) -> tuple[str, str]:
        person = self.client.post(f"/persongroups/{group_id}/persons", json={"name": "p"}).json()["personId"]
        face = self.client.post(
            f"/persongroups/{group_id}/persons/{person}/persistedFaces",
            json={"url": "https://example.test/a.jpg"},
        ).json()["persistedFaceId"]
        return person, face

    def face_path(self, group: str | None = None, person: str | None = None, face: str | None = None) -> str:
        group, person, face = (self.g1 if group is None else group), (person or self.p1), (face or self.f1)
        return f"/persongroups/{group}/persons/{person}/persistedFaces/{face}"

    def patch(self, body: Any = None, *, content: bytes | None = None, path: str | None = None, **kw: Any):
        if body is not None:
            content = json.dumps(body).encode()
            kw.setdefault("headers", {}).setdefault("Content-Type", "application/json")
        return self.client.patch(path or self.face_path(), content=content, **kw)

    def stored(self) -> Any:
        answer = self.client.get(self.face_path())
        assert answer.status_code == 200
        return answer.json()["userData"]


@pytest.fixture
def world() -> World:
    return World()


def assert_row(response: httpx.Response, row_id: str) -> dict[str, Any]:
    """The answer is the row's status with its envelope, code and (example-shaped) message."""
    row = catalogue.row(row_id)
    assert response.status_code == row.status, response.text
    assert response.headers["content-type"] == JSON_TYPE
    error = response.json()["error"]
    if row.envelope == "statusCode":
        assert error["statusCode"] == row.status
    else:
        assert error["code"] == row.code
    assert isinstance(error["message"], str) and error["message"]
    if row.message_pattern is not None:
        assert row.message_pattern.match(error["message"]), error["message"]
    return error


# -- 200 and read-after-write -------------------------------------------------------------------


def test_update_answers_200_with_no_body_and_no_content_type(world: World) -> None:
    answer = world.patch({"userData": "hello"})
    assert answer.status_code == 200
    assert answer.content == b""
    assert "content-type" not in answer.headers
    assert uuid.UUID(answer.headers["apim-request-id"])
    assert world.stored() == "hello"


TRICKY = [
    "",
    "  padded  ",
    "nul\x00inside",
    "astral 😀 𝄞 𠀀",
    "e\u0301 combining vs \u00e9",
    "\ufeffbom and zero\u200bwidth",
    "line\r\nbreak\ttab",
    '"quotes" \\ backslash </script>',
    "\ud800 lone surrogate",
]


@pytest.mark.parametrize("value", TRICKY, ids=range(len(TRICKY)))
def test_tricky_user_data_round_trips_exactly(world: World, value: str) -> None:
    # ensure_ascii: httpx's own JSON encoder cannot carry a lone surrogate.
    answer = world.patch(content=json.dumps({"userData": value}).encode("ascii"))
    assert answer.status_code == 200
    assert world.stored() == value


@pytest.mark.parametrize("body", [b"", b"{}", b'{"userData": null}'])
def test_missing_or_null_user_data_stores_null(world: World, body: bytes) -> None:
    assert world.patch({"userData": "before"}).status_code == 200
    assert world.patch(content=body).status_code == 200
    assert world.stored() is None


def test_unknown_fields_are_ignored(world: World) -> None:
    assert world.patch({"userData": "x", "extra": [1, 2]}).status_code == 200
    assert world.stored() == "x"


# -- 401 and auth first -------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "wrong", KEY.upper()])
def test_missing_or_wrong_key_is_401(world: World, key: str | None) -> None:
    headers = {} if key is None else {"Ocp-Apim-Subscription-Key": key}
    request = httpx.Request("PATCH", API + world.face_path(), headers=headers, json={"userData": "x"})
    assert_row(world.service.handle(request), "401.invalid-key")
    assert world.stored() is None


def test_key_is_checked_before_path_and_body(world: World) -> None:
    path = world.face_path(group="Bad!Group", person="nope", face="nope")
    answer = world.patch(content=b"{not json", path=path, headers={"Ocp-Apim-Subscription-Key": "wrong"})
    assert_row(answer, "401.invalid-key")


# -- 404 rows and the lookup order --------------------------------------------------------------


@pytest.mark.parametrize(
    "group_id", catalogue.parameter("personGroupId")["x-malformed"] + ["", "bad%0Agroup"]
)
def test_malformed_group_id_is_group_invalid(world: World, group_id: str) -> None:
    assert_row(world.patch({"userData": "x"}, path=world.face_path(group=group_id)), "404.group-invalid")


@pytest.mark.parametrize(
    "segment", ["bad%0Agroup", "g1%0A", "bad%2Fgroup", "%E7%95%8C", "bad%zzgroup", "%00"]
)
def test_percent_encoded_group_ids_get_a_json_404_not_a_crash(world: World, segment: str) -> None:
    request = httpx.Request(
        "PATCH",
        f"{API}/persongroups/{segment}/persons/{world.p1}/persistedFaces/{world.f1}",
        headers={"Ocp-Apim-Subscription-Key": KEY},
        json={"userData": "x"},
    )
    assert_row(world.service.handle(request), "404.group-invalid")


def test_percent_encoded_valid_group_id_is_decoded(world: World) -> None:
    assert world.patch({"userData": "enc"}, path=world.face_path(group="%67%31")).status_code == 200
    assert world.stored() == "enc"


def test_missing_group_names_the_group(world: World) -> None:
    error = assert_row(
        world.patch({"userData": "x"}, path=world.face_path(group="nosuch")), "404.group-missing"
    )
    assert error["message"] == "Person group 'nosuch' is not found."


@pytest.mark.parametrize(
    "person_id", catalogue.parameter("personId")["x-malformed"] + ["{" + UNKNOWN_GUID + "}"]
)
def test_malformed_person_id_is_person_invalid(world: World, person_id: str) -> None:
    assert_row(world.patch({"userData": "x"}, path=world.face_path(person=person_id)), "404.person-invalid")


@pytest.mark.parametrize("face_id", catalogue.parameter("persistedFaceId")["x-malformed"])
def test_malformed_face_id_is_face_invalid(world: World, face_id: str) -> None:
    assert_row(world.patch({"userData": "x"}, path=world.face_path(face=face_id)), "404.face-invalid")


def test_person_of_another_group_or_unknown_is_person_missing(world: World) -> None:
    assert_row(
        world.patch({"userData": "x"}, path=world.face_path(person=UNKNOWN_GUID)), "404.person-missing"
    )
    other = world.face_path(person=world.p3, face=world.f3)
    assert_row(world.patch({"userData": "x"}, path=other), "404.person-missing")


def test_face_of_another_person_or_unknown_is_face_missing(world: World) -> None:
    assert_row(world.patch({"userData": "x"}, path=world.face_path(face=UNKNOWN_GUID)), "404.face-missing")
    assert_row(world.patch({"userData": "x"}, path=world.face_path(face=world.f2)), "404.face-missing")


def test_guids_match_case_insensitively(world: World) -> None:
    path = world.face_path(person=world.p1.upper(), face=world.f1.upper())
    assert world.patch({"userData": "upper"}, path=path).status_code == 200
    assert world.stored() == "upper"


@pytest.mark.parametrize(
    ("parts", "row_id"),
    [
        ({"group": "Bad", "person": "bad", "face": "bad"}, "404.group-invalid"),
        ({"group": "nosuch", "person": "bad", "face": "bad"}, "404.group-missing"),
        ({"person": "bad", "face": "bad"}, "404.person-invalid"),
        ({"person": UNKNOWN_GUID, "face": "bad"}, "404.person-missing"),
        ({"face": "bad"}, "404.face-invalid"),
    ],
)
def test_lookup_order_group_person_face_then_body(world: World, parts: dict[str, str], row_id: str) -> None:
    answer = world.patch(
        content=b"{bad json", path=world.face_path(**parts), headers={"Content-Type": "text/plain"}
    )
    assert_row(answer, row_id)


# -- 415 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/octet-stream",
        "",
    ],
)
def test_non_json_content_type_is_415(world: World, content_type: str) -> None:
    answer = world.patch(content=b'{"userData": "x"}', headers={"Content-Type": content_type})
    assert_row(answer, "415.media-type")
    assert world.stored() is None


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "text/json",
        "application/merge-patch+json",
        None,
    ],
)
def test_json_content_types_and_none_are_accepted(world: World, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    assert world.patch(content=b'{"userData": "ok"}', headers=headers).status_code == 200
    assert world.stored() == "ok"


def test_media_type_is_checked_before_the_body(world: World) -> None:
    assert_row(world.patch(content=b"{bad", headers={"Content-Type": "text/plain"}), "415.media-type")


# -- 400 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"userData": "unterminated',
        b'["userData"]',
        b"null",
        b"42",
        b'"string"',
        b'{"userData": NaN}',
        b"[" * 100_000,
        b'{"userData": "\xff"}',
        b"\x00",
    ],
    ids=["unterminated", "array", "null", "number", "string", "nan", "deep", "bad-utf8", "nul"],
)
def test_unparsable_or_non_object_body_is_bad_json(world: World, body: bytes) -> None:
    assert world.patch({"userData": "before"}).status_code == 200
    assert_row(world.patch(content=body, headers={"Content-Type": "application/json"}), "400.bad-json")
    assert world.stored() == "before"


@pytest.mark.parametrize("value", [1, 1.5, True, {"a": 1}, ["x"]])
def test_non_string_user_data_is_bad_argument(world: World, value: Any) -> None:
    assert_row(world.patch({"userData": value}), "400.bad-json")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("x" * LIMIT, True),
        ("x" * (LIMIT + 1), False),
        ("é" * (LIMIT // 2), True),  # 1024 bytes
        ("é" * (LIMIT // 2 + 1), False),  # 513 code points, 1026 bytes
        ("界" * 342, False),  # 342 code points, 1026 bytes
        ("😀" * (LIMIT // 4), True),  # 1024 bytes, 512 UTF-16 units
        ("😀" * (LIMIT // 4) + "x", False),
    ],
    ids=[
        "ascii-1024",
        "ascii-1025",
        "e-acute-1024B",
        "e-acute-1026B",
        "cjk-1026B",
        "emoji-1024B",
        "emoji-1025B",
    ],
)
def test_user_data_limit_counts_utf8_bytes(world: World, value: str, accepted: bool) -> None:
    assert world.patch({"userData": "before"}).status_code == 200
    answer = world.patch({"userData": value})
    if accepted:
        assert answer.status_code == 200
        assert world.stored() == value
    else:
        assert_row(answer, "400.userdata-too-long")
        assert world.stored() == "before"


# -- training -----------------------------------------------------------------------------------


def test_training_runs_then_succeeds_and_blocks_updates_meanwhile(world: World) -> None:
    status = world.client.get(f"/persongroups/{world.g1}/training").json()
    assert status["status"] == "notstarted" and status["message"] is None
    assert world.client.post(f"/persongroups/{world.g1}/train").status_code == 202

    running = world.client.get(f"/persongroups/{world.g1}/training").json()
    assert running["status"] == "running"
    error = assert_row(world.patch({"userData": "during"}), "409.training")
    assert error["message"] == "Person group 'g1' is under training."
    assert world.stored() is None

    world.clock.now += world.service.config.training_seconds
    done = world.client.get(f"/persongroups/{world.g1}/training").json()
    assert done["status"] == "succeeded"
    assert set(done) == {"status", "createdDateTime", "lastActionDateTime", "message"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", done["lastActionDateTime"])
    assert world.patch({"userData": "after"}).status_code == 200


def test_training_one_group_does_not_block_another(world: World) -> None:
    assert world.client.post(f"/persongroups/{world.g2}/train").status_code == 202
    assert world.patch({"userData": "free"}).status_code == 200


# -- forced answers and gateway switches -------------------------------------------------------


def test_forced_quota_comes_before_the_key_and_is_consumed(world: World) -> None:
    world.service.force("quota")
    error = assert_row(
        world.patch({"userData": "x"}, headers={"Ocp-Apim-Subscription-Key": "wrong"}), "403.quota"
    )
    assert error["message"] == catalogue.row("403.quota").example["error"]["message"]
    assert world.patch({"userData": "x"}).status_code == 200


def test_forced_rate_limit_has_no_retry_after(world: World) -> None:
    world.service.force("rate-limit", count=2)
    for _ in range(2):
        answer = world.patch({"userData": "x"})
        error = assert_row(answer, "429.rate-limit")
        assert error["message"] == "Rate limit is exceeded. Try again in 1 seconds."
        assert "retry-after" not in answer.headers
    assert world.patch({"userData": "x"}).status_code == 200


def test_forced_rate_limit_with_retry_after_and_zero_wait() -> None:
    world = World(ReferenceConfig(rate_limit_wait_seconds=0))
    world.service.force("rate-limit-retry-after")
    answer = world.patch({"userData": "x"})
    assert_row(answer, "429.rate-limit")
    assert answer.headers["retry-after"] == "0"
    assert "Try again in 0 seconds" in answer.json()["error"]["message"]


def test_forcing_touches_update_face_only(world: World) -> None:
    world.service.force("quota")
    assert world.client.get(world.face_path()).status_code == 200
    assert_row(world.patch({"userData": "x"}), "403.quota")


def test_forced_concurrent_comes_after_the_lookups(world: World) -> None:
    world.service.force("concurrent")
    assert_row(world.patch({"userData": "x"}, path=world.face_path(face=UNKNOWN_GUID)), "404.face-missing")
    assert_row(world.patch({"userData": "x"}), "409.concurrent")
    assert world.stored() is None
    assert world.patch({"userData": "x"}).status_code == 200


def test_force_rejects_unknown_kinds_and_zero_clears(world: World) -> None:
    with pytest.raises(ValueError, match="unknown force kind"):
        world.service.force("teapot")
    world.service.force("quota", 3)
    world.service.force("quota", 0)
    assert world.patch({"userData": "x"}).status_code == 200


def test_rate_limit_every_third_request_and_its_repeat_passes(world: World) -> None:
    # Switched on after provisioning, which would otherwise meet the 429s itself.
    world.service.config.rate_limit_every = 3
    start = len(world.service.request_log)
    statuses = [world.client.get(world.face_path()).status_code for _ in range(9)]
    numbers = range(start + 1, start + 10)
    assert statuses == [429 if n % 3 == 0 else 200 for n in numbers]
    limited = [e for e in world.service.request_log if e.status == 429]
    assert len(limited) == 3 and all(e.method == "GET" for e in limited)


def test_rate_limit_every_request_still_lets_each_repeat_through() -> None:
    service = ReferenceService(ReferenceConfig(rate_limit_every=1))
    request = httpx.Request("GET", f"{API}/persongroups", headers={"Ocp-Apim-Subscription-Key": KEY})
    assert [service.handle(request).status_code for _ in range(4)] == [429, 200, 429, 200]


def test_quota_after_n_requests_answers_403_from_then_on() -> None:
    service = ReferenceService(ReferenceConfig(quota_after=3))
    request = httpx.Request("GET", f"{API}/persongroups", headers={"Ocp-Apim-Subscription-Key": KEY})
    answers = [service.handle(request) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 403, 403, 403]
    assert_row(answers[-1], "403.quota")


# -- concurrency --------------------------------------------------------------------------------


def test_concurrent_updates_conflict_and_keep_a_winner() -> None:
    world = World(ReferenceConfig(write_hold_seconds=0.05))
    barrier = threading.Barrier(8)
    results: dict[str, httpx.Response] = {}

    def update(value: str) -> None:
        barrier.wait()
        results[value] = world.patch({"userData": value})

    threads = [threading.Thread(target=update, args=(f"value-{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = {v for v, r in results.items() if r.status_code == 200}
    losers = [r for r in results.values() if r.status_code != 200]
    assert winners and losers
    for answer in losers:
        assert_row(answer, "409.concurrent")
    assert world.stored() in winners


def test_updates_of_different_faces_do_not_conflict() -> None:
    world = World(ReferenceConfig(write_hold_seconds=0.05))
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def update(path: str) -> None:
        barrier.wait()
        statuses.append(world.patch({"userData": "x"}, path=path).status_code)

    paths = [world.face_path(), world.face_path(person=world.p2, face=world.f2)]
    threads = [threading.Thread(target=update, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]


# -- routing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"])
def test_wrong_method_is_405_with_allow_before_the_key(world: World, method: str) -> None:
    request = httpx.Request(
        method, API + world.face_path(group="Bad!"), headers={"Ocp-Apim-Subscription-Key": "no"}
    )
    answer = world.service.handle(request)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, PATCH"
    assert answer.headers["content-type"] == JSON_TYPE
    assert answer.json()["error"]["code"] == "MethodNotAllowed"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/face/v1.0",
        "/face/v1.0/nothing",
        "/face/v2.0/persongroups",
        "/face/v1.0/persongroups/g1/persons/x/y/z/w",
    ],
)
def test_unknown_route_is_json_404(world: World, path: str) -> None:
    answer = world.service.handle(
        httpx.Request("GET", ORIGIN + path, headers={"Ocp-Apim-Subscription-Key": KEY})
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"] == JSON_TYPE
    assert answer.json()["error"]["code"] == "NotFound"


@pytest.mark.parametrize("segment", ["persistedfaces", "PERSISTEDFACES", "persistedFaces"])
def test_fixed_segments_match_case_insensitively(world: World, segment: str) -> None:
    path = f"/Face/V1.0/PersonGroups/{world.g1}/Persons/{world.p1}/{segment}/{world.f1}"
    assert world.client.patch(ORIGIN + path, json={"userData": segment}).status_code == 200
    assert world.stored() == segment


# -- supporting calls ---------------------------------------------------------------------------


def test_list_person_groups_sorted_with_start_and_top(world: World) -> None:
    for group_id in ["c", "a", "b"]:
        assert (
            world.client.put(
                f"/persongroups/{group_id}", json={"name": group_id.upper(), "userData": "u"}
            ).status_code
            == 200
        )
    everything = world.client.get("/persongroups").json()
    assert [g["personGroupId"] for g in everything] == ["a", "b", "c", "g1", "g2"]
    assert everything[0] == {"personGroupId": "a", "name": "A", "userData": "u"}
    page = world.client.get("/persongroups", params={"start": "a", "top": 2}).json()
    assert [g["personGroupId"] for g in page] == ["b", "c"]
    for top in ["0", "1001", "x", "-1"]:
        assert_row(world.client.get("/persongroups", params={"top": top}), "400.bad-json")


def test_delete_group_removes_its_persons_and_faces(world: World) -> None:
    assert world.client.delete(f"/persongroups/{world.g1}").status_code == 200
    assert_row(world.client.get(world.face_path()), "404.group-missing")
    world.create_group(world.g1)
    assert_row(world.client.get(world.face_path()), "404.person-missing")
    assert (
        world.client.get(world.face_path(group=world.g2, person=world.p3, face=world.f3)).status_code == 200
    )
    assert_row(world.client.delete("/persongroups/nosuch"), "404.group-missing")


def test_create_group_checks_id_name_and_existence(world: World) -> None:
    exists = world.client.put(f"/persongroups/{world.g1}", json={"name": "again"})
    assert exists.status_code == 409 and exists.json()["error"]["code"] == "PersonGroupExists"
    assert_row(world.client.put("/persongroups/Bad", json={"name": "x"}), "404.group-invalid")
    assert_row(world.client.put("/persongroups/new", json={}), "400.bad-json")
    assert_row(world.client.put("/persongroups/new", json={"name": "n" * 129}), "400.name-too-long")
    assert world.client.get("/persongroups/new").status_code == 404
    assert world.client.get(f"/persongroups/{world.g1}").json()["name"] == world.g1


def test_add_face_from_bytes_with_user_data_and_bad_bodies(world: World) -> None:
    faces = f"/persongroups/{world.g1}/persons/{world.p1}/persistedfaces"
    added = world.client.post(
        faces,
        params={"userData": "from query"},
        content=b"\xff\xd8jpeg",
        headers={"Content-Type": "application/octet-stream"},
    )
    face_id = added.json()["persistedFaceId"]
    assert world.client.get(world.face_path(face=face_id)).json() == {
        "persistedFaceId": face_id,
        "userData": "from query",
    }
    assert_row(world.client.post(faces, json={"url": ""}), "400.bad-json")
    assert_row(
        world.client.post(faces, content=b"", headers={"Content-Type": "application/octet-stream"}),
        "400.bad-json",
    )
    assert_row(
        world.client.post(faces, content=b"x", headers={"Content-Type": "text/plain"}), "415.media-type"
    )
    assert_row(
        world.client.post(faces, params={"userData": "x" * (LIMIT + 1)}, json={"url": "u"}),
        "400.userdata-too-long",
    )
    assert_row(
        world.client.post(f"/persongroups/{world.g2}/persons/{world.p1}/persistedfaces", json={"url": "u"}),
        "404.person-missing",
    )


# -- the seam, the log, seeds, variants ---------------------------------------------------------


def test_respx_routes_a_client_to_the_service() -> None:
    service = ReferenceService()
    with respx.mock(base_url=API, assert_all_called=True) as mock:
        mock.route().mock(side_effect=service.handle)
        with httpx.Client(base_url=API, headers={"Ocp-Apim-Subscription-Key": KEY}) as client:
            assert client.put("/persongroups/respx", json={"name": "r"}).status_code == 200
            assert [g["personGroupId"] for g in client.get("/persongroups").json()] == ["respx"]
    assert [e.method for e in service.request_log] == ["PUT", "GET"]


def test_request_log_keeps_raw_paths_statuses_and_order(world: World) -> None:
    before = len(world.service.request_log)
    world.patch({"userData": "x"}, path=world.face_path(group="bad%0Agroup"))
    world.patch({"userData": "x"})
    entries = world.service.request_log[before:]
    assert [(e.method, e.status) for e in entries] == [("PATCH", 404), ("PATCH", 200)]
    assert "/persongroups/bad%0Agroup/" in entries[0].raw_path
    assert entries[0].time <= entries[1].time


def test_a_seed_makes_ids_repeat() -> None:
    first, second = World(ReferenceConfig(seed=3)), World(ReferenceConfig(seed=3))
    assert (first.p1, first.f1, first.f3) == (second.p1, second.f1, second.f3)
    assert first.p1 != World(ReferenceConfig(seed=4)).p1


def test_every_error_answer_has_a_request_id_and_json_envelope(world: World) -> None:
    answers = [
        world.patch({"userData": 1}),
        world.patch(content=b"x", headers={"Content-Type": "text/plain"}),
        world.patch({"userData": "x"}, path=world.face_path(face="bad")),
    ]
    ids = {a.headers["apim-request-id"] for a in answers}
    assert len(ids) == 3 and all(uuid.UUID(i) for i in ids)
    assert all(a.headers["content-type"] == JSON_TYPE for a in answers)


def test_a_variant_overrides_one_decision() -> None:
    class CodePointService(ReferenceService):
        def user_data_too_long(self, value: str) -> bool:
            return len(value) > LIMIT

    world = World(service_class=CodePointService)
    assert world.patch({"userData": "é" * LIMIT}).status_code == 200
    assert_row(world.patch({"userData": "é" * (LIMIT + 1)}), "400.userdata-too-long")


@pytest.mark.parametrize(
    "bad",
    [
        {"rate_limit_every": 0},
        {"quota_after": -1},
        {"write_hold_seconds": -0.1},
        {"rate_limit_wait_seconds": -1},
    ],
)
def test_config_rejects_out_of_range_values(bad: dict[str, Any]) -> None:
    (name,) = bad
    with pytest.raises(ValueError, match=name):
        ReferenceConfig(**bad)


def test_public_names() -> None:
    assert sorted(reference.__all__) == [
        "BackgroundServer",
        "ReferenceConfig",
        "ReferenceService",
        "asgi_app",
        "serve",
    ]


# -- docs/contract.md points 14-18 and x.isolation ------------------------------------------------


def send(world: World, content: Any, *, headers: dict[str, str] | None = None, path: str | None = None,
         params: dict[str, str] | None = None, key: str | None = KEY) -> httpx.Response:
    """One PATCH straight into `handle`, headers exactly as given (the key header unless key is None)."""
    sent = {} if key is None else {"Ocp-Apim-Subscription-Key": key}
    sent.update(headers if headers is not None else {"Content-Type": "application/json"})
    request = httpx.Request("PATCH", API + (path or world.face_path()), headers=sent, params=params, content=content)
    return world.service.handle(request)


INVALID_UTF8 = {
    "lone-continuation": b"\x80",
    "overlong-solidus": b"\xc0\xaf",
    "encoded-surrogate": b"\xed\xa0\x80",
    "truncated-sequence": b"\xe2\x82",
    "byte-ff": b"\xff",
    "beyond-unicode": b"\xf4\x90\x80\x80",
    "latin-1-e-acute": b"\xe9",  # é in ISO-8859-1: would parse in another encoding
}


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          'application/json; charset="UTF-8"', "application/json;charset=utf8", None])
@pytest.mark.parametrize("bad", INVALID_UTF8.values(), ids=INVALID_UTF8.keys())
def test_point_14_a_body_that_is_not_utf8_is_bad_json(world: World, bad: bytes, content_type: str | None) -> None:
    assert world.patch({"userData": "before"}).status_code == 200
    headers = {} if content_type is None else {"Content-Type": content_type}
    assert_row(send(world, b'{"userData": "a' + bad + b'b"}', headers=headers), "400.bad-json")
    assert world.stored() == "before"


@pytest.mark.parametrize(("content", "content_type", "stored"), [
    (b'\xef\xbb\xbf{"userData": "bom"}', "application/json", "bom"),  # a BOM is ignored
    (b'\xef\xbb\xbf\xef\xbb\xbf{"userData": "two"}', "application/json", None),  # a second one is not JSON
    ('{"userData": "u16"}'.encode("utf-16"), "application/json; charset=utf-16", None),  # another charset: refused
    (b'{"userData": "ascii"}', "application/json; charset=utf-16", None),  # ... even when UTF-8 would read it
    (b'{"userData": "latin"}', "application/json; charset=iso-8859-1", None),
], ids=["bom-ignored", "second-bom", "utf-16", "utf-16-label-on-utf-8", "latin-1"])
def test_point_14_a_byte_order_mark_is_ignored_and_other_charsets_refused(
        world: World, content: bytes, content_type: str, stored: str | None) -> None:
    assert world.patch({"userData": "before"}).status_code == 200
    answer = send(world, content, headers={"Content-Type": content_type})
    if stored is None:
        assert_row(answer, "400.bad-json")
        assert world.stored() == "before"
    else:
        assert answer.status_code == 200
        assert world.stored() == stored


def _escape_all(text: str) -> str:
    """Every character of a JSON string written as \\u escapes (astral ones as a surrogate pair)."""
    units = text.encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))


def _spellings(value: Any) -> dict[str, tuple[Any, dict[str, str]]]:
    """One update (the value, beside an unknown member) spelled in every way point 15 names: (content, headers)."""
    plain = {"note": "n/a", "userData": value}
    text = json.dumps(value, ensure_ascii=False)
    escaped = f'"{_escape_all(value)}"' if isinstance(value, str) else text
    sent = json.dumps(plain).encode()
    usual = {"Ocp-Apim-Subscription-Key": KEY, "Content-Type": "application/json"}
    return {
        "plain": (json.dumps(plain, ensure_ascii=False).encode(), usual),
        "pretty-crlf-tabs": (json.dumps(plain, indent="\t", ensure_ascii=False).replace("\n", "\r\n").encode(), usual),
        "members-reordered-solidus": (f'{{ "userData" : {text} , "note" : "n\\/a" }}'.encode(), usual),
        "escape-non-ascii": (json.dumps(plain, ensure_ascii=True).encode(), usual),
        "escape-all-and-names": (f'{{"{_escape_all("note")}": "n/a", "{_escape_all("userData")}": {escaped}}}'
                                 .encode(), usual),
        "header-names-lower": (sent, {k.lower(): v for k, v in usual.items()}),
        "header-names-upper": (sent, {k.upper(): v for k, v in usual.items()}),
        "chunked": (iter([sent[:7], sent[7:]]), usual),
    }


@pytest.mark.parametrize(("value", "row"), [
    ("café ☕ 😀 𝔘 a/b </script> back\\slash \"q\"", None),
    ("x" * 990, None),
    ("é" * 1025, "400.userdata-too-long"),
    (1024, "400.bad-json"),
], ids=["non-ascii-astral-solidus", "ascii-near-limit", "over-limit", "non-string"])
def test_point_15_the_same_request_spelled_differently_gets_the_same_answer(world: World, value: Any,
                                                                           row: str | None) -> None:
    for name, (content, headers) in _spellings(value).items():
        assert world.patch({"userData": "before"}).status_code == 200
        request = httpx.Request("PATCH", API + world.face_path(), headers=headers, content=content)
        if name == "chunked":
            assert request.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in request.headers
        answer = world.service.handle(request)
        if row is None:
            assert answer.status_code == 200, (name, answer.text)
            assert world.stored() == value, name
        else:
            assert_row(answer, row)
            assert world.stored() == "before", name


def test_point_15_member_names_are_case_sensitive(world: World) -> None:
    assert world.patch({"userData": "before"}).status_code == 200
    assert world.patch({"UserData": "x", "USERDATA": "y"}).status_code == 200
    assert world.stored() is None  # only unknown members: as {}


@pytest.mark.parametrize("before", ["same-again", "over-empty", "over-null", "over-long", "after-bad-json",
                                    "after-too-long", "after-conflict", "after-401"])
@pytest.mark.parametrize("value", ["v", "", "é" * 512])
def test_point_16_history_does_not_matter(world: World, before: str, value: str) -> None:
    setup = {
        "same-again": lambda: world.patch({"userData": value}).status_code == 200,
        "over-empty": lambda: world.patch({"userData": ""}).status_code == 200,
        "over-null": lambda: world.patch({"userData": None}).status_code == 200,
        "over-long": lambda: world.patch({"userData": "x" * LIMIT}).status_code == 200,
        "after-bad-json": lambda: world.patch(content=b"{", headers={"Content-Type": "application/json"})
        .status_code == 400,
        "after-too-long": lambda: world.patch({"userData": "x" * (LIMIT + 1)}).status_code == 400,
        "after-conflict": lambda: (world.service.force("concurrent"),
                                   world.patch({"userData": value}).status_code == 409)[1],
        "after-401": lambda: send(world, b'{"userData": "k"}', key="wrong").status_code == 401,
    }
    assert setup[before]()
    assert world.patch({"userData": value}).status_code == 200
    assert world.stored() == value


GOOD_BODY = b'{"userData": "x"}'
CREDENTIALS = {
    "bearer-token-the-key": {"headers": {"Authorization": f"Bearer {KEY}"}},
    "bearer-token-other": {"headers": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."}},
    "basic-auth": {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
    "key-in-authorization": {"headers": {"Authorization": KEY}},
    "query-key-wrong": {"params": {"subscription-key": "wrong"}},
    "query-key-empty": {"params": {"subscription-key": ""}},
    "key-cookie": {"headers": {"Cookie": f"Ocp-Apim-Subscription-Key={KEY}"}},
    "empty-key-header": {"key": ""},
    "blank-key-header": {"key": " "},
    "wrong-key-and-bearer": {"key": "wrong", "headers": {"Authorization": f"Bearer {KEY}"}},
    "wrong-key-and-query-key": {"key": "wrong", "params": {"subscription-key": KEY}},
    "key-header-twice": {"raw": [("Ocp-Apim-Subscription-Key", KEY), ("Ocp-Apim-Subscription-Key", KEY)]},
}


@pytest.mark.parametrize("shape", ["valid-update", "too-long", "not-json", "malformed-group"])
@pytest.mark.parametrize("carried", CREDENTIALS.values(), ids=CREDENTIALS.keys())
def test_point_17_without_the_valid_key_header_every_request_is_401(world: World, carried: dict[str, Any],
                                                                    shape: str) -> None:
    content = {"too-long": json.dumps({"userData": "x" * (LIMIT + 1)}).encode(), "not-json": b'{"userData": '}
    path = world.face_path(group="bad!group") if shape == "malformed-group" else world.face_path()
    headers = [("Content-Type", "application/json"), *carried.get("raw", [])]
    if "key" in carried:
        headers.append(("Ocp-Apim-Subscription-Key", carried["key"]))
    headers.extend(carried.get("headers", {}).items())
    request = httpx.Request("PATCH", API + path, headers=headers, params=carried.get("params"),
                            content=content.get(shape, GOOD_BODY))
    assert_row(world.service.handle(request), "401.invalid-key")
    assert world.stored() is None


def test_point_17_the_valid_key_header_passes_whatever_else_comes_with_it(world: World) -> None:
    answer = send(world, GOOD_BODY, params={"subscription-key": "wrong"},
                  headers={"Content-Type": "application/json", "Authorization": "Bearer nonsense", "Cookie": "a=b"})
    assert answer.status_code == 200
    assert world.stored() == "x"


def _nested(depth: int, *, objects: bool) -> bytes:
    return (b'{"a":' * depth + b"1" + b"}" * depth) if objects else (b"[" * depth + b"]" * depth)


EDGES = {
    "depth-10000-arrays": _nested(10_000, objects=False),
    "depth-10000-objects": _nested(10_000, objects=True),
    "depth-30000-arrays": _nested(30_000, objects=False),
    "number-1e400": b"1e400",
    "number-minus-1e400": b"-1e400",
    "number-1e-400": b"1e-400",
    "number-2-pow-64": str(2**64).encode(),
    "number-600-digits": b"9" * 600,
    "number-5000-digits": b"9" * 5000,  # past Python's 4300-digit int limit
    "number-60000-digits": b"-" + b"1" * 60_000,
    "number-5000-digit-fraction": b"0." + b"3" * 5000 + b"e-99999",
    "string-60k": b'"' + b"s" * 60_000 + b'"',
}


@pytest.mark.parametrize("unknown", EDGES.values(), ids=EDGES.keys())
def test_point_18_an_unknown_member_of_any_depth_or_size_is_ignored(world: World, unknown: bytes) -> None:
    body = b'{"note": ' + unknown + b', "userData": "edge"}'
    assert len(body) <= 64 << 10
    answer = send(world, body)
    assert answer.status_code == 200, answer.text
    assert world.stored() == "edge"


def test_point_18_many_or_long_member_names_and_duplicates(world: World) -> None:
    many = "{" + ",".join(f'"m{i}": {i}' for i in range(10_000)) + ', "userData": "many"}'
    assert send(world, many.encode()).status_code == 200 and world.stored() == "many"
    long_name = '{"' + "n" * 60 * 1024 + '": 1, "userData": "long"}'
    assert send(world, long_name.encode()).status_code == 200 and world.stored() == "long"
    assert send(world, b'{"userData": "first", "userData": "last"}').status_code == 200
    assert world.stored() == "last"  # the reference reads duplicates last-wins
    assert send(world, b'{"userData": "first", "userData": 1}').status_code == 400  # the last is the one read


@pytest.mark.parametrize("number", [b"18446744073709551616", b"1e400", b"9" * 5000, b"1.0"])
def test_point_18_a_number_as_user_data_is_bad_argument_whatever_its_size(world: World, number: bytes) -> None:
    assert_row(send(world, b'{"userData": ' + number + b"}"), "400.bad-json")


def test_point_18_the_deepest_body_within_64_kib_never_crashes(world: World) -> None:
    for body in (b"[" * 65_536, b"{" * 65_536, b'{"a":' * 13_107, b"[" * 32_768 + b"]" * 32_768):
        assert_row(send(world, body), "400.bad-json")  # unterminated, or not an object


def test_x_isolation_an_update_changes_only_its_own_face(world: World) -> None:
    f2, f3 = world.face_path(person=world.p2, face=world.f2), world.face_path(group=world.g2, person=world.p3,
                                                                              face=world.f3)
    assert world.patch({"userData": "two"}, path=f2).status_code == 200
    assert world.patch({"userData": "three"}, path=f3).status_code == 200
    for body in ({"userData": "one"}, {"userData": "x" * (LIMIT + 1)}, {}, {"userData": None}):
        world.patch(body)
        assert world.client.get(f2).json()["userData"] == "two"
        assert world.client.get(f3).json()["userData"] == "three"


def test_x_isolation_a_training_group_leaves_the_other_groups_alone(world: World) -> None:
    assert world.client.post(f"/persongroups/{world.g1}/train").status_code == 202
    f3 = world.face_path(group=world.g2, person=world.p3, face=world.f3)
    assert world.patch({"userData": "free"}, path=f3).status_code == 200
    assert world.client.get(f"/persongroups/{world.g2}/training").json()["status"] == "notstarted"
    assert_row(world.patch({"userData": "blocked"}), "409.training")


def test_x_isolation_a_write_in_flight_leaves_other_persons_faces_alone() -> None:
    world = World(ReferenceConfig(seed=7, write_hold_seconds=0.3))
    started = threading.Event()
    slow: list[int] = []

    def hold_f1() -> None:
        started.set()
        slow.append(world.patch({"userData": "slow"}).status_code)

    thread = threading.Thread(target=hold_f1)
    thread.start()
    started.wait()
    time.sleep(0.05)  # the first write now holds f1's lock
    others = [world.face_path(person=world.p2, face=world.f2),
              world.face_path(group=world.g2, person=world.p3, face=world.f3)]
    assert [world.patch({"userData": "other"}, path=p).status_code for p in others] == [200, 200]
    thread.join()
    assert slow == [200]
    assert world.stored() == "slow"


def test_x_isolation_an_error_answered_changes_nothing_for_the_next_request(world: World) -> None:
    f2 = world.face_path(person=world.p2, face=world.f2)
    for error in (b"{", b'{"userData": 1}', json.dumps({"userData": "x" * (LIMIT + 1)}).encode()):
        assert send(world, error).status_code == 400
        assert send(world, b'{"userData": "ok"}', path=f2).status_code == 200
        assert send(world, b'{"userData": "ok"}').status_code == 200


# -- the reader of the reference, against RFC 8259 ------------------------------------------------

READER_CASES = [
    "{}", "[]", " {\t}\r\n", '{"a":1}', '{"a":[1,2,{"b":null}],"c":true,"d":false}', '"x"', "1", "-0", "01", "1.",
    ".5", "1e5", "1E+5", "-", "+1", "tru", "true ", "nulll", "[1,]", '{"a":1,}', "{,}", "[,1]", '{"a"}', '{"a":}',
    "{a:1}", "{'a':1}", '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud83d"', '"\\ude00\\ud83d"', '"\\x"', '"\x1f"',
    '"\x7f"', '"a\\/b"', "[NaN]", "[Infinity]", "[-Infinity]", '"\\u12"', '"\\u12G4"', '{"a":1}{}', "\ufeff{}",
    "\u00a0{}", "[1 2]", '{"a" 1}', '{"a":1 "b":2}', "[[[]]]", "[[]", "[]]", '""', '"', '"\\"', '"\\\\"', "1e",
    "2.5e-3", '{"a":1,"a":2}', "\u0661", '{"\\u0075serData":"x"}', '"\\uDBFF\\uDFFF"', '"\\uD800\\u0041"', "",
    " ", '"\\\\u0041"', '"\\\\\\u0041"',
]


@pytest.mark.parametrize("text", READER_CASES)
def test_the_reader_reads_json_as_python_json_does_save_numbers(text: str) -> None:
    from face_conformance.reference.jsontext import JsonError, JsonNumber, JsonReader

    def plain(value: Any) -> Any:
        if isinstance(value, JsonNumber):
            return ("number", value.text)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return [plain(v) for v in value] if isinstance(value, list) else value

    def constant(name: str) -> Any:
        raise ValueError(name)

    try:
        expected: Any = json.loads(text, parse_constant=constant, parse_int=lambda s: ("number", s),
                                   parse_float=lambda s: ("number", s))
    except ValueError:
        expected = ValueError
    try:
        got: Any = plain(JsonReader().read(text))
    except JsonError:
        got = ValueError
    assert got == expected
