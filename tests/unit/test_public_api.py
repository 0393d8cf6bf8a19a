"""Pins the public surface: what `face_conformance.reference` exports, and the package version."""

from __future__ import annotations

import importlib.metadata

import face_conformance
import face_conformance.reference as reference


def test_reference_exports_exactly_these_names() -> None:
    assert sorted(reference.__all__) == ["BackgroundServer", "ReferenceConfig", "ReferenceService", "asgi_app",
                                         "serve"]


def test_every_exported_name_exists_and_is_public_api() -> None:
    for name in reference.__all__:
        assert getattr(reference, name).__module__.startswith("face_conformance.reference"), name
    assert callable(reference.serve) and callable(reference.asgi_app)
    assert isinstance(reference.ReferenceService, type) and isinstance(reference.BackgroundServer, type)


def test_version_is_pinned_and_matches_the_installed_metadata() -> None:
    assert face_conformance.__version__ == "0.1.0"
    assert importlib.metadata.version("face-conformance") == face_conformance.__version__
