"""The end-to-end tier's harness: `face-conformance` run as a user runs it, and what its runs left.

- *One run*: `run_cli` runs `face-conformance ARGS` in a subprocess of its own process group (killed
  with its group after a time limit) and returns a `Run`; `start_cli` and `finish` split it for a
  test that signals the process in between; `run_many` runs several at once.
- *The kill matrix*: `run_live` serves a zoo variant on a free loopback port (`BackgroundServer`)
  and runs `face-conformance run --endpoint …` against it; `run_mock` runs `face-conformance run
  --variant …` (the variant in process, behind respx). One `Cell` per run; `run_cells` runs many at
  once (each cell is mostly a subprocess waiting on its server, so a few threads fill two cores);
  `format_matrix` and `show` print the matrix past pytest's capture, `evidence` explains a cell.
- *A browser*: `run_chromium` runs headless Chromium on a page.
- *Checks shared by the test modules*: no traceback, every report written, no secret anywhere.

The loopback servers themselves (slow, recording, hostile) are in `servers.py`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from zoo_config import MATRIX_KEY, live_config

from face_conformance.cases.outcomes import BAD
from face_conformance.reference import BackgroundServer
from face_conformance.zoo.registry import Variant

REPORT_FILES = ("conformance.json", "junit.xml", "report.html", "summary.md")
#: Seconds the suite waits for any answer in the matrix (hostile variants hang and drop).
ANSWER_TIMEOUT_S = 3.0
#: A full-profile run of a broken variant stops sending after this many requests: the fault shows in the explicit
#: probes, the relations and dimensions, the near misses and the first generated examples, and Hypothesis would
#: otherwise spend most of the run shrinking the failure it found.
FULL_BUDGET = 300
#: No single matrix run may take longer than this, whatever the server does.
RUN_LIMIT_S = 180.0
#: Live matrix runs at a time. Half of a live run is waiting (training, timeouts, a hostile server's
#: silence), so 4 of them fill about two cores. Measured here with `-n 2`, the other xdist worker running
#: the rest of the tier beside them, in two runs of the tier on a shared machine: 126 runs took 405 s
#: wall 3 at a time and 277 s 4 at a time, the runs themselves no slower (1162 s and 1073 s of runs).
WORKERS = int(os.environ.get("FACE_ZOO_WORKERS", "4"))
#: Mock runs at a time (the mutants): a mock run waits for nothing, so one per core.
MOCK_WORKERS = int(os.environ.get("FACE_ZOO_WORKERS", "2"))

T = TypeVar("T")
#: The key of `workeroutput` under which an xdist worker hands `show`n text to the controller.
SHOWN = "face_conformance_shown"  # tests/conftest.py reads it back in the controller


# -- the CLI as a subprocess -----------------------------------------------------------------------


def cli_command(*args: str) -> list[str]:
    """`face-conformance ARGS`: the console script of this interpreter's installation, as a user runs it."""
    script = Path(sys.executable).with_name("face-conformance")
    if script.is_file():
        return [str(script), *args]
    # No console script (a bare checkout): the entry point itself, without `python -m`'s second module.
    return [sys.executable, "-c", "import sys; from face_conformance.cli import main; sys.exit(main())", *args]


@dataclass
class Run:
    """One finished `face-conformance` process."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    report_dir: Path | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def report(self) -> dict[str, Any]:
        """conformance.json of the run."""
        assert self.report_dir is not None
        return json.loads((self.report_dir / "conformance.json").read_text(encoding="utf-8"))

    def rows(self) -> dict[str, dict[str, Any]]:
        return {row["id"]: row for row in self.report["rows"]}

    def outcome(self, row_id: str) -> str:
        return self.rows()[row_id]["outcome"]

    def describe(self) -> str:
        """What a failed assertion shows: the command, exit status and the output's tail."""
        return (f"$ {' '.join(self.args)}\nexit {self.returncode} after {self.elapsed:.1f} s\n"
                f"--- stdout (tail)\n{self.stdout[-3000:]}\n--- stderr (tail)\n{self.stderr[-3000:]}")


