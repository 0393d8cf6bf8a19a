"""The end-to-end tier's harness: `face-conformance` run as a user runs it, and what its runs left.

- *One run*: `run_cli` runs `face-conformance ARGS` in a subprocess of its own process group (killed
  with its group after a time limit) and returns a `Run`; `start_cli` and `finish` split it for a
  test that signals the process in between; `run_many` runs several at once.
- *Forked runs*: `run_cli(..., fork=True)` runs the same `main` in a fork of a `Zygote`, an interpreter
  that has imported everything a run imports, so that a run does not pay Python's start and
  those imports again (about 0.7 s of CPU a run, the most of a smoke run's own work).
- *The zoo's runs* (the kill matrix, the mock mutants): one `Cell` per run of the suite against a
  variant, each `CellSpec` served on a free loopback port (live) or in process (mock), then its
  recording re-judged by `face-conformance judge`. They run in the background from the start of
  the session (`CellPool`, in the first process of the session to claim them), forked, a few at a
  time, and the tests that judge them wait for their cells (`wait_cells`); `format_matrix` and
  `show` print the matrix past pytest's capture, `evidence` explains a cell.
- *A browser*: `run_chromium` runs headless Chromium on a page.
- *Checks shared by the test modules*: no traceback, every report written, no secret anywhere, a
  replay that reaches the run's verdict.

The loopback servers themselves (slow, recording, hostile) are in `servers.py`.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
from zoo_config import MATRIX_KEY, live_config

from face_conformance.cases.outcomes import BAD
from face_conformance.evidence.har import HAR_FILE
from face_conformance.reference import BackgroundServer
from face_conformance.zoo import VARIANTS
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
#: The zoo's runs at a time, in the background. Half of a live run is waiting (training, timeouts, a
#: hostile server's silence), so 4 of them fill about two cores when nothing else runs.
WORKERS = int(os.environ.get("FACE_ZOO_WORKERS", "4"))
#: The niceness of the zoo's background runs (FACE_ZOO_NICE). 0: on a machine shared with other
#: work, niced runs lose their share to it and the tier ends later; beside the tier's own tests they
#: weigh as the matrix always did (4 runs at once beside the other worker).
NICE = int(os.environ.get("FACE_ZOO_NICE", "0"))

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
    run) pass `fork=False`; FACE_E2E_FORK=0 makes every run a subprocess.
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


# -- forked runs: an interpreter that has imported everything, one fork per run -------------------

#: How a zygote starts: harness.py and the tests' shared helpers (zoo_config) on its path, then `zygote_main`.
_ZYGOTE_BOOT = "import sys; sys.path[:0] = sys.argv[1:3]; import harness; harness.zygote_main(int(sys.argv[3]))"
_E2E_DIR = Path(__file__).resolve().parent


@dataclass
class Child:
    """One job of a `Zygote`: its process (a session of its own), its output files, and how it ended."""

    id: int
    stdout: Path
    stderr: Path
    pid: int | None = None
    code: int | None = None  # as subprocess says it: the exit status, or -N after signal N

    def output(self) -> tuple[str, str]:
        """What the child printed on stdout and stderr (read once it ended)."""
        out, err = (p.read_bytes().decode("utf-8", "replace") if p.exists() else "" for p in (self.stdout, self.stderr))
        return out, err


class Zygote:
    """A `face-conformance` interpreter that has imported everything a run imports, and forks one child per job.

    Starting Python and importing pytest, Hypothesis, schemathesis, httpx and the package costs about
    0.7 s of CPU, as much as a smoke run's own work; a zygote pays it once. Each job is a fork of it,
    made while it holds no other thread: a session of its own (so that its group can be killed), in
    the job's directory, with the job's environment (`cli_env`), stdin from /dev/null and stdout and
    stderr to files; it calls the console script's `main` with the job's arguments (or serves a zoo
    variant, for a live cell) and exits as the console script does, atexit handlers and all. The
    zygote itself is started with the environment of its jobs but for their own variables (Hypothesis
    reads `CI` once, on import: there is one zygote per value of `CI`). Its stdout says when it
    started a child (`start ID PID`) and how each ended (`exit PID STATUS`).
    """

    def __init__(self, env: dict[str, str], nice: int = 0) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="face-zygote-"))
        self._log = self._dir / "zygote.log"
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE_BOOT, str(_E2E_DIR), str(_E2E_DIR.parent), str(nice)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, cwd=self._dir)
        self._ids = itertools.count()
        self._write = threading.Lock()
        self._changed = threading.Condition()
        self._waiting: dict[int, Child] = {}  # job id -> a child not started yet
        self._running: dict[int, Child] = {}  # pid -> a child that has not ended
        self._alive = True
        threading.Thread(target=self._read, name="zygote-reader", daemon=True).start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            what, first, second = line.decode().split()
            with self._changed:
                if what == "start":
                    child = self._waiting.pop(int(first))
                    child.pid = int(second)
                    self._running[child.pid] = child
                else:  # exit: the zygote reports a child's end only after its start
                    self._running.pop(int(first)).code = int(second)
                self._changed.notify_all()
        with self._changed:
            self._alive = False
            self._changed.notify_all()

    def _died(self) -> RuntimeError:
        return RuntimeError(f"the zygote (pid {self._proc.pid}) ended: {self._log.read_text(errors='replace')[-3000:]}")

    def spawn(self, call: str, args: list[str], *, cwd: Path, env: dict[str, str]) -> Child:
        """Start a job (`call` is "cli" or "serve"); returns once its process exists."""
        number = next(self._ids)
        child = Child(number, self._dir / f"{number}.out", self._dir / f"{number}.err")
        job = {"id": number, "call": call, "args": args, "cwd": str(cwd), "env": env,
               "stdout": str(child.stdout), "stderr": str(child.stderr)}
        with self._changed:
            self._waiting[number] = child
        try:
            with self._write:
                assert self._proc.stdin is not None
                self._proc.stdin.write(json.dumps(job).encode() + b"\n")
                self._proc.stdin.flush()
        except OSError:
            raise self._died() from None
        with self._changed:
            if not self._changed.wait_for(lambda: child.pid is not None or not self._alive, timeout=60):
                raise RuntimeError(f"the zygote did not start job {number} within 60 s")
            if child.pid is None:
                raise self._died()
        return child

    def wait(self, child: Child, timeout: float | None) -> int | None:
        """The child's exit status once it ended; None if it has not within `timeout` s."""
        with self._changed:
            self._changed.wait_for(lambda: child.code is not None or not self._alive, timeout=timeout)
            if child.code is None and not self._alive:
                raise self._died()
            return child.code

    def kill(self, child: Child) -> int | None:
        """Kill the child's process group, and wait for its end."""
        assert child.pid is not None
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.wait(child, 30)

    def discard(self, child: Child) -> None:
        """Forget the child's output files."""
        child.stdout.unlink(missing_ok=True)
        child.stderr.unlink(missing_ok=True)

    def close(self) -> None:
        """End the zygote (its children end on their own) and remove its files."""
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        shutil.rmtree(self._dir, ignore_errors=True)


