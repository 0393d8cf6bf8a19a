"""The zoo's conformant variants: each differs from the reference only where the page allows it.

The suite must pass every one of them (exit 0): a failure here is a false alarm of the suite.
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import re
import time
from typing import Any

import httpx

from face_conformance.cases import catalogue
from face_conformance.reference.asgi import ENCODED_BODY, WIRE_FAULT, WireFault
from face_conformance.reference.jsontext import JsonReader
from face_conformance.reference.model import Face, Group
from face_conformance.reference.service import (
    JSON_CONTENT_TYPE,
    UTF8_BOM,
    ReferenceConfig,
    ReferenceService,
    RouteMatch,
)
from face_conformance.zoo.registry import register

#: Every Nth request of a rate-limiting variant gets a 429.
RATE_LIMIT_EVERY = 10
#: The latency of `slow-answers`, in seconds, cycled through answer by answer.
LATENCIES_S = (0.02, 0.035, 0.05, 0.025, 0.04)


class Configured(ReferenceService):
    """Base: the reference with some switches of its config set (only where the caller left the default)."""

    SWITCHES: dict[str, Any] = {}

    def __init__(self, config: ReferenceConfig | None = None) -> None:
        config = config or ReferenceConfig()
        defaults = ReferenceConfig()
        changes = {k: v for k, v in self.SWITCHES.items() if getattr(config, k) == getattr(defaults, k)}
        super().__init__(dataclasses.replace(config, **changes))


@register("chinese-messages", "conformant", "x.error-envelope",
          "every error message in Chinese (the page's own language)")
class ChineseMessages(ReferenceService):
    def message(self, row_id: str, *, group: str | None = None, seconds: int | None = None,
                message: str | None = None) -> str:
        """The page's Chinese row text, with the group or wait put in."""
        # The service names rows by the page's IDs; the selected operation may name them otherwise.
        text = catalogue.row(catalogue.current_id(row_id)).page_zh
        if group is not None:
            text += f"：人物组 '{group}'"
        if seconds is not None:
            text += f"，请在 {seconds} 秒后重试"
        return text + "。"


@register("reads-code-points", "conformant", "400.userdata-too-long", "reads 1KB as 1024 code points",
          profile="full")
class ReadsCodePoints(ReferenceService):
    def user_data_too_long(self, value: str) -> bool:
        """Over 1024 code points."""
        return len(value) > catalogue.user_data_limit()


@register("reads-utf16-units", "conformant", "400.userdata-too-long",
          "reads 1KB as 1024 UTF-16 code units (.NET string length)", profile="full")
class ReadsUtf16Units(ReferenceService):
    def user_data_too_long(self, value: str) -> bool:
        """Over 1024 UTF-16 code units (an astral character counts 2)."""
        return len(value.encode("utf-16-le", "surrogatepass")) // 2 > catalogue.user_data_limit()


@register("rate-limit-retry-after", "conformant", "429.rate-limit",
          "every 10th request gets 429 with a Retry-After header")
class RateLimitRetryAfter(Configured):
    SWITCHES = {"rate_limit_every": RATE_LIMIT_EVERY, "rate_limit_retry_after": True}


@register("rate-limit-message-only", "conformant", "429.rate-limit",
          "every 10th request gets 429 with the wait only in the message (as Azure does)")
class RateLimitMessageOnly(Configured):
    SWITCHES = {"rate_limit_every": RATE_LIMIT_EVERY, "rate_limit_retry_after": False}


@register("training-ends-at-once", "conformant", "409.training",
          "training succeeds as soon as it starts (409.training unseen)")
class TrainingEndsAtOnce(ReferenceService):
    def training_state(self, group: Group) -> str:
        """notstarted before any Train, succeeded right after."""
        return "notstarted" if group.training_started is None else "succeeded"


@register("slow-answers", "conformant", None, "every answer takes 20-50 ms")
class SlowAnswers(ReferenceService):
    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(config)
        self._latencies = itertools.cycle(LATENCIES_S)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The reference's answer, late."""
        time.sleep(next(self._latencies))
        return super().handle(request)


