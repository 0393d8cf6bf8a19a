"""Steering generated cases onto the run's resources.

A generated well-formed ID names nothing on the server, so almost every case would stop at a
404 before the body is read. Steering maps well-formed IDs onto the provisioned ones (most of
the time) or onto IDs known to be missing, keeps malformed ones (unless they would change the
path's structure), and takes the key, Content-Type and body as generated.
"""

from __future__ import annotations

import hashlib
from typing import Any

import schemathesis

from face_conformance.cases import catalogue
from face_conformance.cases.probes import Probe, json_bytes
from face_conformance.cases.strategies import safe_segment
from face_conformance.cases.wire import KEY_HEADER
from face_conformance.cases.world import World, unknown_guid


def _pick(value: str, salt: str, n: int) -> int:
    """A stable choice in range(n) from a value, so the same case is always steered alike."""
    return hashlib.sha256(f"{salt}:{value}".encode()).digest()[0] % n


def _safe(value: str, name: str) -> str:
    """A malformed value that keeps the path's structure; replaced by a documented one otherwise."""
    if safe_segment(value) and value.strip() == value:
        return value
    options = catalogue.parameter(name)["x-malformed"]
    return options[_pick(value, name, len(options))]


def steer_group(value: str, world: World) -> str:
    """Well-formed → the test group (3 in 4) or a missing one; malformed → kept or replaced."""
    if catalogue.parameter_pattern("personGroupId").fullmatch(value):
        return world.face.group if _pick(value, "g", 4) else world.missing_group
    return _safe(value, "personGroupId")


def steer_guid(value: str, real: str, name: str) -> str:
    """Well-formed → the real ID (3 in 4) or an unknown GUID; malformed → kept or replaced."""
    if catalogue.parameter_pattern(name).fullmatch(value):
        return real if _pick(value, name, 4) else unknown_guid(f"{name}:{value}")
    return _safe(value, name)


def _body(kwargs: dict[str, Any]) -> bytes | None:
    if "json" in kwargs:
        return json_bytes(kwargs["json"])
    data = kwargs.get("data")
    if data is None:
        return None
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


def probe_from_case(case: schemathesis.Case, world: World) -> Probe:
    """The probe a generated PATCH case becomes once steered onto this run's resources."""
    params = case.path_parameters or {}
    face = world.face
    kwargs = case.as_transport_kwargs(base_url="http://generated.invalid")
    headers = {k.lower(): v for k, v in (kwargs.get("headers") or {}).items()}
    key_value = headers.get(KEY_HEADER.lower())
    key = "missing" if key_value is None else ("wrong" if key_value == "" else "valid")
    return Probe(
        label=f"generated case ({case.meta.phase.name.value if case.meta else 'hypothesis'})",
        group=steer_group(str(params.get("personGroupId", "")), world),
        person=steer_guid(str(params.get("personId", "")), face.person, "personId"),
        face=steer_guid(str(params.get("persistedFaceId", "")), face.face, "persistedFaceId"),
        body=_body(kwargs),
        content_type=headers.get("content-type"),
        key=key,
        rows=(catalogue.check_row("documented-status"),),
        generated=True,
    )
