"""Probes: requests to the PATCH, built from the rows' data (explicit) or from generators."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from face_conformance.cases import catalogue, nearmiss, operation
from face_conformance.cases.wire import face_path
from face_conformance.cases.world import World, unknown_guid

JSON = "application/json"
_markers = itertools.count(1)


@dataclass(frozen=True)
class Probe:
    """One PATCH request: raw path segments, headers, body, and which key it carries.

    `rows` names the rows the probe is aimed at (for reports and markers); the oracle still
    works out what every answer means from the request itself.
    """

    label: str
    group: str
    person: str
    face: str
    body: bytes | None = b""
    content_type: str | None = JSON
    key: str = "valid"
    rows: tuple[str, ...] = ()
    force: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = field(default=())
    #: A schemathesis case: its answer is also judged by schemathesis's own checks.
    generated: bool = False
    #: Query parameters after the path (a credential a server must not take, point 17).
    query: tuple[tuple[str, str], ...] = field(default=())
    #: "chunked": the body goes with chunked transfer coding instead of Content-Length (point 15).
    framing: str | None = None
    #: "lower" or "upper": every header name spelled in that case, the key header's too (point 15).
    header_case: str | None = None

    @property
    def path(self) -> str:
        """The request path with each ID as one segment."""
        path = face_path(self.group, self.person, self.face)
        return f"{path}?{urlencode(self.query)}" if self.query else path

    @property
    def media_type(self) -> str | None:
        """The Content-Type the request carries, however its header name is spelled."""
        if self.content_type is not None:
            return self.content_type
        return next((v for k, v in self.extra_headers if k.lower() == "content-type"), None)

    @property
    def headers(self) -> dict[str, str]:
        """Headers to send (the key is added by the client)."""
        out = dict(self.extra_headers)
        if self.content_type is not None:
            out["Content-Type"] = self.content_type
        return out


def user_data_body(user_data: Any) -> bytes:
    """A JSON body carrying this userData, non-ASCII kept as UTF-8 (as most clients send it)."""
    return json_bytes({"userData": user_data})


def json_bytes(value: Any) -> bytes:
    """JSON as UTF-8; with \\u escapes when the value holds lone surrogates, which UTF-8 cannot carry."""
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value).encode("ascii")


def marker() -> str:
    """A distinct userData value, so that a face changed by an error answer shows who changed it."""
    return f"conformance-probe-{next(_markers)}"


def on_face(world: World, label: str, **kw: Any) -> Probe:
    """A probe addressed to the face under test, with a distinct marker body unless given one."""
    face = world.face
    kw.setdefault("body", user_data_body(marker()))
    return Probe(label=label, group=face.group, person=face.person, face=face.face, **kw)


def _placeholders(world: World, seed_text: str) -> dict[str, str | None]:
    return {
        "{group}": world.face.group,
        "{person}": world.face.person,
        "{face}": world.face.face,
        "{missing_group}": world.missing_group,
        "{unknown_guid}": unknown_guid(seed_text),
        # Another face the path does not lead to: the sibling person's, or (a face list) the other list's.
        "{other_face}": (world.sibling or world.other_face).face if (world.sibling or world.other_face) else None,
        "{other_group_person}": world.other_person,
    }


def from_row_data(row: catalogue.Row, index: int, data: dict[str, Any], world: World) -> Probe | None:
    """The explicit probe a row's data describes, or None when this world cannot build it.

    (A bring-your-own run has no second person or group, so probes that need them are skipped.)
    """
    values = _placeholders(world, f"{row.id}#{index}")
    path = {"group": world.face.group, "person": world.face.person, "face": world.face.face}
    for name, raw in data.get("path", {}).items():
        slot = {"personGroupId": "group", "personId": "person", "persistedFaceId": "face"}[name]
        value = _placeholder(raw, values, path, _known_ids(world))
        if value is None:
            return None
        path[slot] = value
    body: bytes | None = user_data_body(marker())
    if "body" in data:
        body = data["body"].encode("utf-8")
    if "user_data_repeat" in data:
        rep = data["user_data_repeat"]
        body = user_data_body(rep["text"] * int(rep["times"]))
    if "user_data" in data:
        body = user_data_body(data["user_data"])
    if "real_user_data" in data:
        body = user_data_body(real_user_data(data["real_user_data"]))
    return Probe(
        label=f"{row.id} probe {index + 1}: {describe(data)}",
        body=body,
        content_type=data.get("content_type", JSON),
        key=data.get("key", "valid"),
        rows=(row.id,),
        force=data.get("force"),
        **path,
    )


SLOTS = {"personGroupId": "group", "personId": "person", "persistedFaceId": "face"}
BODY_PARTS = catalogue.BODY_PARTS


def _placeholder(raw: Any, values: dict[str, str | None], path: dict[str, str], known: set[str]) -> Any:
    """A path value: literal, a named resource (`{group}`), or a near miss of one (`{near:PART:RULE}`)."""
    if not (isinstance(raw, str) and raw.startswith("{")):
        return raw
    if raw.startswith("{near:"):
        part, _, rule = raw[len("{near:"):-1].partition(":")
        return _near_unknown(part, rule, path[SLOTS[part]], known)
    return values.get(raw, raw)


def _near_unknown(part: str, rule: str, value: str, known: set[str]) -> str:
    """The near miss of a real ID, derived again while it names another real resource of the run."""
    derived = nearmiss.derive(part, rule, value)
    for _ in range(8):
        if derived.lower() not in known:
            break
        derived = nearmiss.derive(part, rule, derived)
    return derived


def _known_ids(world: World) -> set[str]:
    ids = set(world.groups()) | {f.person.lower() for f in world.faces} | {f.face.lower() for f in world.faces}
    return ids | ({world.other_person.lower()} if world.other_person else set())


def real_user_data(form: str) -> str:
    """Real-world userData: every fragment of the catalogue joined, or that cut and padded to 1024 bytes."""
    joined = "  " + " | ".join(catalogue.real_user_data()) + " \t"
    if form == "joined":
        return joined
    if form != "at-limit":
        raise ValueError(f"unknown real_user_data form {form!r}; expected one of {catalogue.REAL_USER_DATA_FORMS}")
    return fit_bytes(joined * 3, catalogue.user_data_limit())


def fit_bytes(text: str, size: int) -> str:
    """Text cut (at a character boundary) and padded with 'a' to exactly `size` UTF-8 bytes."""
    out, used = [], 0
    for char in text:
        width = len(char.encode("utf-8", "surrogatepass"))
        if used + width > size:
            break
        out.append(char)
        used += width
    return "".join(out) + "a" * (size - used)


def near_miss(world: World, part: str, rule: str) -> Probe:
    """A probe on the face under test that is valid but for one part, changed by a near-miss rule."""
    label = f"near miss: {nearmiss.describe(part, rule)}"
    rows = tuple(r.id for r in catalogue.rows() if r.part == part and r.level == "MUST"
                 and r.id != _auth_first())[:1]
    if part == "key":
        return on_face(world, label, key=f"{nearmiss.NEAR_KEY}{rule}", rows=rows)
    if part == "content_type":
        return on_face(world, label, content_type=nearmiss.derive(part, rule, JSON), rows=rows)
    if part == "body":
        return on_face(world, label, body=nearmiss.body(rule, marker()), rows=rows)
    probe = on_face(world, label, rows=rows)
    slot = SLOTS[part]
    return replace(probe, **{slot: _near_unknown(part, rule, getattr(probe, slot), _known_ids(world))})


def near_miss_cases() -> list[tuple[str, str]]:
    """(part, rule) for every near-miss rule the document names."""
    return [(part, rule) for part in catalogue.REQUEST_PARTS if operation.current().has_part(part)
            for rule in catalogue.near_miss_rules(part)]


def _auth_first() -> str:
    """The row of a wrong key on a request that has other faults too (x.auth-first)."""
    return catalogue.provoked_by("key", "wrong-with-other-faults")


def wrong_key_shapes(world: World) -> list[Probe]:
    """Every request shape the suite sends otherwise (each row probe, no body, an empty body), with a wrong key.

    Each addresses what its row probe addresses, so a wrong key's request on the face under test
    must also change nothing (x.no-change-on-error).
    """
    shapes: list[Probe] = []
    seen: set[tuple[str, str | None, bytes | None]] = set()
    for row_id, index, data in explicit_cases():
        # Every probe of the rows about the media type and the body (each media type, each body
        # that is not JSON, each size); the first probe of the others (each path fault, a valid body).
        if "key" in data or "force" in data or (index > 0 and catalogue.row(row_id).part not in BODY_PARTS):
            continue
        probe = from_row_data(catalogue.row(row_id), index, data, world)
        if probe is None:
            continue
        shape = replace(probe, key="wrong", rows=(_auth_first(),),
                        label=f"wrong key on the shape of {probe.label}")
        if (shape.path, shape.content_type, shape.body) not in seen:
            seen.add((shape.path, shape.content_type, shape.body))
            shapes.append(shape)
    for body, what in ((None, "no body"), (b"", "an empty body")):
        shapes.append(on_face(world, f"wrong key, {what}", key="wrong", body=body, rows=(_auth_first(),)))
    return shapes


def describe(data: dict[str, Any]) -> str:
    """A short human description of a row probe's data."""
    parts = []
    for name, value in data.get("path", {}).items():
        parts.append(f"{name}={value}")
    if "key" in data:
        key = str(data["key"])
        near = key.startswith(nearmiss.NEAR_KEY)
        parts.append(f"key: {nearmiss.describe('key', key[len(nearmiss.NEAR_KEY):])}" if near else f"key {key}")
    if "content_type" in data:
        parts.append(f"Content-Type {data['content_type']}")
    if "body" in data:
        parts.append(f"body {data['body']!r}")
    if "user_data_repeat" in data:
        rep = data["user_data_repeat"]
        parts.append(f"userData {rep['text']!r}×{rep['times']}")
    if "user_data" in data:
        parts.append(f"userData {data['user_data']!r}")
    if "real_user_data" in data:
        parts.append(f"real-world userData ({data['real_user_data']})")
    if "force" in data:
        parts.append(f"reference forced to answer {data['force']}")
    return ", ".join(parts) or "valid request"


def explicit_cases() -> list[tuple[str, int, dict[str, Any]]]:
    """(row ID, index, probe data) for every probe the document gives a row that the selected operation can send.

    A probe that sets a part of the path the operation does not have (a person, in a face list) is
    left out, and the row's next probe is its first.
    """
    op = operation.current()
    return [(row.id, i, data) for row in catalogue.rows()
            for i, data in enumerate(p for p in row.probes if all(op.has_part(k) for k in p.get("path", {})))]
