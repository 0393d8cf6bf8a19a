"""One fault per MUST verdict: the suite's check on its own probes.

A request judged against a MUST row must differ from a fully valid request (the right key, the
real face's path, JSON media type, a valid body) in exactly the one part that row is about (its
`trigger` in the document). A request that differs in two parts, or in one that docs/contract.md lets
a server read either way, may only feed SHOULD or INFO verdicts: otherwise a conformant server
that checks things in another order would be told it is broken.

`differences` reads a probe without the oracle (so that a fault the oracle misses is found), and
`violation` compares that with what the oracle would fail the probe on.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from face_conformance.cases import catalogue, operation
from face_conformance.cases.outcomes import Outcome
from face_conformance.cases.probes import Probe
from face_conformance.cases.world import World
from face_conformance.judging.oracle import AUTH_FIRST, Expectation

#: Media types every conformant server must take as JSON (docs/contract.md point 4).
VALID_MEDIA_ESSENCE = "application/json"


def _valid_body(raw: bytes | None) -> bool:
    """A JSON object holding only a string userData of at most 1KB in any reading."""
    try:
        data = json.loads((raw or b"").decode("utf-8"), parse_constant=_reject)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    if not isinstance(data, dict) or set(data) != {"userData"} or not isinstance(data["userData"], str):
        return False
    value = data["userData"]
    return len(value.encode("utf-8", "surrogatepass")) <= catalogue.user_data_limit()


def _reject(name: str) -> None:
    raise ValueError(name)


def _valid_media(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";", 1)[0].strip() == VALID_MEDIA_ESSENCE


def differences(probe: Probe, world: World) -> set[str]:
    """The parts of the request (catalogue.REQUEST_PARTS) in which the probe differs from a valid update."""
    # Each ID is held to the run's resources in the context of the IDs before it: a person of the
    # run's other group, reached through that group, is no fault of the person ID.
    group, person = unquote(probe.group), unquote(probe.person).lower()
    if not operation.current().has_person:
        person = ""  # a face list's faces belong to no person; the path carries none
    parts = set()
    if probe.key != "valid":
        parts.add("key")
    if group not in world.groups():
        parts.add("personGroupId")
    if person not in world.persons_of(group) and not ("personGroupId" in parts and person in world.all_persons()):
        parts.add("personId")
    if unquote(probe.face).lower() not in world.faces_of(group, person) and not (
            parts & {"personGroupId", "personId"} and world.face_named(unquote(probe.face)) is not None):
        parts.add("persistedFaceId")
    if not _valid_media(probe.media_type):
        parts.add("content_type")
    if not _valid_body(probe.body):
        parts.add("body")
    return parts


def violation(probe: Probe, expectation: Expectation, world: World) -> str | None:
    """Why this probe could give a MUST verdict on more than one fault, or None when it cannot."""
    row = catalogue.row(expectation.primary)
    if expectation.miss_verdict != Outcome.FAIL or row.level != "MUST" or probe.force:
        return None
    found = differences(probe, world)
    if row.id == AUTH_FIRST:
        return None if "key" in found else f"{probe.label}: judged on {row.id} with a valid key"
    wanted = {row.part} if row.part else set()
    if found == wanted:
        return None
    return (f"{probe.label}: a MUST verdict on {row.id} (about {row.part or 'nothing'}) from a request that "
            f"differs in {', '.join(sorted(found)) or 'nothing'}")
