"""The end-to-end tier: fixtures its modules share, and the zoo's runs in the background.

The harness itself is `harness.py` (runs of the CLI), `zygote.py` (forked runs), `cells.py` (the
zoo's runs) and `servers.py` (loopback servers).
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cells import CellPool, CellSpec
from harness import Run, script_cli, shared_dir

#: The modules whose tests read the background runs (`background_cells`); xdist hands them out last.
ZOO_MODULES = ("test_kill_matrix.py", "test_mutants_mock.py", "test_family.py")


@pytest.fixture(scope="session", autouse=True)
def zoo_root(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the zoo's runs (kill matrix, mock mutants, family) are written; they start with the session.

    Each module that reads such runs says which, from its selected tests (`background_cells`). Every
    process of the session computes the same plan; the first to claim it makes the runs in the
    background (`cells.CellPool`) while its tests and the other worker's go on, and waits for the
    last of them before it ends. The modules that read them are handed out last
    (`pytest_xdist_make_scheduler`), so that by then most are made.
    """
    root = shared_dir(tmp_path_factory, request.config) / "zoo"
    pool = CellPool.claim(root, _planned(request.session.items))
    yield root
    if pool is not None:
        if request.session.shouldstop or request.session.shouldfail or _interrupted:
            pool.cancel()  # -x, --maxfail or Ctrl-C: no test will read the runs still to make
        pool.join()


_interrupted: list[bool] = []


def pytest_keyboard_interrupt() -> None:
    _interrupted.append(True)


def _planned(items: list[pytest.Item]) -> list[CellSpec]:
    by_module: dict[Any, list[pytest.Item]] = {}
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and hasattr(module, "background_cells"):
            by_module.setdefault(module, []).append(item)
    plan: dict[str, CellSpec] = {}
    for module, mine in by_module.items():
        plan.update((spec.key, spec) for spec in module.background_cells(mine))
    return list(plan.values())


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """The scheduling of tests/conftest.py (a module's tests stay on one worker, largest first), but the
    modules that read the zoo's background runs go last: their runs are made beside everything else,
    and a worker that reached them first would only wait for them."""
    from xdist.scheduler import LoadScopeScheduling

    class ZooLast(LoadScopeScheduling):
        def _assign_work_unit(self, node: Any) -> None:
            for scope in [scope for scope in self.workqueue if scope.endswith(ZOO_MODULES)]:
                self.workqueue.move_to_end(scope)
            super()._assign_work_unit(node)

    return ZooLast(config, log)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between the processes of the session."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def default_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`face-conformance run` with no options, in an empty directory: mock mode, full profile, `./reports`.

    The run a new user makes first. Its report, terminal output and recording are read by
    test_suite_on_reference, test_har and test_diff_cli, so it is run once a session: the first
    process (xdist worker) to need it runs it, the others read what it left. Nothing may write into
    its directory.
    """
    cwd = shared_dir(tmp_path_factory, request.config) / "default-run"
    saved = cwd.with_suffix(".json")
    with _locked(cwd.with_suffix(".lock")):
        if saved.is_file():
            data = json.loads(saved.read_text(encoding="utf-8"))
            run = Run(**{**data, "report_dir": Path(data["report_dir"])})
        else:
            cwd.mkdir()
            run = dataclasses.replace(script_cli("run", cwd=cwd, timeout=180), report_dir=cwd / "reports")
            saved.write_text(json.dumps({**dataclasses.asdict(run), "report_dir": str(run.report_dir)}),
                             encoding="utf-8")
    return run


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary; skipped locally when missing, a failure on CI."""
    found = next(
        (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.access(p, os.X_OK)), None
    )
    if found is None:
        message = "chromium not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found
