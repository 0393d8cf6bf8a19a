"""Probes: requests to the PATCH, built from the rows' data (explicit) or from generators."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field, replace
from typing import Any

from . import catalogue
from .client import face_path
from .world import World, unknown_guid

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

    @property
    def path(self) -> str:
        """The request path with each ID as one segment."""
        return face_path(self.group, self.person, self.face)

    @property
    def headers(self) -> dict[str, str]:
        """Headers to send (the key is added by the client)."""
        out = dict(self.extra_headers)
        if self.content_type is not None:
            out["Content-Type"] = self.content_type
        return out

    def with_body(self, user_data: Any) -> Probe:
        """The same probe with a JSON body `{"userData": user_data}`."""
        return replace(self, body=user_data_body(user_data))


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
        "{other_face}": world.sibling.face if world.sibling else None,
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
        value = values.get(raw, raw) if isinstance(raw, str) and raw.startswith("{") else raw
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
    return Probe(
        label=f"{row.id} probe {index + 1}: {describe(data)}",
        body=body,
        content_type=data.get("content_type", JSON),
        key=data.get("key", "valid"),
        rows=(row.id,),
        force=data.get("force"),
        **path,
    )


def describe(data: dict[str, Any]) -> str:
    """A short human description of a row probe's data."""
    parts = []
    for name, value in data.get("path", {}).items():
        parts.append(f"{name}={value}")
    if "key" in data:
        parts.append(f"key {data['key']}")
    if "content_type" in data:
        parts.append(f"Content-Type {data['content_type']}")
    if "body" in data:
        parts.append(f"body {data['body']!r}")
    if "user_data_repeat" in data:
        rep = data["user_data_repeat"]
        parts.append(f"userData {rep['text']!r}×{rep['times']}")
    if "user_data" in data:
        parts.append(f"userData {data['user_data']!r}")
    if "force" in data:
        parts.append(f"reference forced to answer {data['force']}")
    return ", ".join(parts) or "valid request"


def explicit_cases() -> list[tuple[str, int, dict[str, Any]]]:
    """(row ID, index, probe data) for every probe the document gives a row."""
    return [(row.id, i, data) for row in catalogue.rows() for i, data in enumerate(row.probes)]
