"""The conformance suite: pytest modules run by `face-conformance run` (or pytest -p face_conformance.plugin)."""
