"""The zoo: variants of the reference service, each a small named change (broken, conformant, hostile).

`VARIANTS` maps a name to a `Variant`; `face-conformance serve --variant NAME` serves one and
`--list-variants` lists them. The kill matrix (tests/e2e/test_kill_matrix.py) runs the suite against each.
Importing the package imports every variant module, each of which registers its variants: `VARIANTS`
is complete as soon as `face_conformance.zoo` is imported.
"""

from __future__ import annotations

from face_conformance.zoo import broken, conformant, family, hostile  # noqa: F401  (they register on import)
from face_conformance.zoo.registry import VARIANTS, Variant, variant_names

__all__ = ["VARIANTS", "Variant", "variant_names"]
