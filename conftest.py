"""Registers the suite's pytest plugin for runs from the checkout (`face-conformance run` passes -p).

The project's own tests get the plugin's options, fixtures and row marker, but not the suite's
Hypothesis profile: the plugin loads that only for a session that runs the suite.
"""

pytest_plugins = ("face_conformance.plugin",)
