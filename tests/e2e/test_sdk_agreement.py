"""The official Python SDK (azure-cognitiveservices-vision-face 0.6.1) as a client of the reference.

If the reference and the SDK that real users call Azure with disagree, one of them is off the page.
Each test drives the reference on loopback with the SDK and checks what went over the wire. Where
they read the page differently but both within docs/contract.md, the test says so and pins it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

face_sdk = pytest.importorskip("azure.cognitiveservices.vision.face")
msrest_auth = pytest.importorskip("msrest.authentication")
msrest_exceptions = pytest.importorskip("msrest.exceptions")
from azure.cognitiveservices.vision.face.models import APIErrorException  # noqa: E402

from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService  # noqa: E402

KEY = "sdk-agreement-key-0123456789abcdef"
FACE_URL = "https://example.invalid/one-face.jpg"
TRAINING_S = 0.5
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Seen:
    """One request as the reference received it, and its answer."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    answer: bytes


class RecordingReference(ReferenceService):
    """The reference, keeping every request and answer (headers and bodies too)."""

    def __init__(self, config: ReferenceConfig) -> None:
        super().__init__(config)
        self.seen: list[Seen] = []
        self._seen_lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = super().handle(request)
        seen = Seen(request.method, request.url.raw_path.decode("ascii").split("?")[0],
                    {k.lower(): v for k, v in request.headers.items()}, request.content, response.status_code,
                    response.content)
        with self._seen_lock:
            self.seen.append(seen)
        return response

    def last(self, method: str) -> Seen:
        with self._seen_lock:
            return next(s for s in reversed(self.seen) if s.method == method)


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(RecordingReference(ReferenceConfig(key=KEY, training_seconds=TRAINING_S))) as running:
        yield running


@pytest.fixture(scope="module")
def reference(server: BackgroundServer) -> RecordingReference:
    assert isinstance(server.service, RecordingReference)
    return server.service


def sdk_client(base_url: str, key: str = KEY) -> Any:
    """The SDK's FaceClient for an endpoint, as its quickstarts build it."""
    client = face_sdk.FaceClient(base_url, msrest_auth.CognitiveServicesCredentials(key))
    client.config.proxies.use_env_settings = False  # loopback: never through a proxy of the environment
    client.config.connection.timeout = 10
    return client


@pytest.fixture(scope="module")
def sdk(server: BackgroundServer) -> Any:
    return sdk_client(server.base_url)


@pytest.fixture(scope="module")
def face(sdk: Any) -> tuple[str, str, str]:
    """(group, person, face) made with the SDK: Create Person Group, Create Person, Add Face from URL."""
    assert sdk.person_group.create("sdk-agreement", name="SDK agreement", user_data="made by the SDK") is None
    person = sdk.person_group_person.create("sdk-agreement", name="sdk person").person_id
    added = sdk.person_group_person.add_face_from_url("sdk-agreement", person, FACE_URL, user_data="at add time")
    return "sdk-agreement", person, added.persisted_face_id


def test_add_face_from_url_as_the_sdk_sends_it(reference: RecordingReference, face: tuple[str, str, str]) -> None:
    group, person, face_id = face
    added = reference.last("POST")
    assert added.path == f"/face/v1.0/persongroups/{group}/persons/{person}/persistedfaces"
    assert json.loads(added.body) == {"url": FACE_URL}
    assert added.status == 200 and json.loads(added.answer) == {"persistedFaceId": face_id}


def test_update_face_round_trips_through_the_sdk(sdk: Any, reference: RecordingReference,
                                                 face: tuple[str, str, str]) -> None:
    group, person, face_id = face
    value = "  héllo, 界 😀 \t"
    assert sdk.person_group_person.update_face(group, person, face_id, user_data=value) is None
    sent = reference.last("PATCH")
    # The SDK writes the path as Azure's REST spec does (lower-case `persistedfaces`; the page writes
    # `persistedFaces`): the reference routes literal segments case-insensitively, so both reach it.
    assert sent.path == f"/face/v1.0/persongroups/{group}/persons/{person}/persistedfaces/{face_id}"
    assert sent.headers["content-type"] == "application/json; charset=utf-8"  # parameters MUST be accepted
    assert sent.headers["ocp-apim-subscription-key"] == KEY
    assert sent.body.isascii() and "\\u" in sent.body.decode()  # non-ASCII sent as \uXXXX escapes
    assert json.loads(sent.body) == {"userData": value}
    assert (sent.status, sent.answer) == (200, b"")  # 200 with an empty body: the SDK expects exactly 200
    got = sdk.person_group_person.get_face(group, person, face_id)
    assert (got.persisted_face_id, got.user_data) == (face_id, value)


def test_update_without_user_data_sends_an_empty_object(sdk: Any, reference: RecordingReference,
                                                        face: tuple[str, str, str]) -> None:
    """The SDK sends `{}` when no userData is given: accepted (docs/contract.md point 2, SHOULD).

    What `{}` stores is open (reported as INFO by the suite); the reference clears userData.
    """
    group, person, face_id = face
    sdk.person_group_person.update_face(group, person, face_id, user_data="before")
    assert sdk.person_group_person.update_face(group, person, face_id) is None
    sent = reference.last("PATCH")
    assert (sent.body, sent.status) == (b"{}", 200)
    assert sdk.person_group_person.get_face(group, person, face_id).user_data is None


