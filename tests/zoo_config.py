"""How the tests serve the reference and its zoo variants: the key and the switches of the kill matrix.

Both tiers import it: the zoo's unit tests drive each variant in process with the configuration the
kill matrix (`tests/e2e/`) serves it with on loopback, so that a difference shown in process is the
one the matrix meets.
"""

from __future__ import annotations

from face_conformance.reference import ReferenceConfig

MATRIX_KEY = "zoo-matrix-key"


def live_config(key: str = MATRIX_KEY) -> ReferenceConfig:
    """The switches `face-conformance serve` uses by default: 1 s training, a 50 ms write hold."""
    return ReferenceConfig(key=key, training_seconds=1.0, write_hold_seconds=0.05)