@register("extra-headers", "conformant", "x.error-envelope",
          "extra response headers, and Content-Type parameters beyond charset on JSON answers")
class ExtraHeaders(ReferenceService):
    EXTRA = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "x-ms-region": "China East 2",
             "Strict-Transport-Security": "max-age=31536000"}

    def json_response(self, status: int, payload: Any) -> httpx.Response:
        """The reference's JSON answer, labelled with more media type parameters."""
        response = super().json_response(status, payload)
        response.headers["Content-Type"] = JSON_CONTENT_TYPE.replace("; ", ";") + "; odata.metadata=minimal"
        return response

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The reference's answer with extra headers."""
        response = super().handle(request)
        response.headers.update(self.EXTRA)
        return response


@register("exact-path-casing", "conformant", "200.ok",
          "fixed path segments in lower case only, but persistedFaces also as the page writes it")
class ExactPathCasing(ReferenceService):
    SPELLINGS = {"persistedfaces": {"persistedfaces", "persistedFaces"}}

    def path_segments(self, request: httpx.Request) -> list[str] | None:
        """The reference's segments; a `Face/V1.0` prefix is not this server's path."""
        segments = super().path_segments(request)
        raw = request.url.path.split("/")[1:3]
        return segments if raw in (["face", "v1.0"], ["face", "v1.2"]) else None

    def match_route(self, segments: list[str] | None) -> RouteMatch | None:
        """The reference's route, if each fixed segment is spelled as this server spells it."""
        found = super().match_route(segments)
        if found is None or segments is None:
            return found
        for part, segment in zip(found.route.pattern, segments, strict=True):
            if not part.startswith("{") and segment not in self.SPELLINGS.get(part, {part}):
                return None
        return found


@register("training-409-before-body", "conformant", "409.training", "answers 409 training before looking at the body")
class Training409BeforeBody(ReferenceService):
    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """Path lookups, then training, then the reference's update."""
        ref = self.resolve_face(group_id, person_id, face_id)
        if self.training_blocks_writes(ref.group):
            self.fail("409.training", group=ref.group.group_id)
        return super().update_face(request, group_id, person_id, face_id)


@register("absent-keeps-userdata", "conformant", "200.ok",
          "{} and userData null leave the stored userData as it was", profile="full")
class AbsentKeepsUserData(ReferenceService):
    def store_user_data(self, face: Face, value: str | None) -> None:
        """Stores a string; no userData changes nothing."""
        if value is not None:
            super().store_user_data(face, value)


@register("braced-guid-not-found", "conformant", "404.person-invalid",
          "a GUID in braces is read as an ID that names nothing: 404 'not found' rather than 'invalid'",
          profile="full")
class BracedGuidNotFound(ReferenceService):
    BRACED = re.compile(r"^\{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\}$")

    def guid_is_valid(self, value: str) -> bool:
        """The reference's GUID, or one in braces (which then matches nothing)."""
        return super().guid_is_valid(value) or self.BRACED.match(value) is not None


@register("no-write-lock", "conformant", "x.concurrent-writes",
          "no write lock: overlapping updates all get 200, the last one wins")
class NoWriteLock(ReferenceService):
    def write_face(self, face: Face, value: str | None) -> None:
        """Store after the hold, never a 409."""
        hold = self.write_hold()
        if hold > 0:
            time.sleep(hold)
        self.store_user_data(face, value)


# -- latitude that a careless probe would not allow -------------------------------------------------


@register("body-before-path", "conformant", "x.lookup-order",
          "checks the media type and the body (an empty body is 400) before it looks the path up")
