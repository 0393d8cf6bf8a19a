"""The official `azure-ai-vision-face` SDK (1.0.0b2) as a client of the reference, on the large collections.

A client nobody here wrote: its `FaceAdministrationClient` (`.large_person_group`, `.large_face_list`)
drives the reference on loopback with an `AzureKeyCredential`, and each test checks what went over
the wire and what the SDK made of the answers: create, create person, add face (from a URL, and
from image bytes), update face (userData), get face, train (the SDK's long-running-operation
poller) and training status, delete, and the errors as the SDK raises them.

The SDK's default API version is `v1.2-preview.1` (a path `/face/v1.2-preview.1/...`); the clients
here pass `api_version="v1.2"`, the generally available version docs/contract.md ("The family",
API v1.2) describes. Add Face from a URL sends `{"url": ...}`; the reference never fetches it (it
only checks the URL is a non-empty string), and the URL is on `.invalid`, so nothing leaves the host.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

face_sdk = pytest.importorskip("azure.ai.vision.face")
from azure.core.credentials import AzureKeyCredential  # noqa: E402
from azure.core.exceptions import (  # noqa: E402
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.core.pipeline.transport import RequestsTransport  # noqa: E402
from azure.core.polling import LROPoller  # noqa: E402

from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService  # noqa: E402

KEY = "sdk-family-key-0123456789abcdef"
API_VERSION = "v1.2"
SDK_DEFAULT_VERSION = "v1.2-preview.1"
FACE_URL = "https://example.invalid/one-face.jpg"
IMAGE = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00not really a face\xff\xd9"  # bytes; the reference detects nothing
TRAINING_S = 0.5
POLL_S = 0.05  # the poller's wait between polls when the answer has no Retry-After
UNKNOWN = "00000000-0000-4000-8000-000000000000"
KINDS = ("large_person_group", "large_face_list")
#: The path segment of each kind, and the 404 code of a missing collection (docs/contract.md, The family).
SEGMENT = {"large_person_group": "largepersongroups", "large_face_list": "largefacelists"}
NOT_FOUND = {"large_person_group": "LargePersonGroupNotFound", "large_face_list": "LargeFaceListNotFound"}
NOT_TRAINED = {"large_person_group": "LargePersonGroupNotTrained", "large_face_list": "LargeFaceListNotTrained"}
TRAINING_NOT_FINISHED = {"large_person_group": "LargePersonGroupTrainingNotFinished",
                         "large_face_list": "LargeFaceListTrainingNotFinished"}


@dataclass(frozen=True)
class Seen:
    """One request as the reference received it, and its answer."""

    method: str
    path: str  # raw, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int
    answer_headers: dict[str, str]
    answer: bytes


class RecordingReference(ReferenceService):
    """The reference, keeping every request and answer (headers and bodies too)."""

    def __init__(self, config: ReferenceConfig) -> None:
        super().__init__(config)
        self.seen: list[Seen] = []
        self._seen_lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = super().handle(request)
        raw = request.url.raw_path.decode("ascii")
        seen = Seen(request.method, raw.split("?")[0], parse_qs(urlsplit(raw).query),
                    {k.lower(): v for k, v in request.headers.items()}, request.content, response.status_code,
                    {k.lower(): v for k, v in response.headers.items()}, response.content)
        with self._seen_lock:
            self.seen.append(seen)
        return response

    def last(self, method: str, path: str) -> Seen:
        """The last request of this method to this path."""
        with self._seen_lock:
            return next(s for s in reversed(self.seen) if (s.method, s.path) == (method, path))

    def since(self, start: int) -> list[Seen]:
        with self._seen_lock:
            return self.seen[start:]


@dataclass(frozen=True)
class Made:
    """A face the SDK made: its collection (and person, for a large person group)."""

    kind: str
    collection: str
    person: str | None
    face: str
    version: str = API_VERSION

    @property
    def args(self) -> tuple[str, ...]:
        """The positional arguments the SDK's face calls take: (group, person, face) or (list, face)."""
        return tuple(a for a in (self.collection, self.person, self.face) if a is not None)

    @property
    def collection_path(self) -> str:
        return f"/face/{self.version}/{SEGMENT[self.kind]}/{self.collection}"

    @property
    def faces_path(self) -> str:
        person = f"/persons/{self.person}" if self.person is not None else ""
        return f"{self.collection_path}{person}/persistedfaces"

    @property
    def face_path(self) -> str:
        return f"{self.faces_path}/{self.face}"


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(RecordingReference(ReferenceConfig(key=KEY, training_seconds=TRAINING_S))) as running:
        yield running