class TookTooLong(AssertionError):
    """A CLI process that did not end within its time limit; its process group was killed."""

    def __init__(self, args: list[str], timeout: float, stdout: str, stderr: str) -> None:
        super().__init__(f"face-conformance {' '.join(args)} did not end within {timeout} s\n"
                         f"stdout: {stdout[-2000:]}\nstderr: {stderr[-2000:]}")
        self.stdout, self.stderr = stdout, stderr


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: no FACE_*, GITHUB_*, PYTEST_* or CI from the caller, no colour.

    Bytecode is written (PYTHONDONTWRITEBYTECODE dropped), so that pytest caches its assertion rewrites
    of the suite and its plugin: about 2 s a run when every run redoes them.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FACE_", "GITHUB_", "PYTEST_"))
           and k not in ("CI", "NO_PROXY", "no_proxy", "PYTHONDONTWRITEBYTECODE")}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1",
                # loopback must never go through a proxy the environment names
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    env.update(extra or {})
    return env


def start_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `face-conformance ARGS` in its own process group; output goes to pipes."""
    return subprocess.Popen(cli_command(*args), cwd=cwd, env=cli_env(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                            start_new_session=True)


def finish(proc: subprocess.Popen[str], args: list[str], started: float, timeout: float,
           report_dir: Path | None) -> Run:
    """Wait for a started CLI process (killing its group after `timeout` s: `TookTooLong`) and collect it."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise TookTooLong(args, timeout, out, err) from None
    return Run(cli_command(*args), proc.returncode, out, err, time.monotonic() - started, report_dir)


def run_cli(*args: str, cwd: Path, timeout: float = 120.0, env: dict[str, str] | None = None) -> Run:
    """Run `face-conformance ARGS` to its end."""
    report_dir = _report_dir(args, cwd)
    started = time.monotonic()
    return finish(start_cli(*args, cwd=cwd, env=env), list(args), started, timeout, report_dir)


