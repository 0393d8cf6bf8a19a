"""What the suite knows about the server's resources: the faces it works on and their userData."""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FaceRef:
    """One persisted face, addressed by its group, person and face IDs."""

    group: str
    person: str
    face: str


@dataclass
class World:
    """The resources a run works on, and the userData the suite believes each face holds.

    `face` is the face under test; `sibling` is another person's face in the same group (for
    404.face-missing through the wrong person); `other_person` is a person of the second group (for
    404.person-missing through the wrong group). `missing_group` is well-formed and does not exist.
    """

    face: FaceRef
    missing_group: str
    sibling: FaceRef | None = None
    other_group: str | None = None
    other_person: str | None = None
    other_face: FaceRef | None = None  # other_person's face, in the other group (x.isolation updates it)
    stored: dict[str, str | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def faces(self) -> tuple[FaceRef, ...]:
        """Every real face the suite knows of."""
        return tuple(f for f in (self.face, self.sibling, self.other_face) if f is not None)

    def groups(self) -> set[str]:
        """Group IDs known to exist."""
        return {g for g in (self.face.group, self.other_group) if g}

    def persons_of(self, group: str) -> set[str]:
        """Person IDs known to belong to a group, lower-cased (GUIDs compare without case)."""
        persons = {f.person.lower() for f in self.faces if f.group == group}
        if group == self.other_group and self.other_person:
            persons.add(self.other_person.lower())
        return persons

    def all_persons(self) -> set[str]:
        """Every person ID the run knows, in any group, lower-cased."""
        persons = {f.person.lower() for f in self.faces}
        return persons | ({self.other_person.lower()} if self.other_person else set())

    def faces_of(self, group: str, person: str) -> set[str]:
        """Face IDs known to belong to a person of a group, lower-cased."""
        return {f.face.lower() for f in self.faces if f.group == group and f.person.lower() == person.lower()}

    def face_named(self, face_id: str) -> FaceRef | None:
        """The known face with this ID, whatever path it was reached through."""
        return next((f for f in self.faces if f.face.lower() == face_id.lower()), None)

    def remember(self, face: FaceRef, value: str | None) -> None:
        """Record what a face now stores."""
        with self._lock:
            self.stored[face.face] = value

    def believed(self, face: FaceRef) -> str | None:
        """What the suite believes a face stores."""
        with self._lock:
            return self.stored.get(face.face)


def new_group_id(prefix: str = "conformance-", rng: object | None = None) -> str:
    """A fresh, well-formed person group ID with a random suffix."""
    suffix = uuid.UUID(int=rng.getrandbits(128)).hex[:12] if rng is not None else uuid.uuid4().hex[:12]  # type: ignore[attr-defined]
    return f"{prefix}{suffix}"


def unknown_guid(seed_text: str | None = None) -> str:
    """A well-formed GUID that names nothing on the server; stable for the same seed text."""
    if seed_text is not None:
        digest = hashlib.sha256(f"face-conformance:{seed_text}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))
    return str(uuid.uuid4())
