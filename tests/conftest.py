"""Shared self-test set-up, both tiers: tests do not depend on the shell they run in.

The tiers are folders: `tests/unit/` (in process; its conftest refuses sockets and subprocesses)
and `tests/e2e/` (loopback servers, the CLI in subprocesses, the kill matrix, the browser, the SDK).
Helpers both tiers import live here (`sample_result.py`, `zoo_config.py`); pytest's default
`prepend` import mode puts this folder on `sys.path`, and each tier's folder for its own modules.
"""

from __future__ import annotations

from typing import Any

import pytest

#: What xdist workers handed over to be printed (`harness.show`), printed in the terminal summary.
SHOWN = "face_conformance_shown"
_shown = pytest.StashKey[list[str]]()

# Variables that would point a self-test at a live endpoint, leak a key, or write a CI summary.
CLEARED_ENV = ("FACE_ENDPOINT", "FACE_KEY", "FACE_KEY_A", "FACE_KEY_B", "GITHUB_STEP_SUMMARY")


@pytest.fixture(autouse=True)
def _clean_face_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove FACE_ENDPOINT, the FACE_KEY* keys and GITHUB_STEP_SUMMARY for the duration of each test.

    monkeypatch restores them afterwards, and a test may still set them itself.
    """
    for name in CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under pytest-xdist (`-n 2`), whatever `--dist` says: a module's tests stay on one worker.

    Most end-to-end modules make their runs once, in a module fixture (the kill matrix: over a
    hundred live runs), and a fixture is made once per worker that runs a test of its module; split
    over two workers it would be made twice. Modules go out largest first (by number of tests: the
    kill matrix, then the mock mutants), so the longest start at once.
    """
    from xdist.scheduler import LoadScopeScheduling

    return LoadScopeScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """An xdist worker ended: keep what it asked to print (the kill matrix, the mutants)."""
    shown = getattr(node, "workeroutput", {}).get(SHOWN, [])
    node.config.stash.setdefault(_shown, []).extend(shown)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for text in config.stash.get(_shown, []):
        terminalreporter.write_line(text)