def run_many(jobs: dict[str, list[str]], *, cwd: Path, timeout: float = 150.0, parallel: int = 3
             ) -> dict[str, Any]:
    """Run several CLI invocations in the order given, at most `parallel` at a time (2 cores here).

    A job that fails (does not finish in time, cannot start) leaves its exception in place of its
    Run, re-raised by `get`, so that one bad job does not hide the others' results.
    """
    queue = list(jobs.items())
    lock = threading.Lock()
    results: dict[str, Any] = {}

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                name, args = queue.pop(0)
            try:
                results[name] = run_cli(*args, cwd=cwd, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - handed back to the test through get()
                results[name] = exc

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def get(results: dict[str, Any], name: str) -> Run:
    """One job's Run from `run_many`, raising its failure if it had one."""
    result = results[name]
    if isinstance(result, BaseException):
        raise result
    return result


def _report_dir(args: tuple[str, ...] | list[str], cwd: Path) -> Path | None:
    args = list(args)
    if "--report-dir" in args:
        path = Path(args[args.index("--report-dir") + 1])
        return path if path.is_absolute() else cwd / path
    return None


def live_args(base_url: str, key: str, report_dir: Path, *extra: str, profile: str = "smoke") -> list[str]:
    """`run` arguments for a live run against a loopback server."""
    return ["run", "--endpoint", base_url, "--key", key, "--report-dir", str(report_dir), "--profile", profile,
            *extra]


# -- the kill matrix: one Cell per run of the suite against a variant --------------------------------


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


def run_live(variant: Variant, report_dir: Path, *, timeout_s: float = ANSWER_TIMEOUT_S) -> Cell:
    """Serve the variant on a free loopback port and run the suite against it, live."""
    args = ["--key", MATRIX_KEY, "--profile", variant.profile, "--timeout", str(timeout_s),
            "--report-dir", str(report_dir), *operation_args(variant)]
    if variant.kind == "broken" and variant.profile == "full":
        args += ["--budget", str(FULL_BUDGET)]
    with BackgroundServer(variant.build(live_config())) as server:
        return _cell(variant.name, variant.kind, variant.row, "live", variant.profile, report_dir,
                     ["run", "--endpoint", server.base_url, *args])


def operation_args(variant: Variant) -> list[str]:
    """The default operation, unless the variant's difference lives only in others (its first one, then)."""
    if variant.applies_to("persongroup", "v1.0"):
        return []
    return ["--operation", variant.operations[0], "--api-version", (variant.versions or ("v1.0",))[0]]


def run_mock(variant: Variant | None, report_dir: Path, profile: str = "smoke") -> Cell:
    """Run the suite in mock mode against the variant (None: the reference itself)."""
    args = ["run", "--profile", profile, "--report-dir", str(report_dir)]
    if variant is None:
        return _cell("reference", "reference", None, "mock", profile, report_dir, args)
    return _cell(variant.name, variant.kind, variant.row, "mock", profile, report_dir,
                 [*args, "--variant", variant.name, *operation_args(variant)])


def _cell(name: str, kind: str, row: str | None, mode: str, profile: str, report_dir: Path,
          args: list[str]) -> Cell:
    # The matrix keeps CI from the caller: in CI the suite's generation is derandomised, so that a
    # kill never depends on luck. It runs in the test process's directory, as it always has (the
    # suite's Hypothesis database there, outside CI).
    env = {"CI": os.environ["CI"]} if "CI" in os.environ else None
    try:
        run = run_cli(*args, cwd=Path.cwd(), timeout=RUN_LIMIT_S, env=env)
        code, output, seconds = run.returncode, run.output, run.elapsed
    except TookTooLong as exc:
        code, seconds = -1, RUN_LIMIT_S
        output = f"the run took more than {RUN_LIMIT_S:g} s and was killed\n{exc.stdout}{exc.stderr}"
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


def show(config: pytest.Config, text: str) -> None:
    """Print past pytest's capture, so that the matrix is in every CI log.

    An xdist worker has no terminal: it hands the text to the controller (`workeroutput`), which
    prints it in the terminal summary (tests/conftest.py).
    """
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput.setdefault(SHOWN, []).append(text)
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(text)


def evidence(cell: Cell) -> str:
    """A cell's line, where its reports are, and the tail of its output: a failed assertion's message."""
    return f"{cell.line()}\nreports in {cell.report_dir}\n--- output (tail) ---\n{cell.output[-3000:]}"


# -- headless Chromium (the `chromium` fixture of conftest.py finds it) ------------------------------

CHROMIUM_TIMEOUT_S = 90  # a cold Chromium start on a slow CI runner takes a few seconds; never hang the suite
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with a profile of its own (`--dump-dom URL`, `--screenshot=FILE URL`, …)."""
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S, check=False)


# -- checks shared by the test modules -----------------------------------------------------------

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*File \".*\", line \d+", re.MULTILINE)


def assert_no_traceback(run: Run) -> None:
    assert not TRACEBACK.search(run.output), f"a traceback reached the output\n{run.describe()}"


def assert_reports_written(run: Run, max_json_bytes: int = 2 << 20) -> dict[str, Any]:
    """Every report file exists and is non-empty; conformance.json parses and stays small."""
    assert run.report_dir is not None
    for name in REPORT_FILES:
        path = run.report_dir / name
        assert path.is_file() and path.stat().st_size > 0, f"{name} missing or empty\n{run.describe()}"
    size = (run.report_dir / "conformance.json").stat().st_size
    assert size < max_json_bytes, f"conformance.json is {size} bytes\n{run.describe()}"
    report = run.report
    assert {r["id"] for r in report["rows"]} and len(report["rows"]) == report.get("row_count", len(report["rows"]))
    return report


@dataclass
class Leak:
    """Where a secret was found."""

    where: str
    offset: int
    context: bytes = field(repr=True, default=b"")


def find_secret(secret: str, run: Run | None, root: Path | None = None) -> list[Leak]:
    """Every occurrence of `secret` in the run's output, in every byte of its report directory, and
    in every file under `root` (say, the run's working directory)."""
    needle = secret.encode()
    leaks = []
    blobs: list[tuple[str, bytes]] = []
    dirs = [root] if root is not None else []
    if run is not None:
        blobs += [("stdout", run.stdout.encode()), ("stderr", run.stderr.encode())]
        dirs.append(run.report_dir)
    for folder in dirs:
        if folder is not None and folder.exists():
            blobs += [(str(p), p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()]
    for where, blob in blobs:
        start = 0
        while (found := blob.find(needle, start)) >= 0:
            leaks.append(Leak(where, found, blob[max(0, found - 80): found + len(needle) + 40]))
            start = found + 1
    return leaks