_zygotes: dict[tuple[str | None, int], Zygote] = {}
_zygotes_lock = threading.Lock()


def zygote(env: dict[str, str], nice: int = 0) -> Zygote:
    """This process's zygote for jobs of environment `env` (started on first use; ended at exit)."""
    key = (env.get("CI"), nice)
    with _zygotes_lock:
        if key not in _zygotes:
            if not _zygotes:
                atexit.register(_close_zygotes)
            _zygotes[key] = Zygote(cli_env({"CI": key[0]} if key[0] is not None else None), nice)
        return _zygotes[key]


def _close_zygotes() -> None:
    with _zygotes_lock:
        for one in _zygotes.values():
            one.close()
        _zygotes.clear()


def fork_cli(*args: str, cwd: Path, timeout: float = 120.0, env: dict[str, str] | None = None,
             nice: int = 0) -> Run:
    """`face-conformance ARGS` to its end, in a fork of the zygote (`run_cli(..., fork=True)`)."""
    full_env = cli_env(env)
    parent = zygote(full_env, nice)
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


# What runs in the zygote and its children.


def zygote_main(nice: int) -> None:
    """The zygote (`Zygote`): import what a run imports, then fork a child for each job read from stdin."""
    import gc
    import select

    _preload()
    _warm_up()
    os.nice(nice)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)  # a child's end wakes the select below
    gc.freeze()  # the children share the imported modules' pages rather than copy them at their first collection
    pending = b""
    while True:
        ready, _, _ = select.select([0, wake_r], [], [])
        if wake_r in ready:
            while True:
                try:
                    if not os.read(wake_r, 4096):
                        break
                except BlockingIOError:
                    break
        _reap()
        if 0 in ready:
            chunk = os.read(0, 1 << 16)
            if not chunk:
                return  # the harness is gone; children still running end on their own
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                job = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    os.close(wake_r)
                    os.close(wake_w)
                    _child_main(job)  # does not return
                os.write(1, f"start {job['id']} {pid}\n".encode())


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        os.write(1, f"exit {pid} {os.waitstatus_to_exitcode(status)}\n".encode())


