"""Set-up and teardown against the target: the supporting calls, used and never judged.

A provisioned run creates two `conformance-*` groups and deletes them at the end; a
bring-your-own run snapshots one face's userData and writes it back. An unexpected answer to
a supporting call is a set-up error (`SetupError`), never a verdict on a row.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from face_conformance.cases import catalogue, operation
from face_conformance.cases.wire import face_path, faces_path, segment
from face_conformance.cases.world import FaceRef, World, new_group_id
from face_conformance.config.settings import SAMPLE_FACE_URL, Settings
from face_conformance.evidence.exchange import Exchange
from face_conformance.live.client import NOT_RECORDED, FaceClient, Inconclusive

GROUP_PREFIX = "conformance-"
GROUP_NAME = "face-conformance test group (safe to delete)"
#: Pauses before the retries of a supporting call after a connection fault (a real network drops some).
RETRY_PAUSES_S = (0.5, 1.0, 2.0)
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "PATCH"})


class SetupError(Exception):
    """A supporting call did not answer as documented; the run cannot test the rows it needed."""

    def __init__(self, what: str, exchange: Exchange) -> None:
        super().__init__(f"{what}: {exchange.describe_answer()}")
        self.exchange = exchange


def _retryable(method: str, exchange: Exchange) -> bool:
    error = exchange.error or ""
    if exchange.answer is not None or not error or "timeout" in error or error.startswith(NOT_RECORDED):
        return False  # an answer, or a silent server: a retry would not be cured, only cost time
    return method in IDEMPOTENT or error.startswith("cannot connect")


def _reached_a_server(exchange: Exchange) -> bool:
    """True when a connection fault shows something on the other end: the connection was made (or
    reset by the peer while being made), then broke. A refused connection, a failed name lookup or
    TLS verification say nothing of the kind."""
    error = exchange.error or ""
    return not error.startswith("cannot connect") or "reset" in error.lower()


def _expect(exchange: Exchange, status: int, what: str) -> Exchange:
    if exchange.status != status:
        raise SetupError(what, exchange)
    return exchange


def _json_field(exchange: Exchange, name: str, what: str) -> Any:
    data = exchange.answer.json() if exchange.answer else None
    if not isinstance(data, dict) or not isinstance(data.get(name), str):
        raise SetupError(f"{what} (no {name!r} in the answer)", exchange)
    return data[name]


@dataclass
class Supporting:
    """The supporting calls of docs/contract.md, through the suite's client."""

    client: FaceClient
    sleep: Callable[[float], None] = time.sleep
    retries: list[str] = field(default_factory=list)  # each retried call and why, for the report
    answered: bool = False  # whether the endpoint has answered any call yet

    def send(self, method: str, path: str, **kw: Any) -> Exchange:
        """A supporting call, retried (with back-off) after a connection fault that a retry can cure.

        GET, PUT, DELETE and the restoring PATCH are idempotent: any connection fault is retried.
        A POST (Create Person, Add Face, Train) is retried only when it cannot have reached the
        server (no connection was made), or it could create a second person or face.
        """
        exchange = self.client.send(method, path, **kw)
        for pause in RETRY_PAUSES_S:
            self.answered = self.answered or exchange.answer is not None
            # Until the endpoint has answered once, a connection that could not be made means it is
            # unreachable (the run ends at once); one that was made and then reset is retried (the
            # very first request too: Create Person Group is a PUT).
            if not _retryable(method, exchange) or not (self.answered or _reached_a_server(exchange)):
                break
            self.retries.append(f"{method} {path.split('?', 1)[0]}: {exchange.error}; retried after {pause:g} s")
            self.sleep(pause)
            exchange = self.client.send(method, path, **kw)
        return exchange

    def create_group(self, group: str) -> None:
        """Create the collection (person group, large person group or large face list): PUT, 200."""
        body = json.dumps({"name": GROUP_NAME, "userData": "created by face-conformance"}).encode()
        _expect(self.send("PUT", face_path(group), body=body, headers={"Content-Type": "application/json"}),
                200, f"Create {operation.current().noun} {group}")

    def delete_group(self, group: str, kind: operation.Operation | None = None) -> Exchange:
        """Delete a collection (of the selected operation's kind unless `kind` names another): DELETE, not judged."""
        return self.send("DELETE", (kind or operation.current()).path(group), tag="teardown")

    def list_groups(self, kind: operation.Operation | None = None) -> list[dict[str, Any]]:
        """List the collections of a kind (the selected operation's by default): every page of its List call."""
        kind = kind or operation.current()
        listing = f"{kind.base}/{kind.collection}"
        # v1.0's List Large Face Lists takes no paging (docs/contract.md, The family): one answer is all.
        paged = not (kind.name == "largefacelist" and kind.version == "v1.0")
        groups: list[dict[str, Any]] = []
        start = ""
        while True:
            query = "" if not paged else f"?top=1000&start={segment(start)}" if start else "?top=1000"
            exchange = _expect(self.send("GET", listing + query), 200, f"List {kind.noun}s")
            page = exchange.answer.json() if exchange.answer else None
            if not isinstance(page, list):
                raise SetupError(f"List {kind.noun}s (the answer is not a JSON array)", exchange)
            groups += [g for g in page if isinstance(g, dict)]
            if not paged or len(page) < 1000:
                return groups
            start = str(page[-1].get(kind.container, ""))

    def create_person(self, group: str, name: str) -> str:
        """Create Person: POST, 200 {"personId"}."""
        body = json.dumps({"name": name}).encode()
        exchange = _expect(self.send("POST", face_path(group, tail="/persons"), body=body,
                                            headers={"Content-Type": "application/json"}),
                           200, f"Create Person in {group}")
        return _json_field(exchange, "personId", "Create Person")

    def add_face(self, group: str, person: str, settings: Settings) -> str:
        """Add Face from the configured image (bytes) or URL: POST, 200 {"persistedFaceId"}."""
        path = faces_path(group, person)
        if settings.face_image:
            body, media = settings.face_image.read_bytes(), "application/octet-stream"
        else:
            body, media = json.dumps({"url": settings.face_url or SAMPLE_FACE_URL}).encode(), "application/json"
        exchange = _expect(self.send("POST", path, body=body, headers={"Content-Type": media}),
                           200, "Add Face (the face image could not be added)")
        return _json_field(exchange, "persistedFaceId", "Add Face")

    def get_face(self, face: FaceRef) -> tuple[str | None, Exchange]:
        """Get Face: the stored userData (None when absent or null) and the exchange."""
        exchange = _expect(self.send("GET", face_path(face.group, face.person, face.face), tag="read-back"),
                           200, "Get Face")
        data = exchange.answer.json() if exchange.answer else None
        if not isinstance(data, dict):
            raise SetupError("Get Face (the answer is not a JSON object)", exchange)
        value = data.get("userData")
        return (value if isinstance(value, str) else None), exchange

    def update_face(self, face: FaceRef, value: str | None, tag: str = "restore") -> Exchange:
        """PATCH the face's userData (used to restore it; `{}` when there was none)."""
        body = json.dumps({"userData": value} if value is not None else {}, ensure_ascii=False).encode()
        return self.send("PATCH", face_path(face.group, face.person, face.face), body=body,
                                headers={"Content-Type": "application/json"}, tag=tag)

    def train(self, group: str) -> Exchange:
        """Train: POST, 202 expected; the exchange is returned for the caller to decide."""
        return self.send("POST", face_path(group, tail="/train"), tag=catalogue.state_row("training"))

    def training_status(self, group: str) -> str | None:
        """Training Status: the status string, or None when it cannot be read."""
        exchange = self.send("GET", face_path(group, tail="/training"), tag=catalogue.state_row("training"))
        data = exchange.answer.json() if exchange.answer and exchange.status == 200 else None
        return data.get("status") if isinstance(data, dict) else None


