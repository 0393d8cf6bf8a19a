"""The zoo's broken variants: each breaks exactly one rule of docs/contract.md and names the row it breaks.

Most are a few class attributes on `Reanswer` (one row answered with another status, code, error
object or media type); the others override the one method where the fault lives. The kill matrix
(tests/e2e/test_kill_matrix.py) proves that the suite fails each of them on its named row.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import json
import re
import time
import unicodedata
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from face_conformance.reference.asgi import WIRE_FAULT, WireFault
from face_conformance.reference.jsontext import JsonReader, unescape
from face_conformance.reference.model import Face, Person
from face_conformance.reference.service import (
    UTF8_BOM,
    UTF8_CHARSETS,
    ReferenceConfig,
    ReferenceService,
    Reject,
)
from face_conformance.zoo.registry import register

#: Every Nth request of a rate-limiting variant gets a 429 (often enough to be seen in a smoke run).
RATE_LIMIT_EVERY = 10
#: Where a group's training blocks its updates: large collections take updates while they train (the
#: family's variants of their training answer are in zoo/family.py).
TRAINING_BLOCKS = ("persongroup",)
#: Where a face belongs to a person (a large face list's faces belong to the list).
WITH_PERSONS = ("persongroup", "largepersongroup")
#: Where a 401's code "401" and a 429's `{code: "429"}` are faults (v1.2 allows both).
PAGE_SHAPES_ONLY = ("v1.0",)
#: The update (1-based) on which a quota variant answers its one quota 403, unless one was forced before.
QUOTA_ON_UPDATE = 12


def _update_params(service: ReferenceService, request: httpx.Request) -> dict[str, str] | None:
    """The path parameters when the request is an Update Face (PATCH), else None."""
    found = service.match_route(service.path_segments(request))
    if found is None or found.route.methods.get(request.method) != "update_face":
        return None
    return found.params


class Reanswer(ReferenceService):
    """Base: the error answer of `ROW` comes out differently; everything else is the reference.

    `STATUS` replaces the HTTP status, `ERROR` is merged into the error object (a None value
    removes the field), `CONTENT_TYPE` replaces the answer's media type.
    """

    ROW: ClassVar[str] = ""
    STATUS: ClassVar[int | None] = None
    ERROR: ClassVar[Mapping[str, Any]] = {}
    CONTENT_TYPE: ClassVar[str | None] = None

    def error(self, row_id: str, **fmt: Any) -> httpx.Response:
        """The reference's answer, reshaped for `ROW`."""
        response = super().error(row_id, **fmt)
        if row_id != self.ROW:
            return response
        error = dict(json.loads(response.content)["error"])
        for name, value in self.ERROR.items():
            if value is None:
                error.pop(name, None)
            else:
                error[name] = value
        out = self.json_response(self.STATUS or response.status_code, {"error": error})
        if self.CONTENT_TYPE:
            out.headers["Content-Type"] = self.CONTENT_TYPE
        return out


class Throttling(Reanswer):
    """Base: a rate-limiting server (every RATE_LIMIT_EVERY-th request), whose 429 is misshapen."""

    ROW = "429.rate-limit"

    def __init__(self, config: ReferenceConfig | None = None) -> None:
        config = config or ReferenceConfig()
        # A live run sees 429s only if the server makes them; mock runs also force them.
        super().__init__(dataclasses.replace(config, rate_limit_every=config.rate_limit_every or RATE_LIMIT_EVERY))


class OutOfQuota(Reanswer):
    """Base: one call-volume quota 403, misshapen: the forced one, else on update QUOTA_ON_UPDATE.

    Only one, so that the run goes on and shows what the suite makes of it.
    """

    ROW = "403.quota"

    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(config)
        self._updates = 0
        self._quota_given = False

    def forced_answer(self, operation: str) -> httpx.Response | None:
        """The forced answer if any (noting a forced quota), else the one quota answer when due."""
        forced = super().forced_answer(operation)
        if operation != "update_face":
            return forced
        with self._lock:
            self._updates += 1
            due = forced is None and not self._quota_given and self._updates >= QUOTA_ON_UPDATE
            if (forced is not None and forced.status_code == 403) or due:
                self._quota_given = True
        return self.error("403.quota") if due else forced


# -- 200.ok --------------------------------------------------------------------------------------


@register("ok-with-json-body", "broken", "200.ok", "answers a successful update with 200 and the body {}")
class OkWithJsonBody(ReferenceService):
    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """The reference's update, answered with a JSON body."""
        super().update_face(request, group_id, person_id, face_id)
        return self.json_response(200, {})


@register("ok-as-204", "broken", "200.ok", "answers a successful update with 204 No Content",
          also=("x.documented-status", "x.concurrent-writes"))
class OkAs204(ReferenceService):
    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """The reference's update, answered 204."""
        super().update_face(request, group_id, person_id, face_id)
        return self.empty(204)


@register("ok-body-cut-short", "broken", "200.ok",
          "answers a successful update 200 with Content-Length: 64, sends no body and closes", mock=False)
class OkBodyCutShort(ReferenceService):
    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """The reference's update; its 200 promises a body that never comes."""
        response = super().update_face(request, group_id, person_id, face_id)
        response.extensions[WIRE_FAULT] = WireFault(content_length=64)
        return response


@register("rejects-charset", "broken", "200.ok", "answers 415 to Content-Type: application/json; charset=utf-8",
          profile="full")
class RejectsCharset(ReferenceService):
    def is_json_media_type(self, content_type: str) -> bool:
        """JSON only without parameters (the bug: a charset parameter is taken as another type)."""
        return ";" not in content_type and super().is_json_media_type(content_type)


