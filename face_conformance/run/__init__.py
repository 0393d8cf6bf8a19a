"""Run: the engine that drives probes through the seam, its scenarios, replay and diff.

Rule: imports any stage below it, never a front (`cli`, `serve_cli`, `plugin`, `progress`).
"""
