"""The zoo's variants of the family's own rows: what differs between person groups, large person
groups and large face lists (docs/contract.md, "The family").

Broken: a large collection's 404 answered with the person group's code; a face list that finds a
face of any list; a large collection's 409 during training with the person group's code.
Conformant: a large collection that refuses updates while it trains (409; the default takes them),
and a v1.2 service that answers with v1.0's error shapes (the page's, also allowed on v1.2).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx

from face_conformance.reference.model import Face, FaceOwner
from face_conformance.reference.service import ReferenceConfig, ReferenceService
from face_conformance.zoo.registry import register

LARGE = ("largepersongroup", "largefacelist")
#: This module's variants: the kill test runs each on every operation where its difference exists.
FAMILY_VARIANTS = ("large-404-says-person-group", "large-training-409-says-person-group",
                   "face-list-finds-faces-anywhere", "large-training-conflicts", "v1.2-with-page-shapes")


class PageCode(ReferenceService):
    """Base: a large collection answers `ROWS` with the person group's code (`CODE`)."""

    ROWS: tuple[str, ...] = ()
    CODE = ""

    def error(self, row_id: str, **fmt: Any) -> httpx.Response:
        """The reference's answer, with the person group's code where a large collection has its own."""
        response = super().error(row_id, **fmt)
        if row_id not in self.ROWS or not self.collection.large:
            return response
        error = dict(json.loads(response.content)["error"])
        error["code"] = self.CODE
        return self.error_response(response.status_code, error)


@register("large-404-says-person-group", "broken", "404.group-missing",
          "a large collection's missing or malformed ID gets 404 PersonGroupNotFound, the person group's code",
          also=("404.group-invalid",), operations=LARGE)
class LargeNotFoundSaysPersonGroup(PageCode):
    ROWS = ("404.group-missing", "404.group-invalid")
    CODE = "PersonGroupNotFound"


@register("large-training-409-says-person-group", "broken", "409.training",
          "a large collection refuses an update while it trains with 409 PersonGroupTrainingNotFinished, "
          "the person group's code", operations=LARGE)
class LargeTrainingSaysPersonGroup(PageCode):
    ROWS = ("409.training",)
    CODE = "PersonGroupTrainingNotFinished"

    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(dataclasses.replace(config or ReferenceConfig(), large_training_conflict=True))


@register("face-list-finds-faces-anywhere", "broken", "404.face-missing",
          "a large face list finds (and updates) a face of any large face list, not only its own",
          also=("x.isolation", "x.no-change-on-error", "x.read-after-write"), operations=("largefacelist",))
class FaceListFindsFacesAnywhere(ReferenceService):
    def resolve_face_of(self, person: FaceOwner, face_id: str) -> Face:
        """The face of the list; failing that, of any list of its kind."""
        if self.collection.has_persons or not self.guid_is_valid(face_id) or self.model.face(person, face_id):
            return super().resolve_face_of(person, face_id)
        for group in self.model.list_groups(None, 100_000, self.collection.kind):
            found = self.model.face(group, face_id)
            if found is not None:
                return found
        return super().resolve_face_of(person, face_id)


@register("large-training-conflicts", "conformant", "409.training",
          "a large collection refuses updates while it trains (409 with its own code; the reference takes them)")
class LargeTrainingConflicts(ReferenceService):
    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(dataclasses.replace(config or ReferenceConfig(), large_training_conflict=True))


@register("v1.2-with-page-shapes", "conformant", "401.invalid-key",
          "v1.2 in v1.0's shapes: 401 Unspecified, 429 statusCode, no operation-Location, lower-case status")
class V12WithPageShapes(ReferenceService):
    def __init__(self, config: ReferenceConfig | None = None) -> None:
        super().__init__(dataclasses.replace(
            config or ReferenceConfig(), v1_2_code_401=False, v1_2_code_429=False, v1_2_error_code_header=False,
            v1_2_operation_location=False, v1_2_camel_case_status=False))