@register("rejects-exactly-1024", "broken", "200.ok", "rejects userData of exactly 1024 bytes (limit off by one)",
          profile="full")
class RejectsExactly1024(ReferenceService):
    def user_data_too_long(self, value: str) -> bool:
        """At least 1024 UTF-8 bytes counts as too long."""
        return len(value.encode("utf-8", "surrogatepass")) >= 1024


@register("rejects-empty-userdata", "broken", "200.ok", "answers 400 BadArgument to userData \"\" (valid userData)",
          profile="full")
class RejectsEmptyUserData(ReferenceService):
    def user_data_from(self, body: dict[str, Any]) -> str | None:
        """The reference's reading, but the empty string is refused."""
        if body.get("userData") == "":
            self.fail("400.bad-json")
        return super().user_data_from(body)


# -- 400.userdata-too-long -----------------------------------------------------------------------


@register("no-size-limit", "broken", "400.userdata-too-long", "accepts and stores userData of any length")
class NoSizeLimit(ReferenceService):
    def user_data_too_long(self, value: str) -> bool:
        """Never too long."""
        return False


@register("accepts-1025-chars", "broken", "400.userdata-too-long", "accepts userData of 1025 code points")
class Accepts1025Chars(ReferenceService):
    def user_data_too_long(self, value: str) -> bool:
        """Counts code points and lets one too many through."""
        return len(value) > 1025


@register("too-long-wrong-code", "broken", "400.userdata-too-long",
          "answers over-long userData with 400 and error.code UserDataTooLong")
class TooLongWrongCode(Reanswer):
    ROW, ERROR = "400.userdata-too-long", {"code": "UserDataTooLong"}


@register("too-long-413", "broken", "400.userdata-too-long", "answers over-long userData with 413 Payload Too Large",
          also=("x.documented-status",))
class TooLong413(Reanswer):
    ROW, STATUS = "400.userdata-too-long", 413


# -- 400.bad-json --------------------------------------------------------------------------------


@register("bad-json-accepted", "broken", "400.bad-json", "takes an unparsable body as {} and answers 200")
class BadJsonAccepted(ReferenceService):
    def parse_body(self, request: httpx.Request) -> dict[str, Any]:
        """The reference's parse, with parse errors swallowed."""
        try:
            return super().parse_body(request)
        except Reject:
            return {}


@register("array-body-accepted", "broken", "400.bad-json", "takes a JSON body that is not an object as {}",
          profile="full")
class ArrayBodyAccepted(ReferenceService):
    def parse_body(self, request: httpx.Request) -> dict[str, Any]:
        """Unparsable bodies are 400; parsable ones that are not objects are read as {}."""
        with contextlib.suppress(ValueError):
            if not isinstance(json.loads(request.content or b"{}"), dict):
                return {}
        return super().parse_body(request)


@register("bad-json-wrong-code", "broken", "400.bad-json", "answers a bad body with 400 and error.code InvalidBody")
class BadJsonWrongCode(Reanswer):
    ROW, ERROR = "400.bad-json", {"code": "InvalidBody"}


# -- 401.invalid-key -----------------------------------------------------------------------------


@register("key-code-401", "broken", "401.invalid-key",
          "answers a wrong key with error.code \"401\" (Azure's current table)", also=("x.auth-first",),
          versions=PAGE_SHAPES_ONLY)
class KeyCode401(Reanswer):
    ROW, ERROR = "401.invalid-key", {"code": "401"}


@register("key-403", "broken", "401.invalid-key", "answers a wrong key with 403 instead of 401",
          also=("x.auth-first", "x.error-envelope"))
class Key403(Reanswer):
    ROW, STATUS = "401.invalid-key", 403


@register("any-key-accepted", "broken", "401.invalid-key", "accepts any non-empty subscription key",
          also=("x.auth-first",))
