"""Run the suite in mock mode against several servers in one process, for one operation of the family.

    python batch_runs.py OPERATION VERSION REPORT_ROOT [full:]NAME ...

NAME is a zoo variant, or `reference` for the embedded reference; `full:` runs the full profile
instead of smoke. Each run writes its reports under REPORT_ROOT/NAME and prints one JSON line:
name, exit code, row outcomes. The suite's modules are imported once for the operation, so a
process runs one operation only; runs after the first cost about a second each (no interpreter
or import start-up), which is what lets the family's kill test afford a run per row.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from face_conformance.config.settings import build_settings
from face_conformance.run.suite_run import run_suite


def main(operation: str, version: str, root: str, names: list[str]) -> int:
    """Each named run, in order; one JSON line each on standard output."""
    for spec in names:
        profile, _, name = spec.rpartition(":")
        values = {"operation": operation, "api_version": version, "profile": profile or "smoke", "seed": "7",
                  "variant": None if name == "reference" else name, "report_dir": str(Path(root) / name)}
        run = run_suite(build_settings(values), values=values)
        result = run.result or {}
        outcomes = {row["id"]: row["outcome"] for row in result.get("rows", [])}
        print(json.dumps({"name": name, "exit": result.get("exit_code", -1), "outcomes": outcomes}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
