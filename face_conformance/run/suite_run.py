"""The shipped suite, run in process: its pytest command line, and the `pytest.main` call.

`face-conformance run` and side A of `face-conformance diff` both run the suite through
`run_suite`. The `SuiteSession` it hands to pytest gives the plugin the run's validated
`Settings` (built once by the caller, never again from a command line) and, when the session
ends, holds the result record the plugin made: no caller reads `conformance.json` back.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from face_conformance.config import options
from face_conformance.config.settings import Settings
from face_conformance.evidence.record import RunResult

SUITE_DIR = Path(__file__).resolve().parent.parent / "suite"
SUITE_INI = SUITE_DIR / "suite.ini"
SUITE_PACKAGE = "face_conformance.suite"
#: Where the plugin leaves a session's result record (`SuiteSession.result` reads it).
RESULT_KEY = pytest.StashKey[RunResult]()


class SuiteSession:
    """A pytest plugin object for one in-process run: the settings go in, the result record comes out."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        self.config: pytest.Config | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        """Keep the session's config: the plugin stashes the result there."""
        self.config = config

    @property
    def result(self) -> RunResult | None:
        """The run's result record; None when the session ended before the plugin made one."""
        return self.config.stash.get(RESULT_KEY, None) if self.config is not None else None


@dataclass(frozen=True)
class SuiteRun:
    """How a run of the suite ended: pytest's exit code, and the result record (None: none was made)."""

    pytest_code: int
    result: RunResult | None


def pytest_args(values: Mapping[str, Any] | None = None, *, verbose: bool = False) -> list[str]:
    """The pytest command line of a run: the shipped suite, its own ini, the plugin, and the options
    `values` sets (raw values by settings key, as `build_settings` takes them; unset ones are left out)."""
    out = [str(SUITE_DIR), "-c", str(SUITE_INI), "--rootdir", str(SUITE_DIR),
           "-p", "face_conformance.plugin", "-p", "no:cacheprovider", "--assert=plain"]
    quiet = ["-p", "no:terminal", "-p", "no:warnings", "-p", "no:unraisableexception"]
    out += ["-q", "-rN", "--tb=short", "--no-header"] if verbose else quiet
    given = values or {}
    return out + options.pytest_command_line(argparse.Namespace(**options.values(lambda o: given.get(o.key))))


def run_suite(settings: Settings, *, values: Mapping[str, Any] | None = None, verbose: bool = False,
              plugins: Iterable[object] = ()) -> SuiteRun:
    """Run the shipped suite in process with `settings`; pytest's exit code and the run's result record.

    `values` (the raw options the settings were built from) also go on pytest's command line, so
    that it reads as the run it is; the plugin takes `settings` as they are. `plugins` are more
    pytest plugin objects (a progress bar). Quiet (not `verbose`), an exception Python ignores
    during clean-up is one line on stderr, not a traceback.
    """
    session = SuiteSession(settings)
    _forget_suite_modules_of_another_operation(settings)
    hook = sys.unraisablehook
    if not verbose:
        sys.unraisablehook = _quiet_unraisable
    try:
        code = pytest.main(pytest_args(values, verbose=verbose), plugins=[session, *plugins])
    finally:
        sys.unraisablehook = hook
    return SuiteRun(int(code), session.result)


#: The operation and version the suite's modules in `sys.modules` were imported for (empty: not imported yet).
_imported_for: list[tuple[str, str]] = []


def _forget_suite_modules_of_another_operation(settings: Settings | None) -> None:
    """The suite's modules parametrize their tests by the selected operation's rows when they are
    imported, and pytest reuses a module already in `sys.modules`: a second run in the same process
    for another operation or version (a script calling `run_suite`, side A of a diff) must import
    them afresh, or it would collect the first one's rows."""
    if settings is None:
        return
    wanted = (settings.operation, settings.api_version)
    if _imported_for and _imported_for[0] != wanted:
        for name in [n for n in sys.modules if n.startswith(f"{SUITE_PACKAGE}.")]:
            del sys.modules[name]
    _imported_for[:] = [wanted]


def _quiet_unraisable(unraisable: Any) -> None:
    """One line, not a traceback: after Ctrl-C or SIGTERM, pytest's own half-closed generators
    can raise while being collected, which says nothing about the endpoint."""
    kind = type(unraisable.exc_value).__name__ if unraisable.exc_value is not None else "exception"
    print(f"face-conformance: note: an exception ({kind}) was ignored during clean-up", file=sys.stderr)