class AnyKeyAccepted(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """Only that a key is there."""
        return bool(request.headers.get("Ocp-Apim-Subscription-Key"))


@register("missing-key-accepted", "broken", "401.invalid-key", "accepts a request without a key header",
          also=("x.auth-first",), profile="full")
class MissingKeyAccepted(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """A wrong key is refused; no key at all passes."""
        return "Ocp-Apim-Subscription-Key" not in request.headers or super().check_key(request)


# -- 403.quota -----------------------------------------------------------------------------------


@register("quota-code-shape", "broken", "403.quota",
          "answers quota with {error: {code: QuotaExceeded, message}}, no statusCode", also=("x.error-envelope",))
class QuotaCodeShape(OutOfQuota):
    ERROR = {"statusCode": None, "code": "QuotaExceeded"}


@register("quota-statuscode-string", "broken", "403.quota", "answers quota with error.statusCode \"403\" (a string)",
          also=("x.error-envelope",))
class QuotaStatusCodeString(OutOfQuota):
    ERROR = {"statusCode": "403"}


@register("quota-text-plain", "broken", "403.quota", "answers quota with Content-Type: text/plain",
          also=("x.error-envelope",))
class QuotaTextPlain(OutOfQuota):
    CONTENT_TYPE = "text/plain"


# -- 404.* ---------------------------------------------------------------------------------------


@register("group-invalid-400", "broken", "404.group-invalid", "answers a malformed personGroupId with 400 BadArgument")
class GroupInvalid400(Reanswer):
    ROW, STATUS, ERROR = "404.group-invalid", 400, {"code": "BadArgument"}


@register("group-invalid-wrong-code", "broken", "404.group-invalid",
          "answers a malformed personGroupId with 404 and error.code BadArgument")
class GroupInvalidWrongCode(Reanswer):
    ROW, ERROR = "404.group-invalid", {"code": "BadArgument"}


@register("group-missing-person-code", "broken", "404.group-missing",
          "answers a missing group with 404 and error.code PersonNotFound")
class GroupMissingPersonCode(Reanswer):
    ROW, ERROR = "404.group-missing", {"code": "PersonNotFound"}


@register("group-missing-400", "broken", "404.group-missing", "answers a missing group with 400")
class GroupMissing400(Reanswer):
    ROW, STATUS = "404.group-missing", 400


@register("person-invalid-400", "broken", "404.person-invalid", "answers a malformed personId with 400")
class PersonInvalid400(Reanswer):
    ROW, STATUS = "404.person-invalid", 400


@register("person-invalid-face-code", "broken", "404.person-invalid",
          "answers a malformed personId with error.code PersistedFaceNotFound")
class PersonInvalidFaceCode(Reanswer):
    ROW, ERROR = "404.person-invalid", {"code": "PersistedFaceNotFound"}


@register("person-of-any-group", "broken", "404.person-missing", "finds a person through a group it is not in")
class PersonOfAnyGroup(ReferenceService):
    def resolve_person(self, group: Any, person_id: str) -> Person:
        """The person of this group, or else of any group (the scoping bug)."""
        if self.guid_is_valid(person_id) and self.model.person(group, person_id) is None:
            kind = self.collection.kind
            for gid in [g.group_id for g in self.model.list_groups(None, 1000, kind)]:
                other = self.model.group(gid, kind)
                person = self.model.person(other, person_id) if other else None
                if person is not None:
                    return person
        return super().resolve_person(group, person_id)


@register("person-missing-wrong-code", "broken", "404.person-missing",
          "answers an unknown personId with 404 and error.code PersonNotExist")
class PersonMissingWrongCode(Reanswer):
    ROW, ERROR = "404.person-missing", {"code": "PersonNotExist"}


@register("face-invalid-400", "broken", "404.face-invalid", "answers a malformed persistedFaceId with 400")
class FaceInvalid400(Reanswer):
    ROW, STATUS = "404.face-invalid", 400


@register("face-invalid-wrong-code", "broken", "404.face-invalid",
          "answers a malformed persistedFaceId with error.code FaceNotFound")
class FaceInvalidWrongCode(Reanswer):
    ROW, ERROR = "404.face-invalid", {"code": "FaceNotFound"}


@register("face-of-any-person", "broken", "404.face-missing",
          "updates a face reached through another person of its group", operations=WITH_PERSONS)
class FaceOfAnyPerson(ReferenceService):
    def resolve_face(self, group_id: str, person_id: str, face_id: str) -> Any:
        """The reference's lookup, but the face is searched among all persons of the group."""
        group = self.resolve_group(group_id)
        person = self.resolve_person(group, person_id)
        if self.guid_is_valid(face_id) and self.model.face(person, face_id) is None:
            for other in list(group.persons.values()):
                if self.model.face(other, face_id) is not None:
                    person = other
        return super().resolve_face(group_id, person.person_id, face_id)


@register("face-missing-wrong-code", "broken", "404.face-missing",
          "answers an unknown persistedFaceId with 404 and error.code FaceNotFound")
class FaceMissingWrongCode(Reanswer):
    ROW, ERROR = "404.face-missing", {"code": "FaceNotFound"}


# -- 409.training --------------------------------------------------------------------------------


@register("training-not-blocking", "broken", "409.training", "updates faces while their group is training",
          operations=TRAINING_BLOCKS)
class TrainingNotBlocking(ReferenceService):
    def group_is_training(self, group: Any) -> bool:
        """Never blocks updates (Training Status still says running)."""
        return False


@register("training-wrong-code", "broken", "409.training",
          "answers an update during training with error.code PersonGroupTrainingInProgress", operations=TRAINING_BLOCKS)
class TrainingWrongCode(Reanswer):
    ROW, ERROR = "409.training", {"code": "PersonGroupTrainingInProgress"}


@register("training-423", "broken", "409.training", "answers an update during training with 423 Locked",
          also=("x.documented-status",), operations=TRAINING_BLOCKS)
class Training423(Reanswer):
    ROW, STATUS = "409.training", 423


# -- 409.concurrent and x.concurrent-writes ------------------------------------------------------


@register("conflict-no-message", "broken", "409.concurrent", "answers a write conflict without error.message",
          also=("x.error-envelope",))
class ConflictNoMessage(Reanswer):
    ROW, ERROR = "409.concurrent", {"message": None}


@register("conflict-text-plain", "broken", "409.concurrent", "answers a write conflict with Content-Type: text/plain",
          also=("x.error-envelope",))
class ConflictTextPlain(Reanswer):
    ROW, CONTENT_TYPE = "409.concurrent", "text/plain"


@register("conflict-wrong-code", "broken", "x.concurrent-writes", "answers a write conflict with error.code Conflict",
          also=("409.concurrent",))
class ConflictWrongCode(Reanswer):
    ROW, ERROR = "409.concurrent", {"code": "Conflict"}


@register("conflict-500", "broken", "x.concurrent-writes", "answers a write conflict with 500",
          also=("409.concurrent", "x.documented-status"))
class Conflict500(Reanswer):
    ROW, STATUS = "409.concurrent", 500


#: How long a write of `concurrent-rollback` holds the face (its window for overlapping updates).
ROLLBACK_HOLD_S = 0.25


@register("concurrent-rollback", "broken", "x.concurrent-writes",
          "no conflict answer: overlapping updates all get 200, and the face falls back to its old value")
class ConcurrentRollback(ReferenceService):
    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(config)
        self._overlapped: set[int] = set()  # faces (by id()) written while another update held them

    def write_face(self, face: Face, value: str | None) -> None:
        """Without a conflict answer: a second writer marks the face, the first then undoes its own write."""
        if not face.write_lock.acquire(blocking=False):
            with self._lock:
                self._overlapped.add(id(face))
            return
        try:
            before = face.user_data
            self.store_user_data(face, value)
            # Held long enough that updates sent together overlap even on a loaded machine: with 50 ms,
            # the suite's three parallel updates sometimes arrived one after another on two busy cores,
            # and the run could not tell this server from the reference.
            time.sleep(max(self.write_hold(), ROLLBACK_HOLD_S))
            with self._lock:
                overlapped = id(face) in self._overlapped
                self._overlapped.discard(id(face))
            if overlapped:
                self.store_user_data(face, before)  # "rolls back" on overlap, yet answers 200
        finally:
            face.write_lock.release()


# -- 415.media-type ------------------------------------------------------------------------------


@register("media-type-ignored", "broken", "415.media-type", "reads the body whatever the Content-Type says")
class MediaTypeIgnored(ReferenceService):
    def check_media_type(self, request: httpx.Request) -> None:
        """No media type check."""


@register("media-type-400", "broken", "415.media-type", "answers a non-JSON Content-Type with 400")
class MediaType400(Reanswer):
    ROW, STATUS = "415.media-type", 400


@register("media-type-wrong-code", "broken", "415.media-type",
          "answers a non-JSON Content-Type with 415 and error.code UnsupportedMediaType")
class MediaTypeWrongCode(Reanswer):
    ROW, ERROR = "415.media-type", {"code": "UnsupportedMediaType"}


# -- 429.rate-limit ------------------------------------------------------------------------------


@register("rate-limit-statuscode-string", "broken", "429.rate-limit",
          "rate-limits with error.statusCode \"429\" (a string)", also=("x.error-envelope",),
          versions=PAGE_SHAPES_ONLY)
class RateLimitStatusCodeString(Throttling):
    ERROR = {"statusCode": "429"}


@register("rate-limit-code-shape", "broken", "429.rate-limit",
          "rate-limits with {error: {code: \"429\", message}} (Azure's current table), no statusCode",
          also=("x.error-envelope",), versions=PAGE_SHAPES_ONLY)
class RateLimitCodeShape(Throttling):
    ERROR = {"statusCode": None, "code": "429"}


@register("rate-limit-no-message", "broken", "429.rate-limit", "rate-limits without error.message",
          also=("x.error-envelope",))
class RateLimitNoMessage(Throttling):
    ERROR = {"message": None}


# -- x.read-after-write --------------------------------------------------------------------------


@register("trims-whitespace", "broken", "x.read-after-write", "stores userData with whitespace trimmed at both ends")
class TrimsWhitespace(ReferenceService):
    def store_user_data(self, face: Face, value: str | None) -> None:
        """Stores the stripped value."""
        super().store_user_data(face, value.strip() if value is not None else None)


@register("nfc-normalises", "broken", "x.read-after-write", "stores userData normalised to NFC", profile="full")
class NfcNormalises(ReferenceService):
    def store_user_data(self, face: Face, value: str | None) -> None:
        """Stores the NFC form."""
        super().store_user_data(face, unicodedata.normalize("NFC", value) if value is not None else None)


@register("drops-astral", "broken", "x.read-after-write", "drops characters outside the BMP (emoji) from userData",
          profile="full")
class DropsAstral(ReferenceService):
    def store_user_data(self, face: Face, value: str | None) -> None:
        """Stores only the BMP characters."""
        super().store_user_data(face, "".join(c for c in value if ord(c) <= 0xFFFF) if value is not None else None)


@register("truncates-at-nul", "broken", "x.read-after-write", "stores userData cut at the first NUL (a C string)",
          profile="full")
class TruncatesAtNul(ReferenceService):
    def store_user_data(self, face: Face, value: str | None) -> None:
        """Stores what comes before the first U+0000."""
        super().store_user_data(face, value.split("\0", 1)[0] if value is not None else None)


# -- x.no-change-on-error ------------------------------------------------------------------------


@register("stores-before-size-check", "broken", "x.no-change-on-error",
          "stores an over-long userData, then answers 400 userdata-too-long")
class StoresBeforeSizeCheck(ReferenceService):
    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """Writes first when the value is too long; the reference's update then rejects it."""
        ref = self.resolve_face(group_id, person_id, face_id)
        with contextlib.suppress(Reject):
            value = self.parse_body(request).get("userData")
            if isinstance(value, str) and self.user_data_too_long(value):
                self.store_user_data(ref.face, value)
        return super().update_face(request, group_id, person_id, face_id)


@register("stores-before-media-check", "broken", "x.no-change-on-error",
          "stores the userData of a non-JSON request, then answers 415")
class StoresBeforeMediaCheck(ReferenceService):
    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """Writes a readable userData before the media type check."""
        ref = self.resolve_face(group_id, person_id, face_id)
        with contextlib.suppress(Reject, ValueError):
            value = self.parse_body(request).get("userData")
            if isinstance(value, str) and not self.user_data_too_long(value):
                self.store_user_data(ref.face, value)
        return super().update_face(request, group_id, person_id, face_id)


@register("writes-through-wrong-person", "broken", "x.no-change-on-error",
          "answers 404 to a face reached through the wrong (or an unknown) person, but has written it first",
          operations=WITH_PERSONS)
class WritesThroughWrongPerson(ReferenceService):
    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """Writes the face wherever it is in the group, then lets the reference answer 404."""
        group = self.model.group(group_id, self.collection.kind)
        for person in list(group.persons.values()) if group else []:
            face = self.model.face(person, face_id)
            if face is not None and person.person_id != person_id.lower():
                with contextlib.suppress(Reject):
                    value = self.parse_body(request).get("userData")
                    if isinstance(value, str):
                        self.store_user_data(face, value)
        return super().update_face(request, group_id, person_id, face_id)


# -- x.error-envelope ----------------------------------------------------------------------------


@register("not-found-no-message", "broken", "x.error-envelope", "answers every 404 row without error.message")
class NotFoundNoMessage(ReferenceService):
    def error(self, row_id: str, **fmt: Any) -> httpx.Response:
        """The reference's answer; for 404 rows, the error object has no message."""
        response = super().error(row_id, **fmt)
        if response.status_code != 404:
            return response
        error = json.loads(response.content)["error"]
        return self.json_response(404, {"error": {"code": error["code"]}})


@register("not-found-text-plain", "broken", "x.error-envelope", "answers every 404 row with Content-Type: text/plain")
class NotFoundTextPlain(ReferenceService):
    def error(self, row_id: str, **fmt: Any) -> httpx.Response:
        """The reference's answer; for 404 rows, labelled text/plain."""
        response = super().error(row_id, **fmt)
        if response.status_code == 404:
            response.headers["Content-Type"] = "text/plain; charset=utf-8"
        return response


@register("bad-request-empty-message", "broken", "x.error-envelope",
          "answers 400 and 415 rows with error.message \"\"")
class BadRequestEmptyMessage(ReferenceService):
    def message(self, row_id: str, **fmt: Any) -> str:
        """An empty message for the body rows."""
        if row_id in ("400.bad-json", "400.userdata-too-long", "415.media-type"):
            return ""
        return super().message(row_id, **fmt)


# -- x.documented-status -------------------------------------------------------------------------


class Crash(ReferenceService):
    """Base: an answer the way an unhandled exception comes out of a web framework."""

    def crash(self) -> httpx.Response:
        """A 500 InternalServerError."""
        return self.json_response(500, {"error": {"code": "InternalServerError", "message": "Internal error."}})


@register("bad-json-500", "broken", "x.documented-status", "answers an unparsable body with 500",
          also=("400.bad-json",))
class BadJson500(Crash):
    def parse_body(self, request: httpx.Request) -> dict[str, Any]:
        """The reference's parse, with the parse error left unhandled."""
        try:
            return super().parse_body(request)
        except Reject:
            raise Reject(self.crash()) from None


@register("punctuated-group-500", "broken", "x.documented-status", "answers 500 to a personGroupId with punctuation",
          also=("404.group-invalid",))
class PunctuatedGroup500(Crash):
    def group_id_is_valid(self, value: str) -> bool:
        """Crashes on IDs that are not alphanumeric with - and _."""
        if not value.replace("-", "").replace("_", "").isalnum():
            raise Reject(self.crash())
        return super().group_id_is_valid(value)


@register("face-invalid-422", "broken", "x.documented-status", "answers a malformed persistedFaceId with 422",
          also=("404.face-invalid",))
class FaceInvalid422(Reanswer):
    ROW, STATUS = "404.face-invalid", 422


# -- x.auth-first --------------------------------------------------------------------------------


@register("group-before-key", "broken", "x.auth-first", "checks the personGroupId before the key")
class GroupBeforeKey(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """Looks the group up first (raising its 404), then the key."""
        params = _update_params(self, request)
        if params is not None:
            self.resolve_group(params["group_id"])
        return super().check_key(request)


@register("body-before-key", "broken", "x.auth-first", "parses the body of an update before checking the key")
class BodyBeforeKey(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """Parses the body first (raising its 400), then the key."""
        if _update_params(self, request) is not None:
            self.parse_body(request)
        return super().check_key(request)


# -- near misses: wrong values next to the valid ones ----------------------------------------------


def _one_edit_apart(a: str, b: str) -> bool:
    """True when b is a with one character changed, dropped or added."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


@register("key-prefix-compare", "broken", "401.invalid-key",
          "accepts any key that shares the real key's first half (a prefix comparison)")
class KeyPrefixCompare(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """The first half of the key decides."""
        given, real = request.headers.get("Ocp-Apim-Subscription-Key") or "", self.config.key
        half = max(1, len(real) // 2)
        return len(given) >= half and given[:half] == real[:half]


@register("key-ignores-case", "broken", "401.invalid-key", "compares the subscription key without letter case",
          profile="full")
class KeyIgnoresCase(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """Case-insensitive comparison."""
        return (request.headers.get("Ocp-Apim-Subscription-Key") or "").lower() == self.config.key.lower()


@register("group-fuzzy-lookup", "broken", "404.group-missing",
          "finds a person group whose ID is one character edit away from the one asked for")
class GroupFuzzyLookup(ReferenceService):
    def resolve_group(self, group_id: str):  # type: ignore[no-untyped-def]
        """The exact group, else one a single edit away."""
        kind = self.collection.kind
        if self.group_id_is_valid(group_id) and self.model.group(group_id, kind) is None:
            near = next((g for g in self.model.list_groups(None, 1000, kind) if _one_edit_apart(g.group_id, group_id)),
                        None)
            if near is not None:
                return near
        return super().resolve_group(group_id)


@register("person-guid-prefix", "broken", "404.person-missing",
          "finds a person by the first 32 characters of its GUID", profile="full")
class PersonGuidPrefix(ReferenceService):
    def resolve_person(self, group, person_id: str):  # type: ignore[no-untyped-def]
        """The exact person, else one whose GUID starts alike."""
        if self.guid_is_valid(person_id) and self.model.person(group, person_id) is None:
            near = next((p for pid, p in group.persons.items() if pid[:32] == person_id.lower()[:32]), None)
            if near is not None:
                return near
        return super().resolve_person(group, person_id)


@register("face-id-cut-to-36", "broken", "404.face-invalid",
          "reads only the first 36 characters of a persistedFaceId, so a longer one finds the face", profile="full",
          also=("x.no-change-on-error",))
class FaceIdCutTo36(ReferenceService):
    def resolve_face_of(self, person: Person, face_id: str) -> Face:
        """Whatever follows the 36th character is ignored."""
        return super().resolve_face_of(person, face_id[:36])


@register("media-type-startswith", "broken", "415.media-type",
          "takes any Content-Type that starts with application/json as JSON (application/jsona too)", profile="full")
class MediaTypeStartswith(ReferenceService):
    def is_json_media_type(self, content_type: str) -> bool:
        """A prefix test instead of a media type comparison."""
        return content_type.lower().startswith("application/json") or super().is_json_media_type(content_type)


@register("json-comments-allowed", "broken", "400.bad-json", "strips /* */ comments from the body before parsing",
          profile="full", also=("x.read-after-write",))
class JsonCommentsAllowed(ReferenceService):
    def parse_body(self, request: httpx.Request) -> dict[str, Any]:
        """Comments removed, then the reference's parse."""
        text = request.content.decode("utf-8", "replace")
        if "/*" in text:
            stripped = re.sub(r"/\*.*?\*/", "", text, flags=re.S).encode("utf-8")
            request = httpx.Request(request.method, request.url, headers=request.headers, content=stripped)
        return super().parse_body(request)


@register("json-trailing-data-ignored", "broken", "400.bad-json",
          "parses the first JSON value of the body and ignores what follows it", profile="full")
class JsonTrailingDataIgnored(ReferenceService):
    def parse_body(self, request: httpx.Request) -> dict[str, Any]:
        """json.JSONDecoder.raw_decode: trailing bytes are never looked at."""
        if not request.content:
            return {}
        try:
            body, _ = json.JSONDecoder().raw_decode(request.content.decode("utf-8").lstrip())
        except ValueError:
            self.fail("400.bad-json")
        if not isinstance(body, dict):
            self.fail("400.bad-json")
        return body


# -- real data in valid writes -----------------------------------------------------------------------


@register("normalises-line-ends", "broken", "x.read-after-write", "stores every CRLF and CR in userData as LF")
class NormalisesLineEnds(ReferenceService):
    def store_user_data(self, face: Face, value: str | None) -> None:
        """Line ends made Unix-style."""
        super().store_user_data(face, value.replace("\r\n", "\n").replace("\r", "\n") if value is not None else None)


@register("escapes-markup", "broken", "x.read-after-write", "stores userData HTML-escapes (< > & quotes)")
class EscapesMarkup(ReferenceService):
    def store_user_data(self, face: Face, value: str | None) -> None:
        """html.escape on the way in."""
        super().store_user_data(face, html.escape(value) if value is not None else None)


@register("refuses-markup", "broken", "200.ok",
          "answers 400 BadArgument to userData that holds '<' (a 'potentially dangerous' value)")
class RefusesMarkup(ReferenceService):
    def user_data_from(self, body: dict[str, Any]) -> str | None:
        """The reference's reading, but markup is refused."""
        value = super().user_data_from(body)
        if value is not None and "<" in value:
            self.fail("400.bad-json")
        return value


@register("strips-control-characters", "broken", "x.read-after-write",
          "stores userData without C0 control characters other than tab, LF and CR")
class StripsControlCharacters(ReferenceService):
    def store_user_data(self, face: Face, value: str | None) -> None:
        """Controls dropped."""
        kept = None if value is None else "".join(c for c in value if c in "\t\n\r" or ord(c) >= 0x20)
        super().store_user_data(face, kept)


# -- state after state -----------------------------------------------------------------------------


@register("training-never-clears", "broken", "409.training",
          "once a group was trained, updates of its faces get 409 training for ever",
          also=("200.ok", "x.read-after-write"), operations=TRAINING_BLOCKS)
class TrainingNeverClears(ReferenceService):
    def group_is_training(self, group: Any) -> bool:
        """Training counts as running from the first Train on."""
        return group.training_started is not None


@register("conflict-never-clears", "broken", "409.concurrent",
          "after a face's first write conflict, every update of it gets 409 ConcurrentOperationConflict",
          also=("200.ok", "x.read-after-write", "409.training"), profile="full")
class ConflictNeverClears(ReferenceService):
    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(config)
        self._conflicted: set[str] = set()

    def write_face(self, face: Face, value: str | None) -> None:
        """A face that had a conflict stays locked."""
        if face.face_id in self._conflicted:
            self.fail("409.concurrent")
        try:
            super().write_face(face, value)
        except Reject:
            self._conflicted.add(face.face_id)
            raise


@register("stuck-after-too-long", "broken", "400.userdata-too-long",
          "after rejecting an over-long userData, refuses every later update of that face as too long",
          also=("200.ok", "x.read-after-write", "x.concurrent-writes", "400.bad-json", "x.no-change-on-error"),
          profile="full")
class StuckAfterTooLong(ReferenceService):
    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(config)
        self._stuck: set[str] = set()

    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """The reference's update; a face once refused stays refused."""
        ref = self.resolve_face(group_id, person_id, face_id)
        try:
            response = super().update_face(request, group_id, person_id, face_id)
        except Reject as reject:
            if reject.response.status_code == 400 and b"too long" in reject.response.content:
                self._stuck.add(ref.face.face_id)
            raise
        if ref.face.face_id in self._stuck:
            self.fail("400.userdata-too-long")
        return response


# -- the key on every shape -------------------------------------------------------------------------


@register("key-skipped-for-empty-body", "broken", "x.auth-first",
          "answers an update with no body bytes 400 before it looks at the key", profile="full")
class KeySkippedForEmptyBody(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """An empty PATCH body is refused first."""
        if request.method == "PATCH" and not request.content:
            self.fail("400.bad-json")
        return super().check_key(request)


@register("key-skipped-for-long-userdata", "broken", "x.auth-first",
          "answers an over-long userData 400 before it looks at the key", profile="full")
class KeySkippedForLongUserData(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """A size check runs before the key check."""
        if request.method == "PATCH":
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                value = json.loads(request.content or b"{}").get("userData")
                if isinstance(value, str) and self.user_data_too_long(value):
                    self.fail("400.userdata-too-long")
        return super().check_key(request)


@register("wrong-key-writes", "broken", "x.no-change-on-error",
          "stores the userData of an update, then answers 401 to its wrong key")
class WrongKeyWrites(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """The write happens whatever the key; the answer is still the 401."""
        if request.method == "PATCH" and not super().check_key(request):
            with contextlib.suppress(Reject, ValueError, AttributeError):
                found = self.match_route(self.path_segments(request))
                if found is not None and found.route.methods.get("PATCH") == "update_face":
                    ref = self.resolve_face(**found.params)
                    value = json.loads(request.content).get("userData")
                    if isinstance(value, str):
                        self.store_user_data(ref.face, value)
            return False
        return super().check_key(request)


# -- the same request spelled differently (docs/contract.md point 15) -------------------------------

#: One escape of a JSON string's inside, left to right: a \u pair (12 characters), one \u escape, or `\x`.
_ESCAPE_IN_STRING = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.")


class _UnicodeEscapesKept(JsonReader):
    def string_value(self, raw: str) -> Any:
        """`\\n`, `\\"` and the like decoded; a `\\uXXXX` escape kept as its six characters."""
        return _ESCAPE_IN_STRING.sub(lambda m: m[0] if m[0].startswith("\\u") else unescape(m[0]), raw)


@register("stores-escapes-raw", "broken", "x.read-after-write",
          "leaves \\uXXXX escapes in userData undecoded: stores the six characters \\u00e9 for é",
          also=("200.ok",), profile="full")
class StoresEscapesRaw(ReferenceService):
    def json_reader(self) -> JsonReader:
        """A naive reader that decodes the one-character escapes only."""
        return _UnicodeEscapesKept()


class _SurrogateEscapesSplit(JsonReader):
    def string_value(self, raw: str) -> Any:
        """Each `\\u` escape decoded on its own: the two halves of a pair become two U+FFFD."""
        return _ESCAPE_IN_STRING.sub(lambda m: "\ufffd\ufffd" if len(m[0]) == 12 else unescape(m[0]), raw)


@register("splits-surrogate-escapes", "broken", "x.read-after-write",
          "stores a surrogate pair written as two \\u escapes (\\ud83d\\ude00) as two U+FFFD", profile="full")
class SplitsSurrogateEscapes(ReferenceService):
    def json_reader(self) -> JsonReader:
        """A reader that converts each UTF-16 unit of an escape to a character by itself."""
        return _SurrogateEscapesSplit()


class _NamesAsWritten(JsonReader):
    def member_name(self, raw: str) -> str:
        """The name as written: `\\u0075serData` is not userData."""
        return raw


@register("escaped-member-name-ignored", "broken", "x.read-after-write",
          "finds userData by its name as written: {\"\\u0075serData\": \"x\"} gets 200 and keeps the old value",
          also=("400.bad-json", "400.userdata-too-long"), profile="full")
class EscapedMemberNameIgnored(ReferenceService):
    def json_reader(self) -> JsonReader:
        """Member names matched on the raw text, escapes and all."""
        return _NamesAsWritten()

    def store_user_data(self, face: Face, value: str | None) -> None:
        """No userData found, nothing written (what `{}` does is the page's latitude; this is not the fault)."""
        if value is not None:
            super().store_user_data(face, value)


class _Spelled(str):
    """A decoded string that remembers how it was written."""

    spelled: str


class _KeepsSpelling(JsonReader):
    def string_value(self, raw: str) -> Any:
        """The decoded string, carrying its JSON spelling."""
        value = _Spelled(unescape(raw))
        value.spelled = raw
        return value


@register("length-of-raw-json", "broken", "200.ok",
          "counts the 1KB limit on userData as written in the JSON (escapes included), not on its value",
          profile="full")
class LengthOfRawJson(ReferenceService):
    def json_reader(self) -> JsonReader:
        """A reader that keeps each string's spelling beside its value."""
        return _KeepsSpelling()

    def user_data_too_long(self, value: str) -> bool:
        """The spelling's UTF-8 bytes over 1024: 1000 × `\\u0061` is 6000."""
        return super().user_data_too_long(getattr(value, "spelled", value))

    def store_user_data(self, face: Face, value: str | None) -> None:
        """The value itself."""
        super().store_user_data(face, None if value is None else str(value))


# -- the body's bytes (point 14) -----------------------------------------------------------------------


@register("accepts-invalid-utf8", "broken", "400.bad-json",
          "decodes a body that is not UTF-8 with replacement characters and answers 200",
          also=("x.read-after-write",), profile="full")
class AcceptsInvalidUtf8(ReferenceService):
    def body_text(self, request: httpx.Request) -> str:
        """The reference's decoding; bytes that are not UTF-8 become U+FFFD instead of a 400."""
        try:
            return super().body_text(request)
        except Reject:
            if self.body_charset(request) not in (None, *UTF8_CHARSETS):
                raise
            return request.content.removeprefix(UTF8_BOM).decode("utf-8", "replace")


# -- values at the edges (point 18) ----------------------------------------------------------------------


class _RecursionAt512(JsonReader):
    MAX_DEPTH = 512

    def too_deep(self, depth: int, position: int) -> None:
        """What a recursive parser's stack does."""
        raise RecursionError("maximum recursion depth exceeded while decoding a JSON object")


@register("deep-nesting-500", "broken", "x.documented-status", "answers 500 to a body nested deeper than 512 levels",
          also=("200.ok",), profile="full")
class DeepNesting500(Crash):
    def json_reader(self) -> JsonReader:
        """A recursive reader whose stack ends at depth 512."""
        return _RecursionAt512()

    def parse_body(self, request: httpx.Request) -> dict[str, Any]:
        """The reference's parse; the RecursionError left unhandled."""
        try:
            return super().parse_body(request)
        except RecursionError:
            raise Reject(self.crash()) from None


_INT64 = range(-(2**63), 2**63)
_INTEGER = re.compile(r"-?[0-9]+")


class _Int64Numbers(JsonReader):
    def number(self, text: str) -> Any:
        """An int64 or a double, as a typed reader binds numbers; out of range is an OverflowError."""
        if _INTEGER.fullmatch(text):
            if len(text.lstrip("-").lstrip("0")) > 19 or int(text) not in _INT64:
                raise OverflowError(f"{text[:30]} does not fit in a 64-bit integer")
            return int(text)
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise OverflowError(f"{text[:30]} does not fit in a double")
        return value


@register("big-number-500", "broken", "x.documented-status",
          "answers 500 to a number beyond the 64-bit range (int64, double) anywhere in the body",
          also=("200.ok", "400.bad-json"), profile="full")
class BigNumber500(Crash):
    def json_reader(self) -> JsonReader:
        """A reader that converts every number to int64 or double."""
        return _Int64Numbers()

    def parse_body(self, request: httpx.Request) -> dict[str, Any]:
        """The reference's parse; the OverflowError left unhandled."""
        try:
            return super().parse_body(request)
        except OverflowError:
            raise Reject(self.crash()) from None


# -- credentials (point 17) --------------------------------------------------------------------------------


@register("bearer-accepted", "broken", "401.invalid-key",
          "lets a request with an Authorization: Bearer header through, whatever the token and the key",
          also=("x.auth-first",), profile="full")
class BearerAccepted(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """A Bearer token counts as signed in; it is never checked."""
        scheme = request.headers.get("Authorization", "").split(" ", 1)[0]
        return scheme.lower() == "bearer" or super().check_key(request)


@register("empty-key-accepted", "broken", "401.invalid-key", "accepts a key header that is present but empty",
          also=("x.auth-first",), profile="full")
class EmptyKeyAccepted(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """An empty key header passes (the check was `if key and key != expected`)."""
        return request.headers.get("Ocp-Apim-Subscription-Key") == "" or super().check_key(request)


@register("query-key-wins", "broken", "401.invalid-key",
          "a subscription-key query parameter, whatever its value, is taken in place of the key check",
          also=("x.auth-first",), profile="full")
class QueryKeyWins(ReferenceService):
    def check_key(self, request: httpx.Request) -> bool:
        """A key in the query passes unchecked; only without one is the header compared."""
        return "subscription-key" in request.url.params or super().check_key(request)


# -- isolation (x.isolation) -------------------------------------------------------------------------------

#: Every Nth successful update of `write-leaks-to-sibling` also writes another face.
LEAK_EVERY = 5


@register("training-blocks-every-group", "broken", "x.isolation",
          "while any group trains, every update, in every group, gets 409 PersonGroupTrainingNotFinished",
          also=("200.ok", "409.training", "404.face-missing"), profile="full", operations=TRAINING_BLOCKS)
class TrainingBlocksEveryGroup(ReferenceService):
    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """One training flag for the whole service, looked at first: a service-wide write lock."""
        if any(self.training_state(g) == "running" for g in self.model.list_groups(None, 10**9, self.collection.kind)):
            self.fail("409.training", group=group_id)
        return super().update_face(request, group_id, person_id, face_id)


@register("write-leaks-to-sibling", "broken", "x.isolation",
          f"every {LEAK_EVERY}th successful update also writes its userData into another face of the group",
          also=("x.read-after-write", "x.no-change-on-error", "x.concurrent-writes"), profile="full",
          operations=WITH_PERSONS)
class WriteLeaksToSibling(ReferenceService):
    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(config)
        self._writes = 0

    def write_face(self, face: Face, value: str | None) -> None:
        """The reference's write; every LEAK_EVERY-th one is also stored in the group's first other face."""
        super().write_face(face, value)
        with self._lock:
            self._writes += 1
            leak = self._writes % LEAK_EVERY == 0
        if leak:
            sibling = next((f for f in _faces_of_group_with(self, face) if f is not face), None)
            if sibling is not None:
                self.store_user_data(sibling, value)


def _faces_of_group_with(service: ReferenceService, face: Face) -> list[Face]:
    """Every face of the group that holds `face`, persons and faces in the order they were made."""
    for group in service.model.list_groups(None, 10**9, service.collection.kind):
        faces = [f for person in group.persons.values() for f in person.faces.values()] + list(group.faces.values())
        if any(f is face for f in faces):
            return faces
    return []


@register("same-value-twice-conflicts", "broken", "200.ok",
          "an update with the value the face already holds is taken for a duplicate in flight: "
          "409 ConcurrentOperationConflict", profile="full")
class SameValueTwiceConflicts(ReferenceService):
    def write_face(self, face: Face, value: str | None) -> None:
        """The reference's write, unless the face already holds a non-empty `value`: then 409 concurrent."""
        if value and face.user_data == value:
            self.fail("409.concurrent")
        super().write_face(face, value)