def _warm_up() -> None:
    """One smoke run of the embedded reference, and its replay, in a directory of their own and thrown away.

    A process's first run pays once for what every later run of that process reuses (the suite's
    modules collected, the schema and its strategies built): about 0.35 s of a smoke run's CPU and
    1.4 s of a full run's, measured here. A fork made after it starts where a second run of one
    process would, which is how `run_suite` is used in process anyway (side A of a diff). The run is
    seeded, so that no Hypothesis database is opened in its directory.
    """
    import contextlib

    from face_conformance.cli import main

    home = Path.cwd()
    work = Path(tempfile.mkdtemp(prefix="face-warm-"))
    try:
        os.chdir(work)
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            for args in (["run", "--profile", "smoke", "--seed", "0", "--report-dir", "run"],
                         ["judge", f"run/{HAR_FILE}", "--report-dir", "replay"]):
                with contextlib.suppress(BaseException):
                    main(args)
    finally:
        os.chdir(home)
        shutil.rmtree(work, ignore_errors=True)


def _preload() -> None:
    """Import the package (but the suite's test modules, which a run collects itself) and pytest's plugins."""
    import importlib
    import importlib.metadata
    import pkgutil

    import face_conformance

    skip = ("face_conformance.suite", "face_conformance.__main__")
    for info in pkgutil.walk_packages(face_conformance.__path__, "face_conformance.", onerror=lambda _: None):
        if not info.name.startswith(skip):
            try:
                importlib.import_module(info.name)
            except Exception:  # noqa: BLE001 - a run that needs it imports it again, and fails there if it must
                pass
    for entry in importlib.metadata.entry_points(group="pytest11"):
        try:
            entry.load()
        except Exception:  # noqa: BLE001 - as above: pytest loads it in the run
            pass


def _child_main(job: dict[str, Any]) -> None:
    """A zygote's child: become the job's process, run it, exit with its status (SystemExit, as a script does)."""
    code: Any = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        for fd, path in ((1, job["stdout"]), (2, job["stderr"])):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, fd)
            os.close(out)
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        sys.argv = ["face-conformance", *job["args"]]
        # The console script's path: its own directory first, not the zygote's (`-c`, the tests' folders).
        boot = {"", str(_E2E_DIR), str(_E2E_DIR.parent)}
        sys.path[:] = [str(Path(sys.executable).parent), *(p for p in sys.path if p not in boot)]
        code = _JOBS[job["call"]](*job["args"])
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # noqa: BLE001 - what the interpreter does with an exception nobody caught
        traceback.print_exc()
        code = 1
    sys.exit(code)


def _cli_job(*args: str) -> int:
    from face_conformance.cli import main

    return main(list(args))


def _serve_job(name: str) -> int:
    """Serve the zoo variant on a free loopback port, as the matrix always served it, until killed."""
    server = BackgroundServer(VARIANTS[name].build(live_config())).start()
    print(f"serving {name} on {server.base_url}", flush=True)
    threading.Event().wait()
    return 0


_JOBS = {"cli": _cli_job, "serve": _serve_job}

# -- the zoo's runs: one Cell per run of the suite against a variant, in the background ------------


@dataclass(frozen=True)
class CellSpec:
    """A run to make: a zoo variant served on loopback (`live`, the variant's own profile), or in process
    (`mock`, smoke unless told; the name "reference" for the unbroken reference). `operation` (with
    `version`) runs it on that operation of the family; by default, the variant's (`operation_args`)."""

    mode: str  # live | mock
    name: str
    mock_profile: str = "smoke"
    operation: str | None = None
    version: str | None = None
    judge: bool = True  # re-judge the recording (`face-conformance judge`) once the run has ended

    @property
    def key(self) -> str:
        on = f"-{self.operation}-{self.version}" if self.operation else ""
        return f"{self.mode}/{self.name}-{self.profile}{on}{'' if self.judge else '-unjudged'}"

    def operation_args(self) -> list[str]:
        if self.operation:
            return ["--operation", self.operation, "--api-version", self.version or "v1.0"]
        return operation_args(self.variant) if self.variant else []

    @property
    def variant(self) -> Variant | None:
        return VARIANTS.get(self.name)

    @property
    def profile(self) -> str:
        if self.mode == "live":
            assert self.variant is not None, self.name
            return self.variant.profile
        return self.mock_profile

    def cost(self) -> int:
        """A rough order of the runs' lengths: the longest go first, so that none is left alone at the end.

        A hostile variant's live run goes before all: it mostly waits out the server's silence (timeouts
        of seconds), which costs no CPU while the tier's own tests keep both cores busy; left for the
        end, its waits left the cores idle (about a third of the last 70 s, measured with vmstat).
        """
        if self.mode == "live" and self.variant is not None and self.variant.kind == "hostile":
            return 4
        return {"full": 3, "smoke": 2 if self.mode == "live" else 1}[self.profile]


