"""The reference's own answer table: each kind of collection, its path, its codes and messages.

The reference answers all three operations of the family (docs/contract.md, "The family") at
once, on every API version, so it cannot take its codes from the catalogue, which follows the one
operation a run selected. It keeps this table instead: an independent reading of the contract and
of Azure's error-code reference, so that a slip in the catalogue's row changes shows up as a
disagreement between the suite and the reference rather than being copied into both.

Inside the reference a row is named by the page's ID (`404.group-missing`) on every collection;
the collection decides the code and the message. The suite calls a large face list's two rows
`404.list-invalid` and `404.list-missing`; `PAGE_IDS` takes those names back to the page's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from face_conformance.reference.model import LARGE_FACE_LIST, LARGE_PERSON_GROUP, PERSON_GROUP

#: The API versions served, each under /face/<version>; the first is the page's.
API_VERSIONS = ("v1.0", "v1.2")
DEFAULT_VERSION = API_VERSIONS[0]
V1_2 = "v1.2"


class Answer(NamedTuple):
    """One row's error answer: its status, envelope (`code` or `statusCode`), code and message."""

    status: int
    envelope: str
    code: str | None
    message: str


#: The page's rows (PersonGroup Person - Update Face, API v1.0), with the page's example messages.
PAGE_ANSWERS: Mapping[str, Answer] = {
    "400.userdata-too-long": Answer(400, "code", "BadArgument", "'userData' is too long."),
    "400.bad-json": Answer(400, "code", "BadArgument", "Request body is invalid."),
    "400.name-too-long": Answer(400, "code", "BadArgument", "'name' is too long."),
    "401.invalid-key": Answer(
        401, "code", "Unspecified",
        "Access denied due to invalid subscription key. Make sure you are subscribed to an API you are "
        "trying to call and provide the right key.",
    ),
    "403.quota": Answer(403, "statusCode", None, "Out of call volume quota. Quota will be replenished in 2.12 days."),
    "404.face-invalid": Answer(404, "code", "PersistedFaceNotFound", "Invalid Face ID."),
    "404.face-missing": Answer(404, "code", "PersistedFaceNotFound", "Face not found."),
    "404.group-invalid": Answer(
        404, "code", "PersonGroupNotFound",
        "Invalid person group ID. Valid format should be a string composed by numbers, English letters in "
        "lower case, '-', '_', and no longer than 64 characters.",
    ),
    "404.group-missing": Answer(404, "code", "PersonGroupNotFound", "Person group 'sample_group' is not found."),
    "404.person-invalid": Answer(404, "code", "PersonNotFound", "Invalid Person ID."),
    "404.person-missing": Answer(404, "code", "PersonNotFound", "Person ID not found."),
    "409.training": Answer(
        409, "code", "PersonGroupTrainingNotFinished", "Person group 'sample_group' is under training."
    ),
    "409.concurrent": Answer(
        409, "code", "ConcurrentOperationConflict", "There is a conflict operation on resource. Please try again later."
    ),
    "415.media-type": Answer(415, "code", "BadArgument", "Invalid Media Type"),
    "429.rate-limit": Answer(429, "statusCode", None, "Rate limit is exceeded. Try again in 26 seconds."),
}
#: The suite's names of rows that a large face list renames, and the page's row each one is.
PAGE_IDS: Mapping[str, str] = {"404.list-invalid": "404.group-invalid", "404.list-missing": "404.group-missing"}


@dataclass(frozen=True)
class Collection:
    """One kind of face collection: where it lives, whether it has persons, how it answers.

    `answers` holds (code, message) for the rows where the collection differs from the page;
    `exists` is Create's 409 (its message may name `{id}`); `not_trained` is Training Status's 404
    before any Train, None where that answer is 200 `notstarted` (person groups).
    """

    kind: str  # model.KINDS: the operation's name in `x-operations`
    segment: str  # the path segment, lower case
    id_field: str  # the collection's ID in List and Get answers
    has_persons: bool
    large: bool  # large collections take writes while they train
    exists: tuple[str, str]
    not_trained: tuple[str, str] | None = None
    answers: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def answer(self, row_id: str) -> Answer:
        """The row's answer on this collection; KeyError for a row with no answer (a cross-cutting one)."""
        page_id = PAGE_IDS.get(row_id, row_id)
        if page_id not in PAGE_ANSWERS:
            raise KeyError(f"no error answer for row {row_id!r} (a cross-cutting row has none)")
        found = PAGE_ANSWERS[page_id]
        if page_id in self.answers:
            code, message = self.answers[page_id]
            found = found._replace(code=code, message=message)
        return found


#: The large collections' 404s on the person and the face, from Azure's error-code reference.
_LARGE_PERSON_AND_FACE = {
    "404.person-invalid": ("PersonNotFound", "Person ID is invalid."),
    "404.person-missing": ("PersonNotFound", "Person is not found."),
    "404.face-invalid": ("PersistedFaceNotFound", "Persisted face ID is invalid."),
    "404.face-missing": ("PersistedFaceNotFound", "Persisted face is not found."),
}

PERSON_GROUPS = Collection(
    kind=PERSON_GROUP, segment="persongroups", id_field="personGroupId", has_persons=True, large=False,
    exists=("PersonGroupExists", "Person group '{id}' already exists."),
)
LARGE_PERSON_GROUPS = Collection(
    kind=LARGE_PERSON_GROUP, segment="largepersongroups", id_field="largePersonGroupId", has_persons=True,
    large=True,
    exists=("LargePersonGroupExists", "Large person group already exists."),
    not_trained=("LargePersonGroupNotTrained", "Large person group not trained."),
    answers={
        "404.group-invalid": ("LargePersonGroupNotFound", "Large person group ID is invalid."),
        "404.group-missing": ("LargePersonGroupNotFound", "Large person group is not found."),
        "409.training": ("LargePersonGroupTrainingNotFinished", "Large person group is under training."),
        **_LARGE_PERSON_AND_FACE,
    },
)
LARGE_FACE_LISTS = Collection(
    kind=LARGE_FACE_LIST, segment="largefacelists", id_field="largeFaceListId", has_persons=False, large=True,
    exists=("LargeFaceListExists", "Large face list already exists."),
    not_trained=("LargeFaceListNotTrained", "Large face list not trained."),
    answers={
        "404.group-invalid": ("LargeFaceListNotFound", "Large face list ID is invalid."),
        "404.group-missing": ("LargeFaceListNotFound", "Large face list is not found."),
        "409.training": ("LargeFaceListTrainingNotFinished", "Large face list is under training."),
        **_LARGE_PERSON_AND_FACE,
    },
)
COLLECTIONS = (PERSON_GROUPS, LARGE_PERSON_GROUPS, LARGE_FACE_LISTS)
BY_SEGMENT: Mapping[str, Collection] = {c.segment: c for c in COLLECTIONS}
BY_KIND: Mapping[str, Collection] = {c.kind: c for c in COLLECTIONS}


class Answering(NamedTuple):
    """What the request in hand addresses: its API version and its kind of collection."""

    version: str
    collection: Collection


#: Outside any request (a test calling `error` directly), the page's collection and version.
PAGE = Answering(DEFAULT_VERSION, PERSON_GROUPS)


def answering(segments: list[str] | None, version: str | None) -> Answering:
    """The version and collection of a path: its segments under /face/<version>, as the service split them."""
    collection = BY_SEGMENT.get(segments[0].lower(), PERSON_GROUPS) if segments else PERSON_GROUPS
    return Answering(version or DEFAULT_VERSION, collection)
