"""The reference service: the Face calls of the Update Face family, answering as docs/contract.md says.

One service answers the three collections of the family (person groups, large person groups,
large face lists) under /face/v1.0 and /face/v1.2 at once; `family` holds what differs between
them (paths, codes, messages), and each request is answered as the collection and version its
path names (`answering`).

`ReferenceService.handle` turns one `httpx.Request` into one `httpx.Response`, so the same object
serves respx and `httpx.MockTransport` in process and, through `asgi.asgi_app`, uvicorn on a
socket. Every decision the contract leaves to a server is one small method, so that a deliberately
broken or differently-reading variant (the zoo) overrides a few lines and inherits the rest.

A check that rejects a request raises `Reject` with the answer; `handle` catches it, so a check
reads as one line (`self.fail("404.group-missing", group=group_id)`) wherever it sits.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, NoReturn
from urllib.parse import unquote

import httpx

from face_conformance.cases import catalogue
from face_conformance.reference import family
from face_conformance.reference.family import V1_2, Answer, Answering, Collection
from face_conformance.reference.jsontext import JsonError, JsonReader
from face_conformance.reference.model import Face, FaceModel, FaceOwner, Group, GuidSource, Person

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
#: How long a forced slow write holds the face's write lock (at least; the config's hold if longer).
FORCED_HOLD_SECONDS = 0.01
NAME_LIMIT = 128  # Create Person Group / Create Person, from the OpenAPI document
SUPPORT_USER_DATA_LIMIT = 16384  # userData of groups and persons, from the OpenAPI document
DEFAULT_TOP = 1000
#: The key header, as `httpx.Headers.raw` gives names (lower case).
KEY_HEADER = b"ocp-apim-subscription-key"
#: The charset parameters that name UTF-8, the one encoding of JSON text.
UTF8_CHARSETS = frozenset({"utf-8", "utf8"})
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class ReferenceConfig:
    """Switches of the reference service; the defaults give a quiet, conformant server.

    Large collections: an Update Face while a large person group or large face list trains gets
    200 by default (large collections take writes while they train); `large_training_conflict`
    makes it 409 LargePersonGroupTrainingNotFinished / LargeFaceListTrainingNotFinished instead.
    Both conform (docs/contract.md, "The family"). Person groups always answer 409
    PersonGroupTrainingNotFinished.

    API v1.2: requests under /face/v1.2 get v1.0's answers except for the shapes below, each a
    switch (requests under /face/v1.0 never take them). The defaults are what a real v1.2 service
    shows (Azure's current error-code reference, the v1.2 REST spec, recorded traffic):

    - `v1_2_code_401` (on): a 401's code is "401" (v1.0: "Unspecified"); the message is the page's.
    - `v1_2_code_429` (on): a 429 is `{"error":{"code":"429","message":...}}` (v1.0:
      `{"error":{"statusCode":429,...}}`); the message still names the wait.
    - `v1_2_error_code_header` (off): every error carries `x-ms-error-code` with its code (the
      status for a `statusCode` body). The spec declares it; no recorded answer carries it.
    - `v1_2_operation_location` (on): Train's 202 carries `operation-Location`, the absolute URL of
      the collection's Training Status (what the spec says it locates: a TrainingResult).
    - `v1_2_camel_case_status` (on): training status `notStarted` (v1.0: `notstarted`).

    Not switched: a v1.2 Training Status body also has `lastSuccessfulTrainingDateTime` (v1.2
    requires it), and a Bearer token is never a credential on either version (point 17).
    """

    key: str = "reference-key"
    #: How long a collection reports `running` after a Train call.
    training_seconds: float = 1.0
    #: How long an update holds the face's write lock; above 0, overlapping updates conflict.
    write_hold_seconds: float = 0.0
    #: Every Nth request (any call) gets one 429; the request after it passes.
    rate_limit_every: int | None = None
    #: Whether the 429s of `rate_limit_every` carry a `Retry-After` header.
    rate_limit_retry_after: bool = False
    #: The wait a 429 announces, in its message (and `Retry-After`).
    rate_limit_wait_seconds: int = 1
    #: From the Nth request on (1-based), every request gets 403 quota.
    quota_after: int | None = None
    #: Seed for the GUIDs handed out, so that runs repeat; None for uuid4.
    seed: int | None = None
    #: Whether an Update Face of a training large collection gets 409 (True) or 200 (False).
    large_training_conflict: bool = False
    #: v1.2 only: 401's code "401" rather than "Unspecified".
    v1_2_code_401: bool = True
    #: v1.2 only: 429 as `{"error":{"code":"429","message"}}` rather than the statusCode body.
    v1_2_code_429: bool = True
    #: v1.2 only: an `x-ms-error-code` header on every error answer.
    v1_2_error_code_header: bool = False
    #: v1.2 only: an `operation-Location` header on Train's 202.
    v1_2_operation_location: bool = True
    #: v1.2 only: training status `notStarted` rather than `notstarted`.
    v1_2_camel_case_status: bool = True

    def __post_init__(self) -> None:
        for name in ("rate_limit_every", "quota_after"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be 1 or more (or None to switch it off), got {value}")
        for name in ("training_seconds", "write_hold_seconds", "rate_limit_wait_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")


class Reject(Exception):
    """Raised by a check to end the request with `response`."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class LogEntry(NamedTuple):
    """One request the service answered."""

    time: float  # time.monotonic() when the request arrived
    method: str
    raw_path: str  # as sent, percent-encoding kept, without the query
    status: int


class ResolvedFace(NamedTuple):
    """A face found through its collection and person (None in a face list, which has no persons)."""

    group: Group
    person: Person | None
    face: Face

    @property
    def owner(self) -> FaceOwner:
        """What the face hangs off: its person, or the face list itself."""
        return self.person if self.person is not None else self.group


@dataclass(frozen=True)
class Route:
    """A path shape under /face/<version> and the service method answering each HTTP method on it.

    `fixed` are parameters the path does not hold but the method takes: a face list's routes pass
    `person_id=None`, so that one `update_face` (and every variant overriding it) serves all three
    collections.
    """

    pattern: tuple[str, ...]  # lower-case literal segments, or "{name}" for a parameter
    methods: Mapping[str, str]
    fixed: Mapping[str, str | None] = field(default_factory=dict)

    def match(self, segments: list[str]) -> dict[str, str | None] | None:
        """The parameters if the decoded segments fit the pattern (literals case-insensitively)."""
        if len(segments) != len(self.pattern):
            return None
        params: dict[str, str | None] = dict(self.fixed)
        for part, segment in zip(self.pattern, segments, strict=True):
            if part.startswith("{"):
                params[part[1:-1]] = segment
            elif segment.lower() != part:
                return None
        return params


class RouteMatch(NamedTuple):
    """A route and the parameters taken from the path."""

    route: Route
    params: dict[str, str | None]


def routes_of(collection: Collection) -> tuple[Route, ...]:
    """The routes of one kind of collection: its own calls, its persons' (if any), its faces'."""
    group = (collection.segment, "{group_id}")
    routes = [
        Route(group[:1], {"GET": "list_groups"}),
        Route(group, {"PUT": "create_group", "GET": "get_group", "DELETE": "delete_group"}),
        Route(group + ("train",), {"POST": "train_group"}),
        Route(group + ("training",), {"GET": "get_training_status"}),
    ]
    face_methods = {"PATCH": "update_face", "GET": "get_face"}
    if collection.large:
        face_methods["DELETE"] = "delete_face"
    if collection.has_persons:
        faces = group + ("persons", "{person_id}", "persistedfaces")
        routes += [
            Route(group + ("persons",), {"POST": "create_person"}),
            Route(faces[:-1], {"GET": "get_person"}),
            Route(faces, {"POST": "add_face"}),
            Route(faces + ("{face_id}",), face_methods),
        ]
    else:
        faces, no_person = group + ("persistedfaces",), {"person_id": None}
        routes += [
            Route(faces, {"POST": "add_face", "GET": "list_faces"}, no_person),
            Route(faces + ("{face_id}",), face_methods, no_person),
        ]
    return tuple(routes)


#: The request in hand's version and collection, set by `handle` for the length of one request
#: (a context variable: the ASGI wrapper answers requests in many threads at once).
_ANSWERING: ContextVar[Answering] = ContextVar("reference_answering", default=family.PAGE)


class ReferenceService:
    """A stateful, thread-safe, in-memory Face service: the Update Face family on v1.0 and v1.2.

    Attributes: `config` (a ReferenceConfig, read on every request, so a test may change it),
    `model` (the FaceModel state), `clock` (the monotonic clock training is timed with).
    """

    ROUTES: tuple[Route, ...] = tuple(r for c in family.COLLECTIONS for r in routes_of(c))
    #: The operations that `force` answers for (the call under test).
    FORCED_OPERATIONS = frozenset({"update_face"})

    def __init__(self, config: ReferenceConfig | None = None) -> None:
        self.config = config or ReferenceConfig()
        self.model = FaceModel(GuidSource(self.config.seed))
        self.clock = time.monotonic  # replaceable, so tests can move training time
        seed = self.config.seed
        self._request_ids = GuidSource(None if seed is None else f"{seed}:apim-request-id")
        self._lock = threading.Lock()
        self._forced: dict[str, int] = {}
        self._log: list[LogEntry] = []
        self._requests_seen = 0
        self._last_rate_limited = False

    # -- the entry point -------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (the seam for respx, httpx.MockTransport and the ASGI wrapper)."""
        arrived = time.monotonic()
        request.read()  # a streamed body reaches us unread through respx; the checks need its bytes
        token = _ANSWERING.set(family.answering(self.path_segments(request), self.api_version(request)))
        try:
            response = self.dispatch(request)
        except Reject as reject:
            response = reject.response
        finally:
            _ANSWERING.reset(token)
        response.headers["apim-request-id"] = self.new_request_id()
        self._record(LogEntry(arrived, request.method, _raw_path(request), response.status_code))
        return response

    def dispatch(self, request: httpx.Request) -> httpx.Response:
        """Gateway throttles, then routing and method, then forced answers, the key, the call."""
        throttled = self.throttle()
        if throttled is not None:
            return throttled
        found = self.match_route(self.path_segments(request))
        if found is None:
            return self.not_found()
        operation = found.route.methods.get(request.method)
        if operation is None:
            return self.method_not_allowed(found.route)
        forced = self.forced_answer(operation)
        if forced is not None:
            return forced
        if not self.check_key(request):
            return self.error("401.invalid-key")
        return getattr(self, operation)(request, **found.params)

    # -- switches and the log --------------------------------------------------------------

    def force(self, kind: str, count: int = 1) -> None:
        """Make the next `count` Update Face requests answer `kind` (see catalogue.FORCE_KINDS); 0 clears."""
        if kind not in catalogue.FORCE_KINDS:
            raise ValueError(f"unknown force kind {kind!r}; expected one of {', '.join(catalogue.FORCE_KINDS)}")
        if count < 0:
            raise ValueError(f"count must be 0 or more, got {count}")
        with self._lock:
            self._forced[kind] = count

    def take_forced(self, kind: str) -> bool:
        """Use up one forced answer of this kind, if any is pending."""
        with self._lock:
            if self._forced.get(kind, 0) <= 0:
                return False
            self._forced[kind] -= 1
            return True

    @property
    def request_log(self) -> list[LogEntry]:
        """A copy of the log: `(monotonic_time, method, raw_path, status)` per request, as answered."""
        with self._lock:
            return list(self._log)

    def _record(self, entry: LogEntry) -> None:
        with self._lock:
            self._log.append(entry)

    @property
    def answering(self) -> Answering:
        """The API version and kind of collection of the request in hand (the page's outside one)."""
        return _ANSWERING.get()

    @property
    def collection(self) -> Collection:
        """The kind of collection the request in hand addresses."""
        return self.answering.collection

    def on_v1_2(self, switch: str) -> bool:
        """Whether the request in hand is a v1.2 one and the config's v1.2 `switch` is on."""
        return self.answering.version == V1_2 and bool(getattr(self.config, switch))

    # -- gateway: quota, rate limit, forced answers ---------------------------------------

    def throttle(self) -> httpx.Response | None:
        """The quota and rate-limit answers of the config, which come before anything else."""
        with self._lock:
            self._requests_seen += 1
            number = self._requests_seen
            every = self.config.rate_limit_every
            # The request after a 429 is taken as its repeat and let through.
            limited = bool(every) and number % every == 0 and not self._last_rate_limited
            self._last_rate_limited = limited
        quota_after = self.config.quota_after
        if quota_after is not None and number >= quota_after:
            return self.error("403.quota")
        if limited:
            return self.rate_limited(retry_after=self.config.rate_limit_retry_after)
        return None

    def forced_answer(self, operation: str) -> httpx.Response | None:
        """A pending forced 403 or 429 for this operation, before the key is looked at."""
        if operation not in self.FORCED_OPERATIONS:
            return None
        if self.take_forced("quota"):
            return self.error("403.quota")
        if self.take_forced("rate-limit"):
            return self.rate_limited(retry_after=False)
        if self.take_forced("rate-limit-retry-after"):
            return self.rate_limited(retry_after=True)
        return None

    def rate_limited(self, retry_after: bool) -> httpx.Response:
        """A 429 announcing `rate_limit_wait_seconds`, in the message and optionally Retry-After."""
        wait = self.config.rate_limit_wait_seconds
        response = self.error("429.rate-limit", seconds=wait)
        if retry_after:
            response.headers["Retry-After"] = str(wait)
        return response

    def check_key(self, request: httpx.Request) -> bool:
        """Whether the request carries the configured key: one key header, not empty, equal to it.

        The key header is the one credential (docs/contract.md point 17). An Authorization header
        of any scheme, a `subscription-key` query parameter, cookies are never looked at; a key
        header sent twice, or present but empty, is no key.
        """
        given = [value for name, value in request.headers.raw if name.lower() == KEY_HEADER]
        if len(given) != 1 or not given[0]:
            return False
        return hmac.compare_digest(given[0], self.config.key.encode("utf-8"))

    # -- routing -----------------------------------------------------------------------------

    def path_segments(self, request: httpx.Request) -> list[str] | None:
        """The segments after /face/<version> (v1.0 or v1.2), each percent-decoded; None for any other path.

        The raw path is split before decoding, so an encoded `/` stays inside its parameter.
        """
        if self.api_version(request) is None:
            return None
        return [unquote(part) for part in _raw_path(request).split("/")[3:]]

    def api_version(self, request: httpx.Request) -> str | None:
        """The API version the path starts with (`/face/v1.2/...`, any case), or None if it names none served."""
        prefix = [unquote(part).lower() for part in _raw_path(request).split("/")[1:3]]
        if len(prefix) != 2 or prefix[0] != "face" or prefix[1] not in family.API_VERSIONS:
            return None
        return prefix[1]

    def match_route(self, segments: list[str] | None) -> RouteMatch | None:
        """The first route whose pattern fits the segments."""
        if segments is None:
            return None
        for route in self.ROUTES:
            params = route.match(segments)
            if params is not None:
                return RouteMatch(route, params)
        return None

    def not_found(self) -> httpx.Response:
        """The answer to a path the service does not know."""
        return self.plain_error(404, "NotFound", "Resource not found.")

    def method_not_allowed(self, route: Route) -> httpx.Response:
        """The answer to a known path with a method it does not take."""
        response = self.plain_error(
            405, "MethodNotAllowed", "The HTTP method is not allowed on this resource."
        )
        response.headers["Allow"] = ", ".join(sorted(route.methods))
        return response

    # -- lookups: format, then existence, group before person before face ------------------

    def group_id_is_valid(self, value: str) -> bool:
        """Whether a collection's ID has the documented format (personGroupId's, which the large ones share)."""
        return catalogue.parameter_pattern("personGroupId").fullmatch(value) is not None

    def guid_is_valid(self, value: str) -> bool:
        """Whether a personId / persistedFaceId is a canonical 8-4-4-4-12 GUID."""
        return catalogue.parameter_pattern("personId").fullmatch(value) is not None

    def resolve_face(self, group_id: str, person_id: str | None, face_id: str) -> ResolvedFace:
        """Find a face through its path: the lookup order of the service, in one place.

        Collection, then person (a face list has none: `person_id` is None), then face.
        """
        group = self.resolve_group(group_id)
        person = None if person_id is None else self.resolve_person(group, person_id)
        owner: FaceOwner = group if person is None else person
        return ResolvedFace(group, person, self.resolve_face_of(owner, face_id))

    def resolve_group(self, group_id: str) -> Group:
        """The collection (of the request's kind), or 404 group-invalid / group-missing."""
        if not self.group_id_is_valid(group_id):
            self.fail("404.group-invalid")
        group = self.model.group(group_id, self.collection.kind)
        if group is None:
            self.fail("404.group-missing", group=group_id)
        return group

    def resolve_person(self, group: Group, person_id: str) -> Person:
        """The person of the group, or 404 person-invalid / person-missing."""
        if not self.guid_is_valid(person_id):
            self.fail("404.person-invalid")
        person = self.model.person(group, person_id)
        if person is None:
            self.fail("404.person-missing")
        return person

    def resolve_face_of(self, person: FaceOwner, face_id: str) -> Face:
        """The face of the person (or face list), or 404 face-invalid / face-missing."""
        if not self.guid_is_valid(face_id):
            self.fail("404.face-invalid")
        face = self.model.face(person, face_id)
        if face is None:
            self.fail("404.face-missing")
        return face

    # -- the body ---------------------------------------------------------------------------

    def is_json_media_type(self, content_type: str) -> bool:
        """Whether a Content-Type value names JSON: application/json, text/json or any +json."""
        media = content_type.split(";", 1)[0].strip().lower()
        return media in ("application/json", "text/json") or ("/" in media and media.endswith("+json"))

    def check_media_type(self, request: httpx.Request) -> None:
        """415 if a Content-Type is given and is not JSON; a missing one means JSON."""
        content_type = request.headers.get("Content-Type")
        if content_type is not None and not self.is_json_media_type(content_type):
            self.fail("415.media-type")

    def parse_body(self, request: httpx.Request) -> dict[str, Any]:
        """The JSON object of the body; no bytes at all count as `{}`; else 400 bad-json.

        The text is read by `jsontext.JsonReader` (the reader `json_reader` gives), not Python's
        json: whatever a body holds (nesting of any depth, numbers of any size, any number of members,
        duplicated members: docs/contract.md point 18), the answer is 200 or 400, never a crash.
        """
        if not request.content:
            return {}
        text = self.body_text(request)
        try:
            body = self.json_reader().read(text)
        except JsonError:
            self.fail("400.bad-json")
        if not isinstance(body, dict):
            self.fail("400.bad-json")
        return body

    def json_reader(self) -> JsonReader:
        """The reader of request bodies: iterative, no limits, duplicates last-wins."""
        return JsonReader()

    def body_charset(self, request: httpx.Request) -> str | None:
        """The Content-Type's charset parameter, lower case and unquoted; None without one."""
        for parameter in request.headers.get("Content-Type", "").split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset":
                return value.strip().strip('"').strip().lower()
        return None

    def body_text(self, request: httpx.Request) -> str:
        """The body's bytes as text (docs/contract.md point 14): UTF-8, strictly; else 400 bad-json.

        A charset other than UTF-8 is refused rather than decoded (JSON text is UTF-8, RFC 8259
        section 8.1); a UTF-8 byte order mark before the JSON is ignored; bytes that are not UTF-8
        (a stray continuation byte, an overlong form, an encoded surrogate, a cut sequence, FF) are
        refused, whatever they would read as in another encoding.
        """
        charset = self.body_charset(request)
        if charset is not None and charset not in UTF8_CHARSETS:
            self.fail("400.bad-json")
        raw = request.content
        if raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM) :]
        try:
            return raw.decode("utf-8")  # strict: Python's codec refuses overlongs and surrogates too
        except UnicodeDecodeError:
            self.fail("400.bad-json")

    def user_data_from(self, body: dict[str, Any]) -> str | None:
        """The userData to store: None if absent or null; 400 if not a string or too long."""
        value = body.get("userData")
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail("400.bad-json")
        if self.user_data_too_long(value):
            self.fail("400.userdata-too-long")
        return value

    def user_data_too_long(self, value: str) -> bool:
        """Whether userData is over the limit: this reading counts UTF-8 bytes."""
        # surrogatepass: a lone surrogate (legal in a JSON string escape) still has a size.
        return len(value.encode("utf-8", "surrogatepass")) > catalogue.user_data_limit()

    # -- training ---------------------------------------------------------------------------

    def training_state(self, group: Group) -> str:
        """notstarted before any Train, running for `training_seconds` after one, then succeeded."""
        if group.training_started is None:
            return "notstarted"
        if self.clock() - group.training_started < self.config.training_seconds:
            return "running"
        return "succeeded"

    def group_is_training(self, group: Group) -> bool:
        """Whether the collection's training runs (an update may have to wait for it: `training_blocks_writes`)."""
        return self.training_state(group) == "running"

    def training_blocks_writes(self, group: Group) -> bool:
        """Whether an update gets 409 for the collection's training.

        A person group's training always blocks; a large collection's only under the config's
        `large_training_conflict`, since large collections are meant to take writes while they train.
        """
        if self.collection.large and not self.config.large_training_conflict:
            return False
        return self.group_is_training(group)

    def status_text(self, state: str) -> str:
        """How Training Status spells a state: v1.2 writes `notStarted` (under its switch)."""
        if state == "notstarted" and self.on_v1_2("v1_2_camel_case_status"):
            return "notStarted"
        return state

    # -- Update Face: the call under test ---------------------------------------------------

    def update_face(
        self, request: httpx.Request, group_id: str, person_id: str | None, face_id: str
    ) -> httpx.Response:
        """PATCH: path lookups, forced conflict, media type, body, training, then the write."""
        ref = self.resolve_face(group_id, person_id, face_id)
        if self.take_forced("concurrent"):
            self.fail("409.concurrent")
        self.check_media_type(request)
        value = self.user_data_from(self.parse_body(request))
        if self.training_blocks_writes(ref.group):
            self.fail("409.training", group=ref.group.group_id)
        self.write_face(ref.face, value)
        return self.empty(200)

    def write_face(self, face: Face, value: str | None) -> None:
        """Store under the face's write lock; an update finding it held gets 409 concurrent."""
        if not face.write_lock.acquire(blocking=False):
            self.fail("409.concurrent")
        try:
            hold = self.write_hold()
            if hold > 0:
                time.sleep(hold)
            self.store_user_data(face, value)
        finally:
            face.write_lock.release()

    def write_hold(self) -> float:
        """Seconds this write holds the face's lock: the config's, or a forced slow write's (used up)."""
        if self.take_forced("slow-writes"):
            return max(self.config.write_hold_seconds, FORCED_HOLD_SECONDS)
        return self.config.write_hold_seconds

    def store_user_data(self, face: Face, value: str | None) -> None:
        """Keep the value exactly as sent: no trimming, no normalisation."""
        face.user_data = value

    # -- supporting calls -------------------------------------------------------------------

    def get_face(
        self, request: httpx.Request, group_id: str, person_id: str | None, face_id: str
    ) -> httpx.Response:
        """GET a face: `{"persistedFaceId", "userData"}`."""
        face = self.resolve_face(group_id, person_id, face_id).face
        return self.json_response(200, _face_json(face))

    def delete_face(
        self, request: httpx.Request, group_id: str, person_id: str | None, face_id: str
    ) -> httpx.Response:
        """DELETE a face of a large collection: 200 empty."""
        ref = self.resolve_face(group_id, person_id, face_id)
        self.model.delete_face(ref.owner, ref.face.face_id)
        return self.empty(200)

    def list_faces(self, request: httpx.Request, group_id: str, person_id: None) -> httpx.Response:
        """GET a face list's faces sorted by ID (`start` exclusive, `top` at most 1000)."""
        group = self.resolve_group(group_id)
        params = request.url.params
        faces = self.model.list_faces(group, params.get("start"), self.parse_top(params.get("top")))
        return self.json_response(200, [_face_json(f) for f in faces])

    def create_group(self, request: httpx.Request, group_id: str) -> httpx.Response:
        """PUT a collection `{"name", "userData"?}`: 200 empty, 409 (PersonGroupExists, ...) if taken."""
        if not self.group_id_is_valid(group_id):
            self.fail("404.group-invalid")
        self.check_media_type(request)
        body = self.parse_body(request)
        name = self.required_name(body)
        user_data = self.optional_user_data(body, SUPPORT_USER_DATA_LIMIT)
        if self.model.create_group(group_id, name, user_data, _now(), self.collection.kind) is None:
            code, message = self.collection.exists
            return self.plain_error(409, code, message.format(id=group_id))
        return self.empty(200)

    def get_group(self, request: httpx.Request, group_id: str) -> httpx.Response:
        """GET one collection."""
        return self.json_response(200, self.group_json(self.resolve_group(group_id)))

    def delete_group(self, request: httpx.Request, group_id: str) -> httpx.Response:
        """DELETE a collection with its persons and faces."""
        self.model.delete_group(self.resolve_group(group_id).group_id, self.collection.kind)
        return self.empty(200)

    def list_groups(self, request: httpx.Request) -> httpx.Response:
        """GET the collections of a kind sorted by ID: `start` is an exclusive lower bound, `top` at most 1000."""
        params = request.url.params
        top = self.parse_top(params.get("top"))
        groups = self.model.list_groups(params.get("start"), top, self.collection.kind)
        return self.json_response(200, [self.group_json(g) for g in groups])

    def group_json(self, group: Group) -> dict[str, Any]:
        """A collection as List and Get show it: its ID (named as its kind names it), name, userData."""
        return {self.collection.id_field: group.group_id, "name": group.name, "userData": group.user_data}

    def parse_top(self, value: str | None) -> int:
        """The `top` query parameter: an integer from 1 to 1000, default 1000."""
        if value is None:
            return DEFAULT_TOP
        if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= DEFAULT_TOP:
            self.fail("400.bad-json", message=f"'top' must be an integer from 1 to {DEFAULT_TOP}.")
        return int(value)

    def create_person(self, request: httpx.Request, group_id: str) -> httpx.Response:
        """POST a person `{"name", "userData"?}`: `{"personId"}`."""
        group = self.resolve_group(group_id)
        self.check_media_type(request)
        body = self.parse_body(request)
        name = self.required_name(body)
        user_data = self.optional_user_data(body, SUPPORT_USER_DATA_LIMIT)
        person = self.model.add_person(group, name, user_data)
        return self.json_response(200, {"personId": person.person_id})

    def get_person(self, request: httpx.Request, group_id: str, person_id: str) -> httpx.Response:
        """GET a person: `{"personId", "name", "userData", "persistedFaceIds"}`."""
        person = self.resolve_person(self.resolve_group(group_id), person_id)
        return self.json_response(
            200,
            {
                "personId": person.person_id,
                "name": person.name,
                "userData": person.user_data,
                "persistedFaceIds": self.model.face_ids(person),
            },
        )

    def add_face(self, request: httpx.Request, group_id: str, person_id: str | None) -> httpx.Response:
        """POST a face (JSON `{"url"}` or octet-stream bytes; no detection): `{"persistedFaceId"}`."""
        group = self.resolve_group(group_id)
        owner: FaceOwner = group if person_id is None else self.resolve_person(group, person_id)
        user_data = request.url.params.get("userData")
        if user_data is not None and self.user_data_too_long(user_data):
            self.fail("400.userdata-too-long")
        self.check_image(request)
        face = self.model.add_face(owner, user_data)
        return self.json_response(200, {"persistedFaceId": face.face_id})

    def check_image(self, request: httpx.Request) -> None:
        """An Add Face body: non-empty octet-stream bytes, or a JSON object with a non-empty url."""
        content_type = request.headers.get("Content-Type", "")
        if content_type.split(";", 1)[0].strip().lower() == "application/octet-stream":
            if not request.content:
                self.fail("400.bad-json", message="Image is empty.")
            return
        self.check_media_type(request)
        url = self.parse_body(request).get("url")
        if not isinstance(url, str) or not url:
            self.fail("400.bad-json", message="Invalid image URL.")

    def train_group(self, request: httpx.Request, group_id: str) -> httpx.Response:
        """POST train: 202 empty (v1.2: with operation-Location); a Train while one runs leaves that one running."""
        group = self.resolve_group(group_id)
        if not self.group_is_training(group):
            self.model.start_training(group, self.clock(), _now())
        response = self.empty(202)
        if self.on_v1_2("v1_2_operation_location"):
            response.headers["operation-Location"] = self.training_status_url(request)
        return response

    def training_status_url(self, request: httpx.Request) -> str:
        """The absolute URL of the Training Status of the collection a Train request names."""
        collection_path = _raw_path(request).rsplit("/", 1)[0]
        return str(request.url.copy_with(raw_path=f"{collection_path}/training".encode("ascii")))

    def get_training_status(self, request: httpx.Request, group_id: str) -> httpx.Response:
        """GET training: `{"status", "createdDateTime", "lastActionDateTime", "message": null}`.

        Before any Train a person group answers 200 `notstarted`, a large collection 404
        LargePersonGroupNotTrained / LargeFaceListNotTrained.
        """
        group = self.resolve_group(group_id)
        state = self.training_state(group)
        if state == "notstarted" and self.collection.not_trained is not None:
            return self.plain_error(404, *self.collection.not_trained)
        return self.json_response(200, self.training_body(group, state))

    def training_body(self, group: Group, state: str) -> dict[str, Any]:
        """Training Status's answer; v1.2 adds `lastSuccessfulTrainingDateTime` (required there)."""
        created = group.training_started_at or group.created_at
        finished = created + timedelta(seconds=self.config.training_seconds) if state == "succeeded" else None
        body: dict[str, Any] = {
            "status": self.status_text(state),
            "createdDateTime": _iso(created),
            "lastActionDateTime": _iso(finished or created),
            "message": None,
        }
        if self.answering.version == V1_2:
            body["lastSuccessfulTrainingDateTime"] = None if finished is None else _iso(finished)
        return body

    def required_name(self, body: dict[str, Any]) -> str:
        """The `name` of a group or person: a non-empty string of at most 128 characters."""
        name = body.get("name")
        if not isinstance(name, str) or not name:
            self.fail("400.bad-json", message="'name' is required and must be a non-empty string.")
        if len(name) > NAME_LIMIT:
            self.fail("400.name-too-long")
        return name

    def optional_user_data(self, body: dict[str, Any], limit: int) -> str | None:
        """The `userData` of a group or person: absent, null, or a string of at most `limit`."""
        value = body.get("userData")
        if value is not None and not isinstance(value, str):
            self.fail("400.bad-json")
        if value is not None and len(value) > limit:
            self.fail("400.userdata-too-long")
        return value

    # -- answers ----------------------------------------------------------------------------

    def fail(self, row_id: str, **fmt: Any) -> NoReturn:
        """End the request with the error answer of this row."""
        raise Reject(self.error(row_id, **fmt))

    def error(self, row_id: str, **fmt: Any) -> httpx.Response:
        """The error answer of a row (`answer`): its status, code or statusCode, and message."""
        answer = self.answer(row_id)
        message = self.message(row_id, **fmt)
        if answer.envelope == "statusCode":
            return self.error_response(answer.status, {"statusCode": answer.status, "message": message})
        return self.error_response(answer.status, {"code": answer.code, "message": message})

    def answer(self, row_id: str) -> Answer:
        """A row's status, envelope, code and example message, on the request's collection and API version.

        Rows are named by the page's IDs (family.PAGE_IDS takes the suite's `404.list-*` back to
        them); a KeyError names a row with no error answer.
        """
        found = self.collection.answer(row_id)
        if found.status == 401 and self.on_v1_2("v1_2_code_401"):
            found = found._replace(code="401")
        if found.status == 429 and self.on_v1_2("v1_2_code_429"):
            found = found._replace(envelope="code", code="429")
        return found

    def message(
        self, row_id: str, *, group: str | None = None, seconds: int | None = None, message: str | None = None
    ) -> str:
        """The row's example message, with the real group ID / wait put in; or `message` as given."""
        if message is not None:
            return message
        text = self.answer(row_id).message
        if group is not None:
            text = re.sub(r"'[^']*'", lambda _: f"'{group}'", text, count=1)
        if seconds is not None:
            text = re.sub(r"\d+(?= seconds)", str(seconds), text, count=1)
        return text

    def plain_error(self, status: int, code: str, message: str) -> httpx.Response:
        """An error answer that no row describes (routing, supporting calls)."""
        return self.error_response(status, {"code": code, "message": message})

    def error_response(self, status: int, error: dict[str, Any]) -> httpx.Response:
        """`{"error": error}`; on v1.2 (under its switch) with the code in `x-ms-error-code` too."""
        response = self.json_response(status, {"error": error})
        if self.on_v1_2("v1_2_error_code_header"):
            response.headers["x-ms-error-code"] = str(error.get("code", status))
        return response

    def json_response(self, status: int, payload: Any) -> httpx.Response:
        """A JSON answer; ASCII escapes, so any stored string (even a lone surrogate) survives."""
        content = json.dumps(payload, ensure_ascii=True).encode("ascii")
        return httpx.Response(status, content=content, headers={"Content-Type": JSON_CONTENT_TYPE})

    def empty(self, status: int) -> httpx.Response:
        """An answer with no body bytes and no Content-Type."""
        return httpx.Response(status, headers={"Content-Length": "0"})

    def new_request_id(self) -> str:
        """The `apim-request-id` of one answer."""
        return self._request_ids()


def _raw_path(request: httpx.Request) -> str:
    return request.url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _face_json(face: Face) -> dict[str, Any]:
    return {"persistedFaceId": face.face_id, "userData": face.user_data}
