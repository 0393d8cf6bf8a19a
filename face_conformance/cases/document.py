"""The OpenAPI document the suite is written from: where it is, and its parsed contents."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def document_path() -> Path:
    """Where the OpenAPI document is: shipped inside the wheel, or the checkout's `openapi/`."""
    shipped = resources.files("face_conformance").joinpath("_openapi/face-v1.0.yaml")
    if shipped.is_file():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[2] / "openapi" / "face-v1.0.yaml"


@cache
def load_document() -> dict[str, Any]:
    """The OpenAPI document as a dict (cached; treat as read-only)."""
    with document_path().open(encoding="utf-8") as fh:
        # libyaml's loader when built (8x faster: the document is read in every process).
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