@pytest.mark.parametrize(("path", "status", "code"), [
    ("person", 404, "PersonNotFound"),
    ("person-invalid", 404, "PersonNotFound"),
    ("face", 404, "PersistedFaceNotFound"),
    ("face-invalid", 404, "PersistedFaceNotFound"),
    ("group", 404, "PersonGroupNotFound"),
])
def test_errors_surface_as_api_error_exception(sdk: Any, face: tuple[str, str, str], path: str, status: int,
                                               code: str) -> None:
    group, person, face_id = face
    target = {"person": (group, UNKNOWN, face_id), "person-invalid": (group, "not-a-guid", face_id),
              "face": (group, person, UNKNOWN), "face-invalid": (group, person, "not-a-guid"),
              "group": ("sdk-agreement-missing", person, face_id)}[path]
    with pytest.raises(APIErrorException) as caught:
        sdk.person_group_person.update_face(*target, user_data="never stored")
    assert caught.value.response.status_code == status
    assert caught.value.error.error.code == code
    assert caught.value.error.error.message
    assert sdk.person_group_person.get_face(group, person, face_id).user_data != "never stored"


def test_wrong_key_is_401_unspecified(server: BackgroundServer, face: tuple[str, str, str]) -> None:
    group, person, face_id = face
    with pytest.raises(APIErrorException) as caught:
        stranger = sdk_client(server.base_url, key="wrong-key")
        stranger.person_group_person.update_face(group, person, face_id, user_data="x")
    assert (caught.value.response.status_code, caught.value.error.error.code) == (401, "Unspecified")


def test_training_and_its_409(sdk: Any, reference: RecordingReference) -> None:
    group = "sdk-agreement-training"
    sdk.person_group.create(group, name="SDK training")
    person = sdk.person_group_person.create(group, name="p").person_id
    face_id = sdk.person_group_person.add_face_from_url(group, person, FACE_URL).persisted_face_id
    assert sdk.person_group.train(group) is None
    assert reference.last("POST").status == 202  # the SDK accepts 202 only
    status = sdk.person_group.get_training_status(group)
    assert status.status.value == "running" and status.created is not None
    with pytest.raises(APIErrorException) as caught:
        sdk.person_group_person.update_face(group, person, face_id, user_data="while training")
    assert (caught.value.response.status_code, caught.value.error.error.code) == (
        409, "PersonGroupTrainingNotFinished")
    deadline = time.monotonic() + 10 * TRAINING_S + 5
    while sdk.person_group.get_training_status(group).status.value == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sdk.person_group.get_training_status(group).status.value == "succeeded"
    sdk.person_group_person.update_face(group, person, face_id, user_data="after training")
    assert sdk.person_group_person.get_face(group, person, face_id).user_data == "after training"


def test_sdk_validates_size_and_group_id_before_sending(sdk: Any, reference: RecordingReference,
                                                        face: tuple[str, str, str]) -> None:
    group, person, face_id = face
    before = len(reference.seen)
    with pytest.raises(msrest_exceptions.ValidationError):
        sdk.person_group_person.update_face(group, person, face_id, user_data="x" * 1025)
    with pytest.raises(msrest_exceptions.ValidationError):
        sdk.person_group_person.update_face("Not!Valid", person, face_id, user_data="x")
    assert len(reference.seen) == before, "the SDK sent a request it had refused"
    sdk.person_group_person.update_face(group, person, face_id, user_data="x" * 1024)
    assert reference.last("PATCH").status == 200


def test_sdk_and_reference_read_1kb_differently_within_the_contract(
        sdk: Any, reference: RecordingReference, face: tuple[str, str, str]) -> None:
    """600 × 'é' is 600 characters (the SDK's and Azure's REST spec's maxLength 1024 let it through)
    but 1200 UTF-8 bytes (the reference's reading rejects it). docs/contract.md point 1 allows either
    answer between 1024 bytes and 1024 code points; an SDK user gets a 400 from the reference where
    Azure (which counts characters) would store it."""
    group, person, face_id = face
    with pytest.raises(APIErrorException) as caught:
        sdk.person_group_person.update_face(group, person, face_id, user_data="é" * 600)
    assert reference.last("PATCH").body.count(b"\\u00e9") == 600
    assert (caught.value.response.status_code, caught.value.error.error.code) == (400, "BadArgument")


def test_rate_limit_answer_reaches_the_sdk_without_a_code(sdk: Any, reference: RecordingReference,
                                                          face: tuple[str, str, str]) -> None:
    """The page's 429 body is `{"error": {"statusCode", "message"}}`: the SDK's error model has no
    statusCode, so `code` is None and only the message tells the wait; msrest does not retry."""
    group, person, face_id = face
    before = len(reference.seen)
    reference.force("rate-limit")
    with pytest.raises(APIErrorException) as caught:
        sdk.person_group_person.update_face(group, person, face_id, user_data="x")
    assert len(reference.seen) == before + 1
    assert caught.value.response.status_code == 429
    assert caught.value.error.error.code is None
    assert "Try again in" in caught.value.error.error.message