class BodyBeforePath(ReferenceService):
    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """Media type, body, userData; then the path; then training and the write."""
        if self.take_forced("concurrent"):
            self.fail("409.concurrent")
        self.check_media_type(request)
        if not request.content:
            self.fail("400.bad-json")
        value = self.user_data_from(self.parse_body(request))
        ref = self.resolve_face(group_id, person_id, face_id)
        if self.training_blocks_writes(ref.group):
            self.fail("409.training", group=ref.group.group_id)
        self.write_face(ref.face, value)
        return self.empty(200)


@register("echoes-key", "conformant", "401.invalid-key",
          "says which key it refused, in the 401 message and in a header")
class EchoesKey(ReferenceService):
    def dispatch(self, request: httpx.Request) -> httpx.Response:
        """The reference's answer; a 401 names the key it was given."""
        response = super().dispatch(request)
        if response.status_code != 401:
            return response
        given = request.headers.get("Ocp-Apim-Subscription-Key", "")
        out = self.error("401.invalid-key", message=f"Access denied due to invalid subscription key '{given}'.")
        out.headers["X-Refused-Key"] = given.encode("ascii", "replace").decode("ascii")
        return out


@register("escaped-json-answers", "conformant", "x.read-after-write",
          "Get Face answers with every '/' escaped as '\\/' and non-ASCII as \\u escapes (the same JSON value)")
class EscapedJsonAnswers(ReferenceService):
    def get_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        """The reference's face, spelt with more escapes."""
        response = super().get_face(request, group_id, person_id, face_id)
        content = response.content.replace(b"/", b"\\/")
        return httpx.Response(200, content=content, headers={"Content-Type": JSON_CONTENT_TYPE})


@register("conflict-clears-late", "conformant", "409.concurrent",
          "a face stays locked for 0.3 s after a write conflict: updates meanwhile get 409 too")
class ConflictClearsLate(ReferenceService):
    LINGER_S = 0.3

    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(config)
        self._locked_until: dict[str, float] = {}

    def write_face(self, face: Face, value: str | None) -> None:
        """A conflict keeps the face locked a little longer."""
        if time.monotonic() < self._locked_until.get(face.face_id, 0.0):
            self.fail("409.concurrent")
        try:
            super().write_face(face, value)
        except Exception:
            self._locked_until[face.face_id] = time.monotonic() + self.LINGER_S
            raise


@register("training-lock-lingers", "conformant", "409.training",
          "updates still get 409 training for 0.5 s after Training Status says succeeded")
class TrainingLockLingers(ReferenceService):
    LINGER_S = 0.5

    def group_is_training(self, group: Group) -> bool:
        """Running, or finished less than LINGER_S ago."""
        if group.training_started is None:
            return False
        return self.clock() - group.training_started < self.config.training_seconds + self.LINGER_S


# -- below HTTP semantics: what a load balancer or gateway does ------------------------------------


@register("compresses", "conformant", None, "gzips every answer with a body when the request accepts gzip",
          mock=False)
class Compresses(ReferenceService):
    def handle(self, request: httpx.Request) -> httpx.Response:
        """The reference's answer, gzip-encoded (the body as sent on the wire)."""
        response = super().handle(request)
        if not response.content or "gzip" not in request.headers.get("Accept-Encoding", ""):
            return response
        response.headers["Vary"] = "Accept-Encoding"
        response.extensions[ENCODED_BODY] = (gzip.compress(response.content), "gzip")
        return response


@register("closes-connections", "conformant", None, "answers every request with Connection: close and closes it",
          mock=False)
class ClosesConnections(ReferenceService):
    def handle(self, request: httpx.Request) -> httpx.Response:
        """The reference's answer; the connection ends with it."""
        response = super().handle(request)
        response.headers["Connection"] = "close"
        return response


@register("resets-during-setup", "conformant", None,
          "resets the connection of the first Get Face (set-up) and the first Delete Person Group (teardown)",
          mock=False)