@dataclass(frozen=True)
class Cell:
    """One run of the suite against one server: what it exited with, how long it took, what it said,
    and what `face-conformance judge` made of its recording."""

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
    replay_dir: Path | None = None  # the judge's reports (None: the run left no recording)
    replay_exit: int | None = None
    replay_output: str = ""
    started: float = 0.0  # wall clock (time.time()), for the matrix's wall time
    ended: float = 0.0

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

    @property
    def report(self) -> dict[str, Any]:
        return _json(self.report_dir / "conformance.json")

    @property
    def replay(self) -> dict[str, Any]:
        """conformance.json of the judge's replay of the run's recording."""
        assert self.replay_dir is not None, "the run left no recording to judge"
        return _json(self.replay_dir / "conformance.json")

    def line(self) -> str:
        """One line of the printed matrix."""
        extra = sorted(self.failed_rows - {self.row})
        return (f"{self.name:30} {self.kind:10} {self.mode:4} {self.profile:5} {self.row or '-':22} "
                f"exit {self.exit_code:>3}  {self.row_outcome or '-':12} {self.seconds:6.1f} s"
                + (f"  also failed: {', '.join(extra)}" if extra else ""))

    def save(self, path: Path) -> None:
        """Write the cell as JSON (atomically: a reader sees all of it or nothing)."""
        data = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(data), encoding="utf-8")
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> Cell:
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("report_dir", "replay_dir"):
            data[key] = Path(data[key]) if data[key] is not None else None
        return cls(**data)


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _outcomes(report_dir: Path) -> dict[str, str]:
    try:
        result = _json(report_dir / "conformance.json")
    except (OSError, ValueError):
        return {}
    return {row["id"]: row["outcome"] for row in result.get("rows", [])}


def cell_env() -> dict[str, str]:
    """The environment of the zoo's runs. It keeps CI from the caller: in CI the suite's generation is
    derandomised, so that a kill never depends on luck."""
    return cli_env({"CI": os.environ["CI"]} if "CI" in os.environ else None)


def run_cell(spec: CellSpec, base: Path, env: dict[str, str], *, cwd: Path, nice: int = NICE) -> Cell:
    """Make one cell in `base`: serve the variant (live) and run the suite against it, then judge its recording.

    Live, the variant is served by a forked child of its own (`BackgroundServer`, as `live_config`
    sets it up) and the suite is run against it with `--endpoint`; in mock mode, with `--variant`. The
    runs go in `cwd`, the test session's directory, as they always have (the suite's Hypothesis
    database there, outside CI). The recording is then re-judged by `face-conformance judge`, offline.
    """
    parent = zygote(env, nice)
    variant = spec.variant
    report_dir = base / "run"
    base.mkdir(parents=True, exist_ok=True)
    args = ["run", "--profile", spec.profile, "--report-dir", str(report_dir)]
    started = time.time()
    args += spec.operation_args()
    if spec.mode == "mock":
        code, output, seconds = _cell_run(parent, [*args, *(["--variant", spec.name] if variant else [])], env, cwd)
    else:
        assert variant is not None
        args += ["--key", MATRIX_KEY, "--timeout", str(ANSWER_TIMEOUT_S)]
        if variant.kind == "broken" and variant.profile == "full":
            args += ["--budget", str(FULL_BUDGET)]
        server = parent.spawn("serve", [spec.name], cwd=base, env=env)
        try:
            base_url = _served_at(parent, server)
            code, output, seconds = _cell_run(parent, ["run", "--endpoint", base_url, *args[1:]], env, cwd)
        finally:
            parent.kill(server)
            parent.discard(server)
    replay_dir, replay_exit, replay_output = None, None, ""
    if spec.judge and (report_dir / HAR_FILE).is_file():
        replay_dir = base / "replay"
        replay_exit, replay_output, _ = _cell_run(
            parent, ["judge", str(report_dir / HAR_FILE), "--report-dir", str(replay_dir)], env, cwd)
    return Cell(spec.name, variant.kind if variant else "reference", variant.row if variant else None, spec.mode,
                spec.profile, code, seconds, report_dir, output, _outcomes(report_dir), replay_dir, replay_exit,
                replay_output, started, time.time())


