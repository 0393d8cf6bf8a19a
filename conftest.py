"""Registers the suite's pytest plugin for runs from the checkout (`face-conformance run` passes -p)."""

pytest_plugins = ("face_conformance.plugin",)