@dataclass
class Provisioner:
    """Creates (or adopts) the world a run works on and puts everything back afterwards."""

    settings: Settings
    calls: Supporting
    rng: random.Random | None = None
    #: Group IDs to take instead of fresh ones, in order (a replay takes the recorded run's).
    group_ids: list[str] = field(default_factory=list)
    drawn: list[str] = field(default_factory=list)  # every group ID this run used, in order
    attempted_groups: list[str] = field(default_factory=list)
    original: tuple[FaceRef, str | None] | None = None
    restored: bool | None = None
    restore_problem: str | None = None

    def _new_group(self) -> str:
        group = self.group_ids.pop(0) if self.group_ids else new_group_id(rng=self.rng)
        self.drawn.append(group)
        return group

    def setup(self) -> World:
        """Build the world: bring-your-own when a face was named, else provision two groups."""
        if self.settings.bring_your_own:
            return self._adopt()
        return self._provision()

    def _adopt(self) -> World:
        s = self.settings
        face = FaceRef(s.person_group_id or "", s.person_id or "", s.persisted_face_id or "")
        value, _ = self.calls.get_face(face)
        self.original = (face, value)
        world = World(face=face, missing_group=self._new_group())
        world.remember(face, value)
        return world

    def _provision(self) -> World:
        if not operation.current().has_person:
            return self._provision_lists()
        # Two groups, two persons in the first and one in the second (docs/contract.md): a person is
        # then reached through the wrong group (404.person-missing) and a face through the wrong
        # person (404.face-missing), which is how servers that look IDs up globally are caught.
        first, second = self._create_collections()
        p1 = self.calls.create_person(first, "conformance person 1")
        p2 = self.calls.create_person(first, "conformance person 2")
        p3 = self.calls.create_person(second, "conformance person 3")
        face = FaceRef(first, p1, self.calls.add_face(first, p1, self.settings))
        sibling = FaceRef(first, p2, self.calls.add_face(first, p2, self.settings))
        world = World(face=face, sibling=sibling, other_group=second, other_person=p3,
                      missing_group=self._new_group(), other_face=self._other_face(second, p3))
        value, _ = self.calls.get_face(face)
        world.remember(face, value)
        world.remember(sibling, None)
        if world.other_face is not None:
            world.remember(world.other_face, None)
        return world

    def _create_collections(self) -> tuple[str, str]:
        first, second = self._new_group(), self._new_group()
        for group in (first, second):
            # Remember before sending: an interrupt mid-request may still have created it.
            self.attempted_groups.append(group)
            try:
                self.calls.create_group(group)
            except SetupError as exc:
                if (exc.exchange.error or "").startswith("cannot connect"):
                    self.attempted_groups.remove(group)  # never reached the server: nothing to delete
                raise
        return first, second

    def _provision_lists(self) -> World:
        # Two lists, a face each (docs/contract.md, The family): a face of the other list reached
        # through this one is the missing face, which catches a server that looks faces up globally.
        first, second = self._create_collections()
        face = FaceRef(first, "", self.calls.add_face(first, "", self.settings))
        world = World(face=face, other_group=second, other_person="", missing_group=self._new_group(),
                      other_face=self._other_face(second, ""))
        value, _ = self.calls.get_face(face)
        world.remember(face, value)
        if world.other_face is not None:
            world.remember(world.other_face, None)
        return world

    def _other_face(self, group: str, person: str) -> FaceRef | None:
        """A face in the second group, so that x.isolation can update a face of an idle group.

        Optional: without it (a recording made before it was added, an endpoint that refused it)
        the run goes on, and x.isolation looks at the idle group through a missing face instead.
        """
        try:
            return FaceRef(group, person, self.calls.add_face(group, person, self.settings))
        except SetupError:
            return None

    def teardown(self) -> list[str]:
        """Delete what was created, or restore what was adopted; returns problems to report."""
        if self.original is not None:
            return self._restore()
        problems = []
        for group in list(self.attempted_groups):
            try:
                exchange = self.calls.delete_group(group)
            except Inconclusive as exc:  # quota or access gone: no further call can succeed either
                left = ", ".join(self.attempted_groups)
                problems.append(f"could not delete {operation.current().noun}(s) {left}: {exc}; "
                                "run `face-conformance cleanup` to remove them once the endpoint answers again")
                break
            if exchange.status in (200, 404):
                self.attempted_groups.remove(group)
            else:
                problems.append(f"could not delete {operation.current().noun} {group}: {exchange.describe_answer()}; "
                                "run `face-conformance cleanup` to remove it")
        return problems

    def _restore(self) -> list[str]:
        assert self.original is not None
        face, value = self.original
        why = ""
        for attempt in range(3):
            try:
                exchange = self.calls.update_face(face, value)
                try:
                    now, _ = self.calls.get_face(face)
                except SetupError as exc:
                    now, self.restore_problem = object(), str(exc)
            except Inconclusive as exc:  # quota or access gone: say so, and what to put back
                why = f" ({exc})"
                break
            if exchange.status == 200 and now == value:
                self.restored = True
                return []
            self.calls.sleep(0.5 * (attempt + 1))
        self.restored = False
        self.restore_problem = (
            f"COULD NOT RESTORE the userData of face {face.face} (person {face.person}, group {face.group}){why}: "
            f"it was {value!r}; set it back by hand"
        )
        return [self.restore_problem]


def cleanup(calls: Supporting) -> tuple[list[str], list[str]]:
    """Delete every leftover `conformance-*` collection of every kind the family has: (deleted, problems).

    Each deleted collection is named with its kind ("large face list conformance-…").

    Each kind is listed on the selected API version; a kind the endpoint does not have (404: a
    service of one operation only) is a problem to report, not the end of the clean-up.
    """
    deleted, problems = [], []
    version = operation.current().version
    for name in operation.operation_names():
        kind = operation.get(name, version)
        try:
            collections = calls.list_groups(kind)
        except SetupError as exc:
            if exc.exchange.status != 404:
                raise  # a wrong key, a quota: no other call can succeed either
            problems.append(f"{kind.noun}s could not be listed: {exc}")  # a service without this kind
            continue
        for group in collections:
            gid = str(group.get(kind.container, ""))
            if not gid.startswith(GROUP_PREFIX):
                continue
            exchange = calls.delete_group(gid, kind)
            if exchange.status == 200:
                deleted.append(f"{kind.noun} {gid}")
            else:
                problems.append(f"{kind.noun} {gid}: {exchange.describe_answer()}")
    return deleted, problems