def operation_args(variant: Variant) -> list[str]:
    """The default operation, unless the variant's difference lives only in others (its first one, then)."""
    if variant.applies_to("persongroup", "v1.0"):
        return []
    return ["--operation", variant.operations[0], "--api-version", (variant.versions or ("v1.0",))[0]]


def _served_at(parent: Zygote, server: Child) -> str:
    """The base URL a serving child printed, once it listens."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r" on (http://\S+)", server.output()[0])
        if found:
            return found.group(1)
        if parent.wait(server, 0.01) is not None:
            break
    raise RuntimeError(f"the variant's server did not come up: {' '.join(server.output())[-2000:]}")


def _cell_run(parent: Zygote, args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, float]:
    """Exit status, output and seconds of one forked `face-conformance` run, killed after RUN_LIMIT_S (-1)."""
    started = time.monotonic()
    child = parent.spawn("cli", args, cwd=cwd, env=env)
    try:
        code = parent.wait(child, RUN_LIMIT_S)
        if code is None:
            parent.kill(child)
            out, err = child.output()
            return -1, f"the run took more than {RUN_LIMIT_S:g} s and was killed\n{out}{err}", RUN_LIMIT_S
        out, err = child.output()
        return code, out + err, time.monotonic() - started
    finally:
        parent.discard(child)


def shared_dir(tmp_path_factory: pytest.TempPathFactory, config: pytest.Config) -> Path:
    """A directory every process of the session sees: the base temporary directory (xdist's workers
    have theirs inside the controller's, which they share)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


class CellPool:
    """The session's background runs of the zoo, by the one process that claimed them.

    Every process of the session computes the same plan (from the same collection); the first to
    create `ROOT/host` runs it, `WORKERS` at a time (more while test processes only wait for them:
    `limit`), longest first, each cell written to
    `ROOT/<mode>/<name>/cell.json` when done. Any process's tests then read them (`wait_cells`).
    """

    def __init__(self, root: Path, specs: list[CellSpec], workers: int = WORKERS) -> None:
        self.root, self.specs, self.workers = root, specs, workers
        self.cwd = Path.cwd()  # now, before any test changes it
        self._thread = threading.Thread(target=self._run, name="zoo-cells", daemon=True)
        self._cancelled = threading.Event()
        self._slots = threading.Condition()
        self._running = 0

    @classmethod
    def claim(cls, root: Path, specs: list[CellSpec], workers: int = WORKERS) -> CellPool | None:
        """Start the plan here unless another process of the session has; None if it has (or there is none)."""
        root.mkdir(parents=True, exist_ok=True)
        if not specs:
            return None
        try:
            (root / "host").mkdir()
        except FileExistsError:
            return None
        pool = cls(root, specs, workers)
        (root / "host" / "pid").write_text(str(os.getpid()), encoding="utf-8")
        pool._thread.start()
        _hosted[str(root)] = pool
        return pool

    def limit(self) -> int:
        """Runs at a time now: `workers`, and two more for each process of the session that only waits
        for cells (its core is the pool's then; many live runs wait on their server half the time)."""
        waiting = self.root / "waiting"
        return self.workers + 2 * (sum(1 for _ in waiting.iterdir()) if waiting.is_dir() else 0)

    def _run(self) -> None:
        env = cell_env()
        order = sorted(self.specs, key=lambda spec: -spec.cost())
        with ThreadPoolExecutor(max_workers=self.workers + 4) as pool:
            list(pool.map(lambda spec: self._one(spec, env), order))

    def _one(self, spec: CellSpec, env: dict[str, str]) -> None:
        with self._slots:
            while self._running >= self.limit():
                self._slots.wait(0.5)  # a process that starts waiting notifies nobody: look again
            self._running += 1
        try:
            self._make(spec, env)
        finally:
            with self._slots:
                self._running -= 1
                self._slots.notify_all()

    def _make(self, spec: CellSpec, env: dict[str, str]) -> None:
        base = self.root / spec.key
        try:
            if self._cancelled.is_set():
                raise RuntimeError("the session stopped early: this run was not made")
            cell = run_cell(spec, base, env, cwd=self.cwd)
        except Exception:  # noqa: BLE001 - a cell that could not be made says why, and its tests fail on it
            variant = spec.variant
            cell = Cell(spec.name, variant.kind if variant else "reference", variant.row if variant else None,
                        spec.mode, spec.profile, -2, 0.0, base / "run",
                        f"the harness could not make this cell:\n{traceback.format_exc()}")
        base.mkdir(parents=True, exist_ok=True)
        cell.save(base / "cell.json")

    def alive(self) -> bool:
        return self._thread.is_alive()

    def cancel(self) -> None:
        """Make no more runs (those under way end on their own, within RUN_LIMIT_S)."""
        self._cancelled.set()

    def join(self) -> None:
        """Wait for every cell (a process that hosts the pool must not end before: others read its cells)."""
        self._thread.join()


_hosted: dict[str, CellPool] = {}


def wait_cells(root: Path, specs: Iterable[CellSpec], timeout: float = 3600.0) -> list[Cell]:
    """The cells of `specs`, once made, in the order given (waiting for the pool that makes them).

    While it waits, the process says so (`ROOT/waiting/PID`): a process that only waits leaves its
    core to the pool, which then makes more runs at once (`CellPool.limit`).
    """
    deadline = time.monotonic() + timeout
    cells = []
    flag = root / "waiting" / str(os.getpid())
    flag.parent.mkdir(parents=True, exist_ok=True)
    try:
        for spec in specs:
            path = root / spec.key / "cell.json"
            while not path.is_file():
                flag.touch()
                if not _host_alive(root):
                    if path.is_file():
                        break
                    raise RuntimeError(f"no process of the session makes {spec.key} any more (see {root})")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{spec.key} was not made within {timeout:g} s (see {root})")
                time.sleep(0.2)
            cells.append(Cell.load(path))
    finally:
        flag.unlink(missing_ok=True)
    return cells


def _host_alive(root: Path) -> bool:
    pool = _hosted.get(str(root))
    if pool is not None:
        return pool.alive()
    if not (root / "host").is_dir():
        return False
    try:
        pid = int((root / "host" / "pid").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # claimed a moment ago: its pid is being written
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def format_matrix(cells: list[Cell], workers: int = WORKERS) -> str:
    """The matrix as text: one line per run, then the wall time of the whole."""
    header = (f"{'variant':30} {'kind':10} {'mode':4} {'prof':5} {'row':22} {'exit':>8}  {'row outcome':12} "
              f"{'time':>8}")
    busy = sum(c.seconds for c in cells)
    wall = max((c.ended for c in cells), default=0.0) - min((c.started for c in cells), default=0.0)
    return "\n".join([header, *(c.line() for c in cells),
                      f"{len(cells)} runs in {wall:.1f} s wall ({busy:.1f} s of runs, {workers} at a time, "
                      f"{workers + 4} while the tests only wait for them, in the background beside the tests)"])


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


def replay_differences(run: dict[str, Any], run_exit: int, replay: dict[str, Any], replay_exit: int, *,
                       observations: bool = True) -> list[str]:
    """Where a replay (`face-conformance judge`) of a run's recording did not reach the run's own result:
    the exit status, the verdict, every row's outcome, the replay's record of the recording, and (with
    `observations`) the observations the run noted (the replay's own notes aside)."""
    problems = []
    if replay_exit != run_exit:
        problems.append(f"exit {replay_exit}, the run's {run_exit}")
    if replay["verdict"] != run["verdict"]:
        problems.append(f"verdict {replay['verdict']!r}, the run's {run['verdict']!r}")
    outcomes = {row["id"]: row["outcome"] for row in run["rows"]}
    replayed = {row["id"]: row["outcome"] for row in replay["rows"]}
    if replayed != outcomes:
        problems.append(f"rows {sorted(set(replayed.items()) ^ set(outcomes.items()))}")
    if replay["target"]["mode"] != "replay" or replay["target"]["recorded"]["verdict"] != run["verdict"]:
        problems.append(f"target {replay['target']}")
    observed = {o["id"] for o in replay["observations"] if not o["id"].startswith("info.replay")}
    if observations and observed != {o["id"] for o in run["observations"]}:
        problems.append(f"observations {sorted(observed ^ {o['id'] for o in run['observations']})}")
    return problems

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