@pytest.fixture(scope="module")
def reference(server: BackgroundServer) -> RecordingReference:
    assert isinstance(server.service, RecordingReference)
    return server.service


def admin_client(base_url: str, key: str = KEY, **kw: Any) -> Any:
    """The SDK's FaceAdministrationClient for an endpoint, as its README builds it (key credential).

    Loopback only: no proxy of the environment; no retries, so that an answer reaches the test as sent.
    """
    kw.setdefault("api_version", API_VERSION)
    transport = RequestsTransport(use_env_settings=False, connection_timeout=10, read_timeout=10)
    return face_sdk.FaceAdministrationClient(base_url, AzureKeyCredential(key), transport=transport,
                                             polling_interval=POLL_S, retry_total=0, **kw)


@pytest.fixture(scope="module")
def admin(server: BackgroundServer) -> Iterator[Any]:
    with admin_client(server.base_url) as client:
        yield client


def make(admin: Any, kind: str, collection: str, user_data: str | None = "at add time",
         version: str = API_VERSION) -> Made:
    """Create the collection (and a person), then add a face from a URL: all through the SDK."""
    ops = getattr(admin, kind)
    assert ops.create(collection, name=f"SDK family {kind}", user_data="made by azure-ai-vision-face") is None
    person = None
    if kind == "large_person_group":
        person = ops.create_person(collection, name="sdk person", user_data="a person").person_id
    added = ops.add_face_from_url(*(a for a in (collection, person) if a is not None), url=FACE_URL,
                                  user_data=user_data)
    return Made(kind, collection, person, added.persisted_face_id, version)


@pytest.fixture(scope="module")
def made(admin: Any) -> dict[str, Made]:
    """One face per kind, shared by the tests that do not train or delete."""
    return {kind: make(admin, kind, f"sdk-family-{SEGMENT[kind]}") for kind in KINDS}


