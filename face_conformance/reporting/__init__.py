"""Reports of a run: `conformance.json`, `report.html`, `junit.xml` and `summary.md`.

The run engine builds one result record (`result.RunResult`: the shape of `conformance.json`) and
hands it to `write_reports`. Every format is rendered from a redacted copy, so a key that
slipped past the engine still never reaches a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from face_conformance.evidence.record import RunResult
from face_conformance.evidence.redaction import redacted_copy
from face_conformance.reporting.html_report import render_html, write_html
from face_conformance.reporting.json_report import render_json, write_json
from face_conformance.reporting.junit_report import build_junit, write_junit
from face_conformance.reporting.markdown_report import render_markdown, write_markdown

__all__ = [
    "build_junit",
    "render_html",
    "render_json",
    "render_markdown",
    "write_reports",
]

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def write_reports(result: RunResult, report_dir: Path) -> dict[str, Path]:
    """Write every report of `result` into `report_dir` (created if missing).

    Returns the written files keyed `json`, `html`, `junit`, `markdown`. When `$GITHUB_STEP_SUMMARY`
    names a file, the Markdown summary is appended to it as well (GitHub Actions shows it on the run).
    """
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    clean = redacted_copy(result)
    paths = {
        "json": write_json(clean, report_dir),
        "html": write_html(clean, report_dir),
        "junit": write_junit(clean, report_dir),
        "markdown": write_markdown(clean, report_dir),
    }
    _append_step_summary(paths["markdown"].read_text(encoding="utf-8"))
    return paths


def _append_step_summary(text: str) -> None:
    target = os.environ.get(STEP_SUMMARY_ENV)
    if not target:
        return
    # Append, never overwrite: other steps of the same job write to this file too.
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
