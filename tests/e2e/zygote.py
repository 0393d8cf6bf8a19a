"""Forked runs: an interpreter that has imported everything and made one run, one fork per run.

A `Zygote` is a `face-conformance` interpreter started once (`zygote_main`): it imports the package
and pytest's plugins, makes one seeded smoke run and its replay (`_warm_up`), then forks a child for
each job its parent writes on its stdin: a CLI run (`main` with the job's argv, environment and
directory) or a zoo variant served on loopback. `harness.run_cli` and `cells.run_cell` use it; this
module imports neither.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo_config import live_config

from face_conformance.evidence.har import HAR_FILE
from face_conformance.reference import BackgroundServer
from face_conformance.zoo import VARIANTS

#: How a zygote starts: this folder and the tests' shared helpers (zoo_config) on its path, then `zygote_main`.
_ZYGOTE_BOOT = "import sys; sys.path[:0] = sys.argv[1:3]; import zygote; zygote.zygote_main()"
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

    Starting Python, importing pytest, Hypothesis, schemathesis, httpx and the package, and a process's
    first run cost more CPU than a smoke run's own work; a zygote pays them once (`_warm_up`): a smoke
    run forked after the imports alone took 0.63 s of CPU here, after the warm-up run 0.28 s. Each job
    is a fork of it, made while it holds no other thread: a session of its own (so that its group can
    be killed), in
    the job's directory, with the job's environment (`cli_env`), stdin from /dev/null and stdout and
    stderr to files; it calls the console script's `main` with the job's arguments (or serves a zoo
    variant, for a live cell) and exits as the console script does, atexit handlers and all. The
    zygote itself is started with the environment of its jobs but for their own variables (Hypothesis
    reads `CI` once, on import: there is one zygote per value of `CI`). Its stdout says when it
    started a child (`start ID PID`) and how each ended (`exit PID STATUS`).
    """

    def __init__(self, env: dict[str, str]) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="face-zygote-"))
        self._log = self._dir / "zygote.log"
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE_BOOT, str(_E2E_DIR), str(_E2E_DIR.parent)],
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


_zygotes: dict[str | None, Zygote] = {}
_zygotes_lock = threading.Lock()


def zygote(env: dict[str, str]) -> Zygote:
    """This process's zygote started with `env`, one per value of its CI (started on first use; ended at exit)."""
    key = env.get("CI")
    with _zygotes_lock:
        if key not in _zygotes:
            if not _zygotes:
                atexit.register(_close_zygotes)
            _zygotes[key] = Zygote(env)
        return _zygotes[key]


def _close_zygotes() -> None:
    with _zygotes_lock:
        for one in _zygotes.values():
            one.close()
        _zygotes.clear()


# -- what runs in the zygote and its children -----------------------------------------------------


def zygote_main() -> None:
    """The zygote (`Zygote`): import what a run imports, then fork a child for each job read from stdin."""
    import gc
    import select

    _preload()
    _warm_up()
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
