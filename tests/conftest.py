"""Shared self-test set-up: tests do not depend on the shell they run in."""

from __future__ import annotations

import pytest

# Variables that would point a self-test at a live endpoint, leak a key, or write a CI summary.
CLEARED_ENV = ("FACE_ENDPOINT", "FACE_KEY", "FACE_KEY_A", "FACE_KEY_B", "GITHUB_STEP_SUMMARY")


@pytest.fixture(autouse=True)
def _clean_face_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove FACE_ENDPOINT, the FACE_KEY* keys and GITHUB_STEP_SUMMARY for the duration of each test.

    monkeypatch restores them afterwards, and a test may still set them itself.
    """
    for name in CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
