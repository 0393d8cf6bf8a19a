"""How the operation under test is spelled on the wire: its base path, path segments and key header."""

from __future__ import annotations

from urllib.parse import quote

FACE_BASE = "/face/v1.0"
#: The one credential the page documents.
KEY_HEADER = "Ocp-Apim-Subscription-Key"


def segment(value: str) -> str:
    """One path segment, percent-encoded unless the caller already encoded it on purpose."""
    return value if "%" in value else quote(value, safe="-_.~!$&'()*+,;=:@")


def face_path(group: str, person: str | None = None, face: str | None = None, *, tail: str = "") -> str:
    """A path under /face/v1.0/persongroups, with each ID as one encoded segment."""
    path = f"{FACE_BASE}/persongroups/{segment(group)}"
    if person is not None:
        path += f"/persons/{segment(person)}"
    if face is not None:
        path += f"/persistedFaces/{segment(face)}"
    return path + tail
