"""The zoo's runs: one `Cell` per run of the suite against a variant, made in the background.

Each `CellSpec` is a zoo variant served on a free loopback port (live) or in process (mock), on an
operation of the family; `run_cell` runs the suite against it in a fork of the zygote
(`zygote.py`), then re-judges its recording with `face-conformance judge`. `CellPool` makes a
session's cells from its start, in the first process to claim them (tests/e2e/conftest.py), while
the tier's other tests run; the tests that read them wait for them (`wait_cells`). `format_matrix`
prints them, `evidence` explains one, `replay_differences` says where a replay and its run disagree.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import traceback
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import REPORT_FILES, TookTooLong, cli_env, fork_cli, zygote_for
from zoo_config import MATRIX_KEY
from zygote import Child, Zygote

from face_conformance.cases.outcomes import BAD
from face_conformance.evidence.har import HAR_FILE
from face_conformance.zoo import VARIANTS
from face_conformance.zoo.registry import Variant

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
    def kind(self) -> str:
        """The variant's kind, or "reference" for the unbroken reference."""
        return self.variant.kind if self.variant else "reference"

    @property
    def row(self) -> str | None:
        """The row the variant names (None for the reference and the hostile variants)."""
        return self.variant.row if self.variant else None

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


def run_cell(spec: CellSpec, base: Path, env: dict[str, str], *, cwd: Path) -> Cell:
    """Make one cell in `base`: serve the variant (live) and run the suite against it, then judge its recording.

    Live, the variant is served by a forked child of its own (`BackgroundServer`, as `live_config`
    sets it up) and the suite is run against it with `--endpoint`; in mock mode, with `--variant`. The
    runs go in `cwd`, the test session's directory, as they always have (the suite's Hypothesis
    database there, outside CI). The recording is then re-judged by `face-conformance judge`, offline.
    """
    parent = zygote_for(env)
    variant = spec.variant
    report_dir = base / "run"
    base.mkdir(parents=True, exist_ok=True)
    args = ["run", "--profile", spec.profile, "--report-dir", str(report_dir), *spec.operation_args()]
    started = time.time()
    if spec.mode == "mock":
        code, output, seconds = _cell_run([*args, *(["--variant", spec.name] if variant else [])], env, cwd)
    else:
        assert variant is not None
        args += ["--key", MATRIX_KEY, "--timeout", str(ANSWER_TIMEOUT_S)]
        if variant.kind == "broken" and variant.profile == "full":
            args += ["--budget", str(FULL_BUDGET)]
        server = parent.spawn("serve", [spec.name], cwd=base, env=env)
        try:
            code, output, seconds = _cell_run([*args, "--endpoint", _served_at(parent, server)], env, cwd)
        finally:
            parent.kill(server)
            parent.discard(server)
    replay_dir, replay_exit, replay_output = None, None, ""
    if spec.judge and (report_dir / HAR_FILE).is_file():
        replay_dir = base / "replay"
        replay_exit, replay_output, _ = _cell_run(
            ["judge", str(report_dir / HAR_FILE), "--report-dir", str(replay_dir)], env, cwd)
    return Cell(spec.name, spec.kind, spec.row, spec.mode, spec.profile, code, seconds, report_dir, output,
                _outcomes(report_dir), replay_dir, replay_exit, replay_output, started, time.time())


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


def _cell_run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, float]:
    """Exit status, output and seconds of one forked `face-conformance` run, killed after RUN_LIMIT_S (-1)."""
    try:
        run = fork_cli(*args, cwd=cwd, timeout=RUN_LIMIT_S, env=env)
    except TookTooLong as exc:
        return -1, f"the run took more than {RUN_LIMIT_S:g} s and was killed\n{exc.stdout}{exc.stderr}", RUN_LIMIT_S
    return run.returncode, run.output, run.elapsed


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
            cell = Cell(spec.name, spec.kind, spec.row, spec.mode, spec.profile, -2, 0.0, base / "run",
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
            if not path.is_file():
                flag.touch()
            while not path.is_file():
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


def evidence(cell: Cell) -> str:
    """A cell's line, where its reports are, and the tail of its output: a failed assertion's message."""
    return f"{cell.line()}\nreports in {cell.report_dir}\n--- output (tail) ---\n{cell.output[-3000:]}"


def replay_differences(run: dict[str, Any], run_exit: int, replay: dict[str, Any], replay_exit: int, *,
                       observations: bool = True) -> list[str]:
    """Where a replay (`face-conformance judge`) of a run's recording did not reach the run's own result:
    the exit status, the verdict, every row's outcome, the replay's record of the recording, and (with
    `observations`) the observations the run noted (the replay's own notes aside)."""
    problems = note_differences(run, replay) if observations else []
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
    return problems


def note_differences(run: dict[str, Any], replay: dict[str, Any]) -> list[str]:
    """The observations a replay noted and its run did not, or the other way (the replay's own notes aside)."""
    observed = {o["id"] for o in replay["observations"] if not o["id"].startswith("info.replay")}
    noted = {o["id"] for o in run["observations"]}
    return [f"observations {sorted(observed ^ noted)}"] if observed != noted else []
