"""The variant registry: name -> how to build the service, what it breaks or allows, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from face_conformance.cases.catalogue import PROFILES
from face_conformance.reference import ReferenceConfig, ReferenceService

KINDS = ("broken", "conformant", "hostile")


@dataclass(frozen=True)
class Variant:
    """One server of the zoo.

    `row` is the docs/contract.md row a broken variant breaks (for a conformant one, the row whose
    latitude it takes; hostile ones name none). `also` lists the rows that may fail with it because
    they judge the same answer (a 5xx also breaks `x.documented-status`); nothing else may fail.
    `profile` is the smallest suite profile whose requests reach the difference; `mock` is False
    when the difference lives on the wire (a `WireFault`), where mock mode cannot see it.
    `operations` names the operations of the family whose answers the difference is in (empty: every
    operation where its row applies), `versions` the API versions where it is a fault (empty: all;
    v1.2 allows a 401's code "401", for one); its `row` is named by the page's ID (the suite's own
    ID for an operation is `catalogue.current_id` of it).
    """

    name: str
    kind: str
    row: str | None
    description: str
    build: Callable[[ReferenceConfig], ReferenceService]
    also: tuple[str, ...] = ()
    profile: str = "smoke"
    mock: bool = True
    operations: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()

    def applies_to(self, operation: str, version: str) -> bool:
        """Whether the variant's difference exists (and is what its kind says) in this operation and version."""
        return (not self.operations or operation in self.operations) and (not self.versions or version in self.versions)


VARIANTS: dict[str, Variant] = {}


def register(name: str, kind: str, row: str | None, description: str, *, also: tuple[str, ...] = (),
             profile: str = "smoke", mock: bool = True, operations: tuple[str, ...] = (),
             versions: tuple[str, ...] = ()) -> Callable[[type[ReferenceService]], type[ReferenceService]]:
    """Class decorator: register a ReferenceService subclass as a zoo variant.

    The description becomes the class's docstring when it has none: a variant is documented once.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    if kind == "broken" and row is None:
        raise ValueError(f"variant {name!r}: a broken variant names the row it breaks")
    if kind != "broken" and also:
        raise ValueError(f"variant {name!r}: only a broken variant lists rows that fail with it")

    def wrap(cls: type[ReferenceService]) -> type[ReferenceService]:
        if name in VARIANTS:
            raise ValueError(f"variant {name!r} registered twice")
        VARIANTS[name] = Variant(name, kind, row, description, cls, tuple(also), profile, mock, tuple(operations),
                                 tuple(versions))
        if not cls.__dict__.get("__doc__"):
            cls.__doc__ = f"{kind} variant {name!r}" + (f" ({row})" if row else "") + f": {description}."
        return cls

    return wrap


def variant_names(kind: str | None = None) -> list[str]:
    """Variant names, optionally of one kind, in registration order."""
    return [v.name for v in VARIANTS.values() if kind is None or v.kind == kind]

