"""`conformance.json`: the result dict itself, the machine-readable record of a run."""

from __future__ import annotations

import json
from pathlib import Path

from face_conformance.evidence.record import RunResult

FILENAME = "conformance.json"


def render_json(result: RunResult) -> str:
    """The result as UTF-8-friendly JSON text (indent 2, non-ASCII kept as written)."""
    # default=str: an engine that slips a Path or datetime into the dict still gets a report.
    return json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n"


def write_json(result: RunResult, report_dir: Path) -> Path:
    """Write `conformance.json` into `report_dir` and return its path."""
    path = report_dir / FILENAME
    path.write_text(render_json(result), encoding="utf-8")
    return path
