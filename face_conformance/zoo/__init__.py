"""The zoo: variants of the reference service, each a small named change (broken, conformant, hostile).

`VARIANTS` maps a name to a `Variant`; `face-conformance serve --variant NAME` serves one and
`--list-variants` lists them. The kill matrix (tests/test_kill_matrix.py) runs the suite against each.
"""

from __future__ import annotations

from face_conformance.zoo.registry import VARIANTS, Variant, variant_names

__all__ = ["VARIANTS", "Variant", "variant_names"]