class ResetsDuringSetup(ReferenceService):
    RESET_ONCE = ("get_face", "delete_group")

    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(config)
        self._reset: set[str] = set()

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The reference's answer, or (once per listed call) a connection closed before any byte."""
        found = self.match_route(self.path_segments(request))
        operation = found.route.methods.get(request.method) if found else None
        if operation in self.RESET_ONCE and operation not in self._reset:
            self._reset.add(operation)
            response = httpx.Response(500)
            response.extensions[WIRE_FAULT] = WireFault(drop_after=0)
            return response
        return super().handle(request)


# -- the body's bytes and values at the edges (docs/contract.md points 14, 15 and 18) ------------------


class _DepthLimit64(JsonReader):
    MAX_DEPTH = 64


@register("parser-depth-limit-400", "conformant", "200.ok",
          "a parser limit: a body nested deeper than 64 levels gets 400 BadArgument (a warning, point 18)",
          profile="full")
class ParserDepthLimit400(ReferenceService):
    def json_reader(self) -> JsonReader:
        """A reader that refuses nesting past 64 (the reference's has no limit)."""
        return _DepthLimit64()


class _MemberLimit1000(JsonReader):
    MAX_MEMBERS = 1000


@register("member-limit-400", "conformant", "200.ok",
          "a parser limit: an object of more than 1000 members gets 400 BadArgument (a warning, point 18)",
          profile="full")
class MemberLimit400(ReferenceService):
    def json_reader(self) -> JsonReader:
        """A reader that refuses an object's 1001st member (the reference's has no limit)."""
        return _MemberLimit1000()


@register("bom-rejected", "conformant", "400.bad-json",
          "a UTF-8 byte order mark before the JSON gets 400 BadArgument (the reference skips it)", profile="full")
class BomRejected(ReferenceService):
    def body_text(self, request: httpx.Request) -> str:
        """A BOM is not JSON text."""
        if request.content.startswith(UTF8_BOM):
            self.fail("400.bad-json")
        return super().body_text(request)


class _FirstWins(JsonReader):
    def set_member(self, obj: dict[str, Any], name: str, value: Any) -> None:
        """A duplicated member keeps its first value."""
        obj.setdefault(name, value)


@register("duplicates-first-wins", "conformant", "x.read-after-write",
          "a duplicated member is read first-wins ({\"userData\": \"a\", \"userData\": \"b\"} stores a)",
          profile="full")
class DuplicatesFirstWins(ReferenceService):
    def json_reader(self) -> JsonReader:
        """A reader that keeps the first of duplicated members (the reference keeps the last)."""
        return _FirstWins()


class _CaseInsensitiveUserData(JsonReader):
    def member_name(self, raw: str) -> str:
        """Any spelling of userData in any letter case binds as userData, as ASP.NET Core's binder does."""
        name = super().member_name(raw)
        return "userData" if name.lower() == "userdata" else name


@register("member-names-case-insensitive", "conformant", "x.read-after-write",
          "binds member names without letter case: {\"UserData\": \"x\"} and {\"USERDATA\": \"x\"} store x",
          profile="full")
class MemberNamesCaseInsensitive(ReferenceService):
    def json_reader(self) -> JsonReader:
        """A reader that folds the case of the userData member's name."""
        return _CaseInsensitiveUserData()


#: The charsets `utf16-charset-decoded` reads besides UTF-8, and the codec each names.
UTF16_CHARSETS = {"utf-16": "utf-16", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be"}


@register("utf16-charset-decoded", "conformant", "400.bad-json",
          "decodes a body whose Content-Type says charset=utf-16 (-le, -be) in that charset; the reference refuses it",
          profile="full")
class Utf16CharsetDecoded(ReferenceService):
    def body_text(self, request: httpx.Request) -> str:
        """UTF-16 as labelled (a BOM says the byte order; none means big-endian, RFC 2781); else the reference's."""
        codec = UTF16_CHARSETS.get(self.body_charset(request) or "")
        if codec is None:
            return super().body_text(request)
        raw = request.content
        if codec == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            codec = "utf-16-be"
        try:
            return raw.decode(codec).removeprefix("\ufeff")
        except UnicodeDecodeError:
            self.fail("400.bad-json")
