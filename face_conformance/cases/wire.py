"""How the operation under test is spelled on the wire: its base path, path segments and key header.

The paths are the selected operation's (`cases.operation`): the page's person group on v1.0
unless a run selects another operation of the family or another API version.
"""

from __future__ import annotations

from face_conformance.cases import operation
from face_conformance.cases.operation import segment

__all__ = ["FACE_BASE", "KEY_HEADER", "face_path", "faces_path", "segment"]

#: The page's base path (API v1.0); `operation.current().base` is the selected version's.
FACE_BASE = "/face/v1.0"
#: The one credential the page documents.
KEY_HEADER = "Ocp-Apim-Subscription-Key"


def face_path(group: str, person: str | None = None, face: str | None = None, *, tail: str = "") -> str:
    """A path of the selected operation (its collection, person if it has one, face), each ID one encoded segment."""
    return operation.current().path(group, person, face, tail=tail)


def faces_path(group: str, person: str | None = None) -> str:
    """The selected operation's face collection of a container (where Add Face posts)."""
    return operation.current().faces_path(group, person)
