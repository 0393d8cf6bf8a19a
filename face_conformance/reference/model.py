"""The state of the reference service: person groups, their persons, and the persons' faces.

One lock guards the structure (which groups, persons and faces exist); each face also carries a
write lock of its own, which the service holds while it updates that face's userData, so that two
overlapping updates of one face can be told apart from two updates of different faces.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


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
    """A person group: its persons (keyed by lower-case personId) and its training state."""

    group_id: str
    name: str
    user_data: str | None
    created_at: datetime
    persons: dict[str, Person] = field(default_factory=dict)
    # Monotonic time decides whether training still runs; wall time is only for the answer.
    training_started: float | None = None
    training_started_at: datetime | None = None


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
    """Groups -> persons -> faces, safe to use from many threads at once."""

    def __init__(self, new_id: Callable[[], str] | None = None) -> None:
        self._new_id = new_id or GuidSource()
        self._lock = threading.RLock()
        self._groups: dict[str, Group] = {}

    def create_group(self, group_id: str, name: str, user_data: str | None, now: datetime) -> Group | None:
        """Create a group; None if one with this ID exists already."""
        with self._lock:
            if group_id in self._groups:
                return None
            group = Group(group_id=group_id, name=name, user_data=user_data, created_at=now)
            self._groups[group_id] = group
            return group

    def delete_group(self, group_id: str) -> bool:
        """Delete a group with its persons and faces; False if there was none."""
        with self._lock:
            return self._groups.pop(group_id, None) is not None

    def group(self, group_id: str) -> Group | None:
        """The group with this ID, if any."""
        with self._lock:
            return self._groups.get(group_id)

    def list_groups(self, start: str | None, top: int) -> list[Group]:
        """At most `top` groups sorted by ID, those with an ID greater than `start` only."""
        with self._lock:
            ids = sorted(g for g in self._groups if start is None or g > start)
            return [self._groups[g] for g in ids[:top]]

    def person(self, group: Group, person_id: str) -> Person | None:
        """The person of this group with this ID (GUIDs compare case-insensitively)."""
        with self._lock:
            return group.persons.get(person_id.lower())

    def face(self, person: Person, face_id: str) -> Face | None:
        """The face of this person with this ID (GUIDs compare case-insensitively)."""
        with self._lock:
            return person.faces.get(face_id.lower())

    def add_person(self, group: Group, name: str, user_data: str | None) -> Person:
        """Create a person in the group, with a new GUID."""
        with self._lock:
            person = Person(person_id=self._new_id(), name=name, user_data=user_data)
            group.persons[person.person_id] = person
            return person

    def add_face(self, person: Person, user_data: str | None) -> Face:
        """Attach a new face to the person, with a new GUID."""
        with self._lock:
            face = Face(face_id=self._new_id(), user_data=user_data)
            person.faces[face.face_id] = face
            return face

    def start_training(self, group: Group, started: float, started_at: datetime) -> None:
        """Record that training of the group began at these (monotonic, wall) times."""
        with self._lock:
            group.training_started = started
            group.training_started_at = started_at