@contextmanager
def switched(reference: RecordingReference, **changes: Any) -> Iterator[None]:
    """Switches of the reference's config for a block (it reads its config on every request)."""
    before = {name: getattr(reference.config, name) for name in changes}
    for name, value in changes.items():
        setattr(reference.config, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(reference.config, name, value)


def error_code(error: HttpResponseError) -> str | None:
    """The `error.code` of an error answer, as azure-core parsed it."""
    return error.error.code if error.error is not None else None


@pytest.mark.parametrize("kind", KINDS)
def test_set_up_calls_as_the_sdk_sends_them(reference: RecordingReference, made: dict[str, Made], kind: str) -> None:
    face = made[kind]
    created = reference.last("PUT", face.collection_path)
    assert json.loads(created.body) == {"name": f"SDK family {kind}", "userData": "made by azure-ai-vision-face"}
    assert created.headers["content-type"] == "application/json"
    assert (created.status, created.answer) == (200, b"")
    if face.person is not None:
        person = reference.last("POST", f"{face.collection_path}/persons")
        assert json.loads(person.body) == {"name": "sdk person", "userData": "a person"}
        assert person.status == 200 and json.loads(person.answer) == {"personId": face.person}
    added = reference.last("POST", face.faces_path)
    assert json.loads(added.body) == {"url": FACE_URL}  # the URL goes in the body; userData in the query
    assert added.query == {"userData": ["at add time"]}
    assert added.headers["content-type"] == "application/json"
    assert added.status == 200 and json.loads(added.answer) == {"persistedFaceId": face.face}
    for seen in (created, added):
        assert seen.headers["ocp-apim-subscription-key"] == KEY
        assert "authorization" not in seen.headers


@pytest.mark.parametrize("kind", KINDS)
def test_add_face_from_image_bytes(admin: Any, reference: RecordingReference, made: dict[str, Made],
                                   kind: str) -> None:
    face = made[kind]
    ops = getattr(admin, kind)
    owner = face.args[:-1]
    added = ops.add_face(*owner, IMAGE, user_data="from bytes")
    sent = reference.last("POST", face.faces_path)
    assert sent.headers["content-type"] == "application/octet-stream"
    assert sent.body == IMAGE and sent.query == {"userData": ["from bytes"]}
    assert sent.status == 200 and json.loads(sent.answer) == {"persistedFaceId": added.persisted_face_id}
    got = ops.get_face(*owner, added.persisted_face_id)
    assert (got.persisted_face_id, got.user_data) == (added.persisted_face_id, "from bytes")


@pytest.mark.parametrize("kind", KINDS)
def test_get_face_reads_the_user_data_of_add_face(admin: Any, reference: RecordingReference, made: dict[str, Made],
                                                  kind: str) -> None:
    face = made[kind]
    ops = getattr(admin, kind)
    fresh = make(admin, kind, f"sdk-family-get-{SEGMENT[kind]}", user_data="given at add time")
    got = ops.get_face(*fresh.args)
    assert (got.persisted_face_id, got.user_data) == (fresh.face, "given at add time")
    sent = reference.last("GET", fresh.face_path)
    assert sent.status == 200 and sent.answer_headers["content-type"].startswith("application/json")
    assert face.face != fresh.face


@pytest.mark.parametrize("kind", KINDS)
def test_update_face_round_trips_through_the_sdk(admin: Any, reference: RecordingReference, made: dict[str, Made],
                                                 kind: str) -> None:
    face = made[kind]
    ops = getattr(admin, kind)
    value = "  héllo, 界 😀 \t"
    assert ops.update_face(*face.args, user_data=value) is None
    sent = reference.last("PATCH", face.face_path)
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["ocp-apim-subscription-key"] == KEY
    assert sent.body.isascii() and "\\u" in sent.body.decode()  # non-ASCII sent as \uXXXX escapes
    assert json.loads(sent.body) == {"userData": value}
    assert (sent.status, sent.answer) == (200, b"")  # 200 with an empty body: the SDK takes exactly 200
    got = ops.get_face(*face.args)
    assert (got.persisted_face_id, got.user_data) == (face.face, value)
    assert reference.last("GET", face.face_path).status == 200


@pytest.mark.parametrize("kind", KINDS)
def test_update_face_at_the_limit(admin: Any, reference: RecordingReference, made: dict[str, Made], kind: str) -> None:
    """1024 characters pass (the SDK checks nothing itself: 1025 reaches the server and gets 400)."""
    face = made[kind]
    ops = getattr(admin, kind)
    ops.update_face(*face.args, user_data="x" * 1024)
    assert ops.get_face(*face.args).user_data == "x" * 1024
    with pytest.raises(HttpResponseError) as caught:
        ops.update_face(*face.args, user_data="y" * 1025)
    assert caught.value.status_code == 400 and error_code(caught.value) == "BadArgument"
    assert reference.last("PATCH", face.face_path).status == 400
    assert ops.get_face(*face.args).user_data == "x" * 1024


@pytest.mark.parametrize("kind", KINDS)
def test_update_without_user_data_sends_an_empty_object(admin: Any, reference: RecordingReference,
                                                        made: dict[str, Made], kind: str) -> None:
    """With no userData the SDK sends `{}`: accepted (docs/contract.md point 2); what it stores is open."""
    face = made[kind]
    ops = getattr(admin, kind)
    assert ops.update_face(*face.args) is None
    sent = reference.last("PATCH", face.face_path)
    assert (sent.body, sent.status) == (b"{}", 200)


WHERE = ("collection", "collection-invalid", "person", "person-invalid", "face", "face-invalid")


@pytest.mark.parametrize(("kind", "where"), [(k, w) for k in KINDS for w in WHERE
                                             if k == "large_person_group" or not w.startswith("person")])
def test_errors_surface_as_the_sdk_raises_them(admin: Any, made: dict[str, Made], kind: str, where: str) -> None:
    """404s as ResourceNotFoundError with the answer's code; a large face list has no person to miss."""
    face = made[kind]
    ops = getattr(admin, kind)
    ops.update_face(*face.args, user_data="kept")
    target = {"collection": "sdk-family-missing", "collection-invalid": "Not!Valid", "person": UNKNOWN,
              "person-invalid": "not-a-guid", "face": UNKNOWN, "face-invalid": "not-a-guid"}[where]
    args = list(face.args)
    args[{"collection": 0, "person": 1, "face": -1}[where.split("-")[0]]] = target
    code = {"collection": NOT_FOUND[kind], "person": "PersonNotFound", "face": "PersistedFaceNotFound"}[
        where.split("-")[0]]
    with pytest.raises(ResourceNotFoundError) as caught:
        ops.update_face(*args, user_data="never stored")
    assert caught.value.status_code == 404
    assert error_code(caught.value) == code and caught.value.error.message
    assert ops.get_face(*face.args).user_data == "kept"


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_key_is_client_authentication_error(server: BackgroundServer, made: dict[str, Made], kind: str) -> None:
    face = made[kind]
    with admin_client(server.base_url, key="wrong-key") as stranger, \
            pytest.raises(ClientAuthenticationError) as caught:
        getattr(stranger, kind).update_face(*face.args, user_data="x")
    assert caught.value.status_code == 401
    assert error_code(caught.value) in ("Unspecified", "401")  # v1.2 may answer "401" (docs/contract.md)


def wait_for_training(ops: Any, collection: str) -> Any:
    """Training Status, read until it is no longer `running` (or the deadline passes)."""
    deadline = time.monotonic() + 10 * TRAINING_S + 5
    status = ops.get_training_status(collection)
    while status.status.lower() == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = ops.get_training_status(collection)
    return status


@pytest.mark.parametrize("operation_location", [True, False], ids=["operation-location", "no-operation-location"])
@pytest.mark.parametrize("kind", KINDS)
def test_train_poller_training_status_and_delete(server: BackgroundServer, admin: Any, reference: RecordingReference,
                                                 kind: str, operation_location: bool) -> None:
    """create, add face, Training Status before Train, train (the SDK's poller), Training Status, an update
    while training (200: large collections take writes while they train), delete.

    Train's 202 may carry `operation-Location` on v1.2 (docs/contract.md); the reference sends the
    absolute URL of the collection's Training Status (switch `v1_2_operation_location`, on by default).
    With it, azure-core's poller GETs that URL until `status` is finished; without it the poller has
    nothing to follow and is done at once (azure-core's StatusCheckPolling), training still running.
    """
    ops = getattr(admin, kind)
    face = make(admin, kind, f"sdk-family-train-{SEGMENT[kind]}-{'ol' if operation_location else 'no'}")
    status_path = f"{face.collection_path}/training"
    with pytest.raises(ResourceNotFoundError) as caught:
        ops.get_training_status(face.collection)
    assert error_code(caught.value) == NOT_TRAINED[kind]  # before any Train (docs/contract.md, The family)

    with switched(reference, v1_2_operation_location=operation_location):
        start = len(reference.seen)
        poller = ops.begin_train(face.collection)
        assert isinstance(poller, LROPoller)
        train = reference.last("POST", f"{face.collection_path}/train")
        assert (train.status, train.answer, train.body) == (202, b"", b"")  # the SDK takes 202 only
        if operation_location:
            assert train.answer_headers["operation-location"] == server.base_url + status_path
        else:
            assert "operation-location" not in train.answer_headers
            assert poller.done() and poller.status().lower() == "succeeded"  # done before training is
        running = ops.get_training_status(face.collection)
        assert running.status == "running" and running.created_date_time is not None
        assert running.last_successful_training_date_time is None
        ops.update_face(*face.args, user_data="while training")  # 200 by default on a large collection
        assert reference.last("PATCH", face.face_path).status == 200
        assert poller.result(timeout=10 * TRAINING_S + 10) is None
        assert poller.done() and poller.status().lower() == "succeeded"
        own = 1  # the test's own Training Status GET above
        polls = [s for s in reference.since(start) if (s.method, s.path) == ("GET", status_path)]
        if operation_location:
            assert len(polls) > own and all(s.status == 200 for s in polls)
            assert json.loads(polls[-1].answer)["status"] == "succeeded"
            # the poller waited for training: it is over the moment result() returns
            assert ops.get_training_status(face.collection).status == "succeeded"
        else:
            assert len(polls) == own  # the poller sent nothing

    done = wait_for_training(ops, face.collection)
    assert done.status == "succeeded"
    assert done.created_date_time is not None and done.last_action_date_time is not None
    assert done.last_successful_training_date_time is not None  # required by v1.2's TrainingResult
    assert reference.last("GET", status_path).status == 200
    assert ops.get_face(*face.args).user_data == "while training"
    ops.update_face(*face.args, user_data="after training")
    assert ops.get_face(*face.args).user_data == "after training"

    assert ops.delete(face.collection) is None
    deleted = reference.last("DELETE", face.collection_path)
    assert (deleted.status, deleted.answer) == (200, b"")
    with pytest.raises(ResourceNotFoundError) as caught:
        ops.get_face(*face.args)
    assert error_code(caught.value) == NOT_FOUND[kind]
    with pytest.raises(ResourceNotFoundError) as caught:
        ops.update_face(*face.args, user_data="after delete")
    assert error_code(caught.value) == NOT_FOUND[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_update_while_training_when_the_reference_answers_409(admin: Any, reference: RecordingReference,
                                                              kind: str) -> None:
    """The other reading docs/contract.md allows (switch `large_training_conflict`): the SDK raises
    ResourceExistsError with the collection's TrainingNotFinished code, and nothing is stored."""
    ops = getattr(admin, kind)
    face = make(admin, kind, f"sdk-family-conflict-{SEGMENT[kind]}", user_data="before")
    with switched(reference, large_training_conflict=True):
        poller = ops.begin_train(face.collection)
        with pytest.raises(ResourceExistsError) as caught:
            ops.update_face(*face.args, user_data="while training")
        assert caught.value.status_code == 409
        assert error_code(caught.value) == TRAINING_NOT_FINISHED[kind] and caught.value.error.message
        poller.result(timeout=10 * TRAINING_S + 10)
        assert wait_for_training(ops, face.collection).status == "succeeded"
        assert ops.get_face(*face.args).user_data == "before"
        ops.update_face(*face.args, user_data="after training")
    assert ops.get_face(*face.args).user_data == "after training"
    ops.delete(face.collection)


@pytest.mark.parametrize("kind", KINDS)
def test_the_api_version_is_a_path_segment(server: BackgroundServer, reference: RecordingReference, kind: str) -> None:
    """`{endpoint}/face/{apiVersion}/...`. The SDK's default is `v1.2-preview.1`, pinned as the wire
    shows it (whatever the reference answers there); `api_version="v1.0"` reaches the reference's v1.0."""
    start = len(reference.seen)
    nowhere = ["sdk-family-nowhere"] + [UNKNOWN] * (2 if kind == "large_person_group" else 1)
    with face_sdk.FaceAdministrationClient(server.base_url, AzureKeyCredential(KEY),
                                           transport=RequestsTransport(use_env_settings=False),
                                           retry_total=0) as default, pytest.raises(HttpResponseError):
        getattr(default, kind).get_face(*nowhere)
    assert reference.since(start)[-1].path.startswith(f"/face/{SDK_DEFAULT_VERSION}/{SEGMENT[kind]}/{nowhere[0]}/")

    with admin_client(server.base_url, api_version="v1.0") as old:
        ops = getattr(old, kind)
        face = make(old, kind, f"sdk-family-v10-{SEGMENT[kind]}", version="v1.0")
        assert face.face_path.startswith(f"/face/v1.0/{SEGMENT[kind]}/")
        ops.update_face(*face.args, user_data="on v1.0")
        assert reference.last("PATCH", face.face_path).status == 200
        assert ops.get_face(*face.args).user_data == "on v1.0"
        ops.delete(face.collection)
