"""The state of the reference service: its face collections, their persons, and the faces.

Three kinds of collection share one shape (`Group`): a person group and a large person group hold
persons, each with faces; a large face list holds faces of its own and no persons. Each kind has
its own namespace, as on Azure: a person group `g1` and a large face list `g1` are two collections.

One lock guards the structure (which collections, persons and faces exist); each face also carries
a write lock of its own, which the service holds while it updates that face's userData, so that
two overlapping updates of one face can be told apart from two updates of different faces.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

#: The kinds of collection, named as the operations of `x-operations` are (cases.operation).
PERSON_GROUP = "persongroup"
LARGE_PERSON_GROUP = "largepersongroup"
LARGE_FACE_LIST = "largefacelist"
KINDS = (PERSON_GROUP, LARGE_PERSON_GROUP, LARGE_FACE_LIST)


@dataclass
class Face:
    """A persisted face and the userData attached to it."""

    face_id: str
    user_data: str | None = None
    write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


@dataclass
class Person:
    """A person of a group, with its faces keyed by lower-case persistedFaceId."""

    person_id: str
    name: str
    user_data: str | None = None
    faces: dict[str, Face] = field(default_factory=dict)


@dataclass
class Group:
    """A collection: its persons (keyed by lower-case personId) or, for a face list, its own faces.

    `kind` is one of KINDS. A person group or large person group keeps `faces` empty; a large face
    list keeps `persons` empty.
    """

    group_id: str
    name: str
    user_data: str | None
    created_at: datetime
    persons: dict[str, Person] = field(default_factory=dict)
    # Monotonic time decides whether training still runs; wall time is only for the answer.
    training_started: float | None = None
    training_started_at: datetime | None = None
    kind: str = PERSON_GROUP
    faces: dict[str, Face] = field(default_factory=dict)


#: What faces hang off: a person, or a face list itself.
FaceOwner = Person | Group


class GuidSource:
    """Makes GUIDs: repeatable from a seed (so evidence repeats across runs), else uuid4."""

    def __init__(self, seed: int | str | None = None) -> None:
        self._random = random.Random(seed) if seed is not None else None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        """A new GUID in canonical lower-case 8-4-4-4-12 form."""
        if self._random is None:
            return str(uuid.uuid4())
        with self._lock:
            bits = self._random.getrandbits(128)
        return str(uuid.UUID(int=bits, version=4))


class FaceModel:
    """Collections -> persons -> faces (or collections -> faces), safe to use from many threads at once.

    Every collection method takes the kind, person groups by default.
    """

    def __init__(self, new_id: Callable[[], str] | None = None) -> None:
        self._new_id = new_id or GuidSource()
        self._lock = threading.RLock()
        self._groups: dict[str, dict[str, Group]] = {kind: {} for kind in KINDS}

    def _of(self, kind: str) -> dict[str, Group]:
        try:
            return self._groups[kind]
        except KeyError:
            raise ValueError(f"unknown kind of collection {kind!r}; expected one of {', '.join(KINDS)}") from None

    def create_group(
        self, group_id: str, name: str, user_data: str | None, now: datetime, kind: str = PERSON_GROUP
    ) -> Group | None:
        """Create a collection; None if one of this kind with this ID exists already."""
        with self._lock:
            groups = self._of(kind)
            if group_id in groups:
                return None
            group = Group(group_id=group_id, name=name, user_data=user_data, created_at=now, kind=kind)
            groups[group_id] = group
            return group

    def delete_group(self, group_id: str, kind: str = PERSON_GROUP) -> bool:
        """Delete a collection with its persons and faces; False if there was none."""
        with self._lock:
            return self._of(kind).pop(group_id, None) is not None

    def group(self, group_id: str, kind: str = PERSON_GROUP) -> Group | None:
        """The collection of this kind with this ID, if any."""
        with self._lock:
            return self._of(kind).get(group_id)

    def list_groups(self, start: str | None, top: int, kind: str = PERSON_GROUP) -> list[Group]:
        """At most `top` collections of a kind sorted by ID, those with an ID greater than `start` only."""
        with self._lock:
            groups = self._of(kind)
            ids = sorted(g for g in groups if start is None or g > start)
            return [groups[g] for g in ids[:top]]

    def person(self, group: Group, person_id: str) -> Person | None:
        """The person of this group with this ID (GUIDs compare case-insensitively)."""
        with self._lock:
            return group.persons.get(person_id.lower())

    def face(self, owner: FaceOwner, face_id: str) -> Face | None:
        """The face of this person (or face list) with this ID (GUIDs compare case-insensitively)."""
        with self._lock:
            return owner.faces.get(face_id.lower())

    def list_faces(self, owner: FaceOwner, start: str | None, top: int) -> list[Face]:
        """At most `top` faces of the owner sorted by ID, those with an ID greater than `start` only."""
        with self._lock:
            ids = sorted(f for f in owner.faces if start is None or f > start.lower())
            return [owner.faces[f] for f in ids[:top]]

    def face_ids(self, owner: FaceOwner) -> list[str]:
        """The IDs of the owner's faces, in the order they were added."""
        with self._lock:
            return [face.face_id for face in owner.faces.values()]

    def add_person(self, group: Group, name: str, user_data: str | None) -> Person:
        """Create a person in the group, with a new GUID."""
        with self._lock:
            person = Person(person_id=self._new_id(), name=name, user_data=user_data)
            group.persons[person.person_id] = person
            return person

    def add_face(self, owner: FaceOwner, user_data: str | None) -> Face:
        """Attach a new face to the person (or face list), with a new GUID."""
        with self._lock:
            face = Face(face_id=self._new_id(), user_data=user_data)
            owner.faces[face.face_id] = face
            return face

    def delete_face(self, owner: FaceOwner, face_id: str) -> bool:
        """Remove a face from its person (or face list); False if it had none of this ID."""
        with self._lock:
            return owner.faces.pop(face_id.lower(), None) is not None

    def start_training(self, group: Group, started: float, started_at: datetime) -> None:
        """Record that training of the collection began at these (monotonic, wall) times."""
        with self._lock:
            group.training_started = started
            group.training_started_at = started_at
