"""The end-to-end tier's harness: `face-conformance` run as a user runs it, and what its runs left.

- *One run*: `run_cli` runs `face-conformance ARGS` to its end and returns a `Run`: in a fork of a
  warmed interpreter (`zygote.py`), or with `fork=False` (`script_cli`) the console script in a
  subprocess of its own process group, killed with its group after a time limit; `start_cli` and
  `finish` split the subprocess for a test that signals it in between; `run_many` runs several at once.
- *The zoo's runs* (the kill matrix, the mock mutants, the family's mock runs) are `cells.py`'s.
- *Printing past pytest's capture*: `show`, so that a matrix is in every CI log.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from zygote import Zygote, zygote

REPORT_FILES = ("conformance.json", "junit.xml", "report.html", "summary.md")
#: Whether `run_cli` forks a `Zygote` unless told (FACE_E2E_FORK=0: every run is the console script).
FORK_BY_DEFAULT = os.environ.get("FACE_E2E_FORK", "1") != "0"
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


def run_cli(*args: str, cwd: Path, timeout: float = 120.0, env: dict[str, str] | None = None,
            fork: bool | None = None) -> Run:
    """Run `face-conformance ARGS` to its end: the same `main` in a fork of a `Zygote` (no interpreter
    start, no imports), or with `fork=False` the console script in a subprocess, as a user starts it.

    Tests of the console script itself (its usage errors, the key in its output, a new user's first
    run) use `script_cli`; FACE_E2E_FORK=0 makes every run a subprocess.
    """
    if fork is None:
        fork = FORK_BY_DEFAULT
    if fork:
        return fork_cli(*args, cwd=cwd, timeout=timeout, env=env)
    report_dir = _report_dir(args, cwd)
    started = time.monotonic()
    return finish(start_cli(*args, cwd=cwd, env=env), list(args), started, timeout, report_dir)


def script_cli(*args: str, cwd: Path, timeout: float = 120.0, env: dict[str, str] | None = None) -> Run:
    """Run the console script `face-conformance ARGS` in a subprocess to its end, as a user starts it."""
    return run_cli(*args, cwd=cwd, timeout=timeout, env=env, fork=False)


def run_many(jobs: dict[str, list[str]], *, cwd: Path, timeout: float = 150.0, parallel: int = 3,
             fork: bool | None = None) -> dict[str, Any]:
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
                results[name] = run_cli(*args, cwd=cwd, timeout=timeout, fork=fork)
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


def zygote_for(env: dict[str, str]) -> Zygote:
    """This process's zygote for runs of environment `env`: one per value of CI (Hypothesis reads it
    once, on import), started with the environment of its runs but for their own variables."""
    return zygote(cli_env({"CI": env["CI"]} if "CI" in env else None))


def fork_cli(*args: str, cwd: Path, timeout: float = 120.0, env: dict[str, str] | None = None) -> Run:
    """`face-conformance ARGS` to its end, in a fork of the zygote (`run_cli(..., fork=True)`)."""
    full_env = cli_env(env)
    parent = zygote_for(full_env)
    report_dir = _report_dir(args, cwd)
    started = time.monotonic()
    child = parent.spawn("cli", list(args), cwd=cwd, env=full_env)
    try:
        code = parent.wait(child, timeout)
        if code is None:
            parent.kill(child)
            raise TookTooLong(list(args), timeout, *child.output())
        return Run(cli_command(*args), code, *child.output(), time.monotonic() - started, report_dir)
    finally:
        parent.discard(child)


def shared_dir(tmp_path_factory: pytest.TempPathFactory, config: pytest.Config) -> Path:
    """A directory every process of the session sees: the base temporary directory (xdist's workers
    have theirs inside the controller's, which they share)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


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
