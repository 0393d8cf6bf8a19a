"""The operation under test: which Update Face of the family, on which API version.

The family's operations (`x-operations` in the OpenAPI document) share the request body, the
limit, the answers and the checks; each says where its path differs and which rows change or do
not apply. A run selects one operation and one version (`select`) before anything reads the
catalogue; every path the suite sends and every row it judges is then that operation's. Adding a
fourth operation of the same shape is an entry of `x-operations` (and its provisioning).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

from face_conformance.cases.document import load_document

DEFAULT_OPERATION = "persongroup"
DEFAULT_VERSION = "v1.0"
#: The closed format of an `x-operations` entry, of one of its row changes, and of an `x-api-versions` entry.
OPERATION_KEYS = frozenset({"title", "path", "container", "noun", "rows"})
ROW_CHANGE_KEYS = frozenset({"id", "code", "message", "when", "level", "not-applicable", "training"})
VERSION_KEYS = frozenset({"base", "codes", "training-status"})
#: The trigger parts of the path, in the page's lookup order; the first names the collection's ID.
PATH_PARTS = ("personGroupId", "personId", "persistedFaceId")
TRAINING_READINGS = ("must", "either")


class OperationError(ValueError):
    """An unknown operation or version, or an `x-operations` entry outside its closed format."""


def segment(value: str) -> str:
    """One path segment, percent-encoded unless the caller already encoded it on purpose."""
    return value if "%" in value else quote(value, safe="-_.~!$&'()*+,;=:@")


@dataclass(frozen=True)
class Operation:
    """One operation of the family on one API version: how its path is spelled and how its rows differ."""

    name: str
    version: str
    title: str
    noun: str  # what the collection is called in words ("large face list")
    template: str  # the path under the version's base, with {parameter} names
    container: str  # the path parameter naming the collection (personGroupId, largeFaceListId, ...)
    base: str  # /face/v1.0
    row_changes: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, hash=False)
    extra_codes: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)
    training_statuses: tuple[str, ...] = ("notstarted", "running", "succeeded", "failed")

    @property
    def key(self) -> tuple[str, str]:
        """(name, version): what a cache of per-operation data is keyed by."""
        return (self.name, self.version)

    @property
    def literals(self) -> tuple[str, ...]:
        """The template's literal segments: the collection, then `persons` (if any), then the faces."""
        return tuple(s for s in self.template.strip("/").split("/") if not s.startswith("{"))

    @property
    def collection(self) -> str:
        """The collection's path segment (`persongroups`, `largefacelists`)."""
        return self.literals[0]

    @property
    def faces_segment(self) -> str:
        """The faces' path segment, spelled as the documentation spells it (`persistedFaces`, `persistedfaces`)."""
        return self.literals[-1]

    @property
    def has_person(self) -> bool:
        """Whether the path has a person between the collection and the face."""
        return "{personId}" in self.template

    @property
    def path_parts(self) -> tuple[str, ...]:
        """The trigger parts this operation's path has, in lookup order."""
        return tuple(p for p in PATH_PARTS if p != "personId" or self.has_person)

    @property
    def patch_path(self) -> str:
        """The PATCH's full path template (`/face/v1.2/largefacelists/{largeFaceListId}/...`)."""
        return self.base + self.template

    @property
    def label(self) -> str:
        """The operation and version in words, for reports: 'LargeFaceList - Update Face, API v1.2'."""
        return f"{self.title}, API {self.version}"

    def has_part(self, part: str) -> bool:
        """Whether a request part (catalogue.REQUEST_PARTS) exists in this operation (a face list has no person)."""
        return part not in PATH_PARTS or part in self.path_parts

    def parameter_name(self, part: str) -> str:
        """The path parameter a trigger part is in this operation (the collection's ID has its own name)."""
        return self.container if part == "personGroupId" else part

    def path(self, group: str, person: str | None = None, face: str | None = None, *, tail: str = "") -> str:
        """A path of this operation, each ID one encoded segment; the person is left out where there is none."""
        path = f"{self.base}/{self.collection}/{segment(group)}"
        if person is not None and self.has_person:
            path += f"/persons/{segment(person)}"
        if face is not None:
            path += f"/{self.faces_segment}/{segment(face)}"
        return path + tail

    def faces_path(self, group: str, person: str | None = None) -> str:
        """The collection a face is added to (Add Face's path)."""
        return self.path(group, person, tail=f"/{self.faces_segment}")

    def training_reading(self) -> str:
        """`must` when an update during training must get 409, `either` when 200 conforms too."""
        return str(self.row_changes.get("409.training", {}).get("training", "must"))


def _closed(where: str, data: Any, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise OperationError(f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise OperationError(f"{where}: unknown key(s) {names}; allowed: {', '.join(sorted(allowed))}")
    return data


def operation_names() -> tuple[str, ...]:
    """The operations the document describes, the default first."""
    return tuple(load_document().get("x-operations", {}))


def version_names() -> tuple[str, ...]:
    """The API versions the document describes, the default first."""
    return tuple(load_document().get("x-api-versions", {}))


@cache
def get(name: str = DEFAULT_OPERATION, version: str = DEFAULT_VERSION) -> Operation:
    """One operation on one version, read from the document; OperationError names what is unknown."""
    operations = load_document().get("x-operations", {})
    versions = load_document().get("x-api-versions", {})
    if name not in operations:
        raise OperationError(f"unknown operation {name!r}; expected one of {', '.join(operations)}")
    if version not in versions:
        raise OperationError(f"unknown API version {version!r}; expected one of {', '.join(versions)}")
    data = _closed(f"operation {name}", operations[name], OPERATION_KEYS)
    ver = _closed(f"API version {version}", versions[version], VERSION_KEYS)
    changes = {}
    for row_id, change in (data.get("rows") or {}).items():
        changes[row_id] = dict(_closed(f"operation {name} row {row_id}", change, ROW_CHANGE_KEYS))
        reading = changes[row_id].get("training", "must")
        if reading not in TRAINING_READINGS:
            raise OperationError(f"operation {name} row {row_id}: training must be one of "
                                 f"{', '.join(TRAINING_READINGS)}")
    if not re.fullmatch(r"(/[A-Za-z]+/\{\w+\})+/[A-Za-z]+/\{persistedFaceId\}", str(data.get("path", ""))):
        raise OperationError(f"operation {name}: path must be /collection/{{id}}/.../faces/{{persistedFaceId}}")
    return Operation(
        name=name, version=version, title=str(data["title"]), noun=str(data.get("noun", name)),
        template=str(data["path"]), container=str(data["container"]), base=str(ver["base"]),
        row_changes=changes,
        extra_codes={k: tuple(map(str, v)) for k, v in (ver.get("codes") or {}).items()},
        training_statuses=tuple(ver.get("training-status") or Operation.training_statuses),
    )


_lock = threading.Lock()
_current: list[Operation] = []


def current() -> Operation:
    """The operation a run addresses (the page's, on v1.0, until one is selected)."""
    return _current[-1] if _current else get()


def select(name: str = DEFAULT_OPERATION, version: str = DEFAULT_VERSION) -> Operation:
    """Make this operation the one every path and row refers to, for the rest of the process."""
    chosen = get(name, version)
    with _lock:
        _current[:] = [chosen]
    return chosen


@contextlib.contextmanager
def using(name: str = DEFAULT_OPERATION, version: str = DEFAULT_VERSION) -> Iterator[Operation]:
    """The operation selected for the block, and the one before it again afterwards (tests, replays)."""
    before = current()
    chosen = select(name, version)
    try:
        yield chosen
    finally:
        select(before.name, before.version)
