"""What the kill matrix and the mock mutants share: printing past pytest's capture, and evidence."""

from __future__ import annotations

import pytest

from face_conformance.zoo.matrix import Cell


def show(config: pytest.Config, text: str) -> None:
    """Print past pytest's capture, so that the matrix is in every CI log."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(text)


def evidence(cell: Cell) -> str:
    """A cell's line, where its reports are, and the tail of its output: a failed assertion's message."""
    return f"{cell.line()}\nreports in {cell.report_dir}\n--- output (tail) ---\n{cell.output[-3000:]}"
