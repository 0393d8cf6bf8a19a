"""The variant registry: name -> how to build the service, what it breaks or allows, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from face_conformance.reference import ReferenceConfig, ReferenceService

KINDS = ("broken", "conformant", "hostile")


@dataclass(frozen=True)
class Variant:
    """One server of the zoo: `row` is the CONTRACT.md row a broken variant breaks."""

    name: str
    kind: str
    row: str | None
    description: str
    build: Callable[[ReferenceConfig], ReferenceService]


VARIANTS: dict[str, Variant] = {}


def register(name: str, kind: str, row: str | None, description: str
             ) -> Callable[[type[ReferenceService]], type[ReferenceService]]:
    """Class decorator: register a ReferenceService subclass as a zoo variant."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")

    def wrap(cls: type[ReferenceService]) -> type[ReferenceService]:
        if name in VARIANTS:
            raise ValueError(f"variant {name!r} registered twice")
        VARIANTS[name] = Variant(name, kind, row, description, cls)
        return cls

    return wrap


def variant_names(kind: str | None = None) -> list[str]:
    """Variant names, optionally of one kind, in registration order."""
    _load()
    return [v.name for v in VARIANTS.values() if kind is None or v.kind == kind]


def _load() -> None:
    """Import the modules that register variants (once)."""
    from face_conformance.zoo import broken, conformant, hostile  # noqa: F401
