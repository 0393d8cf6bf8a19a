"""The kill matrix: the suite, run as a user runs it, against each zoo variant; one `Cell` per run.

`run_live` serves the variant on loopback (`BackgroundServer`, a free port) and runs
`face-conformance run --endpoint …` in a subprocess; `run_mock` runs `face-conformance run
--variant …` (the variant in process, behind respx). `run_cells` runs many at once: each cell is
mostly a subprocess waiting on its server, so a few threads fill two cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from face_conformance.cases.outcomes import BAD
from face_conformance.reference import BackgroundServer, ReferenceConfig
from face_conformance.zoo.registry import Variant

MATRIX_KEY = "zoo-matrix-key"
REPORT_FILES = ("conformance.json", "junit.xml", "report.html", "summary.md")
#: Seconds the suite waits for any answer in the matrix (hostile variants hang and drop).
ANSWER_TIMEOUT_S = 3.0
#: A full-profile run of a broken variant stops sending after this many requests: the fault shows
#: in the explicit probes, the near misses and the first generated examples, and Hypothesis would otherwise spend
#: most of the run shrinking the failure it found.
FULL_BUDGET = 240
#: No single run may take longer than this, whatever the server does.
RUN_LIMIT_S = 180.0
#: Runs at a time: about half of a run is waiting (training, timeouts), so 3 keep 2 cores busy.
WORKERS = int(os.environ.get("FACE_ZOO_WORKERS", "3"))

T = TypeVar("T")


@dataclass(frozen=True)
class Cell:
    """One run of the suite against one server: what it exited with, how long it took, what it said."""

    name: str
    kind: str
    row: str | None
    mode: str  # live | mock
    profile: str
    exit_code: int
    seconds: float
    report_dir: Path
    output: str  # stdout and stderr of the run
    outcomes: dict[str, str] = field(default_factory=dict)  # row ID -> outcome; empty without a report

    @property
    def row_outcome(self) -> str | None:
        """The outcome of the variant's named row (None when it names none or no report was written)."""
        return self.outcomes.get(self.row) if self.row else None

    @property
    def failed_rows(self) -> set[str]:
        """Rows whose outcome is fail or error."""
        return {row for row, outcome in self.outcomes.items() if outcome in BAD}

    @property
    def reports(self) -> list[str]:
        """The report files the run left in its report directory."""
        return [name for name in REPORT_FILES if (self.report_dir / name).is_file()]

    def line(self) -> str:
        """One line of the printed matrix."""
        extra = sorted(self.failed_rows - {self.row})
        return (f"{self.name:30} {self.kind:10} {self.mode:4} {self.profile:5} {self.row or '-':22} "
                f"exit {self.exit_code:>3}  {self.row_outcome or '-':12} {self.seconds:6.1f} s"
                + (f"  also failed: {', '.join(extra)}" if extra else ""))


def live_config(key: str = MATRIX_KEY) -> ReferenceConfig:
    """The switches `face-conformance serve` uses by default: 1 s training, a 50 ms write hold."""
    return ReferenceConfig(key=key, training_seconds=1.0, write_hold_seconds=0.05)


def cli_command(*args: str) -> list[str]:
    """`face-conformance ARGS`: the console script of this interpreter's installation, as a user runs it."""
    script = Path(sys.executable).with_name("face-conformance")
    if script.is_file():
        return [str(script), *args]
    # No console script (a bare checkout): the entry point itself, without `python -m`'s second module.
    return [sys.executable, "-c", "import sys; from face_conformance.cli import main; sys.exit(main())", *args]


def suite_command(*args: str) -> list[str]:
    """`face-conformance run ARGS`."""
    return cli_command("run", *args)


def run_live(variant: Variant, report_dir: Path, *, timeout_s: float = ANSWER_TIMEOUT_S) -> Cell:
    """Serve the variant on a free loopback port and run the suite against it, live."""
    args = ["--key", MATRIX_KEY, "--profile", variant.profile, "--timeout", str(timeout_s),
            "--report-dir", str(report_dir)]
    if variant.kind == "broken" and variant.profile == "full":
        args += ["--budget", str(FULL_BUDGET)]
    with BackgroundServer(variant.build(live_config())) as server:
        return _run(variant.name, variant.kind, variant.row, "live", variant.profile, report_dir,
                    suite_command("--endpoint", server.base_url, *args))


def run_mock(variant: Variant | None, report_dir: Path, profile: str = "smoke") -> Cell:
    """Run the suite in mock mode against the variant (None: the reference itself)."""
    args = ["--profile", profile, "--report-dir", str(report_dir)]
    if variant is None:
        return _run("reference", "reference", None, "mock", profile, report_dir, suite_command(*args))
    return _run(variant.name, variant.kind, variant.row, "mock", profile, report_dir,
                suite_command("--variant", variant.name, *args))


def _run(name: str, kind: str, row: str | None, mode: str, profile: str, report_dir: Path,
         command: list[str]) -> Cell:
    # No endpoint or key from the shell; and bytecode on, so that pytest caches its assertion
    # rewrites of the suite and its plugins (about 2 s a run when every run redoes them).
    env = {k: v for k, v in os.environ.items() if k not in ("FACE_ENDPOINT", "FACE_KEY", "PYTHONDONTWRITEBYTECODE")}
    started = time.monotonic()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=RUN_LIMIT_S)
        code, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = -1, f"the run took more than {RUN_LIMIT_S:g} s and was killed\n{exc.stdout or ''}"
    seconds = time.monotonic() - started
    return Cell(name, kind, row, mode, profile, code, seconds, report_dir, output, _outcomes(report_dir))


def _outcomes(report_dir: Path) -> dict[str, str]:
    try:
        result = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {row["id"]: row["outcome"] for row in result.get("rows", [])}


def run_cells(run: Callable[[T], Cell], items: Iterable[T], *, workers: int = WORKERS) -> list[Cell]:
    """Run many cells at once, in the order given."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, items))


def format_matrix(cells: list[Cell], wall_s: float, workers: int = WORKERS) -> str:
    """The matrix as text: one line per run, then the wall time of the whole."""
    header = (f"{'variant':30} {'kind':10} {'mode':4} {'prof':5} {'row':22} {'exit':>8}  {'row outcome':12} "
              f"{'time':>8}")
    busy = sum(c.seconds for c in cells)
    return "\n".join([header, *(c.line() for c in cells),
                      f"{len(cells)} runs in {wall_s:.1f} s wall ({busy:.1f} s of runs, {workers} at a time)"])
