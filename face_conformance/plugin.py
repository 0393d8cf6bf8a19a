"""The pytest plugin: options, the shared runner fixture, the verdict and the reports.

`face-conformance run` is a thin front on `pytest -p face_conformance.plugin`; the same
options work on either. Set-up and teardown live in the session fixture's finaliser, so that
groups are deleted (or a face restored) after failures, errors, Ctrl-C and SIGTERM alike.
An in-process caller (`run.suite_run`) hands over its settings in a `SuiteSession` and finds the
result record in the stash (`RESULT_KEY`) when the session ends.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from face_conformance import __version__
from face_conformance.cases import catalogue, operation
from face_conformance.config import options
from face_conformance.config.settings import ConfigError, Settings, build_settings, settings_record
from face_conformance.evidence.record import RunResult
from face_conformance.evidence.run_record import RunRecord
from face_conformance.judging.ledger import Ledger
from face_conformance.live.client import Inconclusive
from face_conformance.live.interrupts import terminate_as_interrupt
from face_conformance.live.provisioning import SetupError
from face_conformance.live.target import check_variant, make_target
from face_conformance.run import run_result
from face_conformance.run.runner import SETUP_FAILED, Runner
from face_conformance.run.suite_run import RESULT_KEY, SuiteSession

SETTINGS_KEY = pytest.StashKey[Settings]()
LEDGER_KEY = pytest.StashKey[Ledger]()
RUNNER_KEY = pytest.StashKey[Runner]()
STARTED_KEY = pytest.StashKey[tuple[float, str]]()
# The Hypothesis profile and forced seed a suite session replaced, put back at unconfigure.
PROFILE_KEY = pytest.StashKey[tuple[str, int | None]]()
SUITE_INI = Path(__file__).resolve().parent / "suite" / "suite.ini"
SUITE_PACKAGE = "face_conformance.suite"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The suite's options, in one group (the table is `face_conformance.config.options`)."""
    group = parser.getgroup("face-conformance", "Azure Face Update Face conformance")
    options.add_options(group.addoption, pytest_spelling=True)


def settings_from_config(config: pytest.Config) -> Settings:
    """Validated settings from pytest's options and, for a session that runs the suite, the environment.

    The project's own tests never read FACE_ENDPOINT or FACE_KEY: a shell that has them set must
    not point the self-tests at a live endpoint (nor break them when only one is set).
    """
    environ = None if is_suite_session(config) else {}
    return build_settings(options.values(lambda option: config.getoption(option.pytest_dest)), environ)


def pytest_configure(config: pytest.Config) -> None:
    """Validate settings, set the row marker, the Hypothesis profile, and SIGTERM handling."""
    # Declared here only: the suite's runs and the project's own tests both load this plugin.
    config.addinivalue_line("markers", "row(id, ...): the conformance row(s) a test exercises")
    given = _given_settings(config)
    try:
        settings = given if given is not None else settings_from_config(config)
        check_variant(settings.variant)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    # The suite's rows and paths are the run's operation's (an in-process caller may run several in turn).
    operation.select(settings.operation, settings.api_version)
    config.stash[SETTINGS_KEY] = settings
    config.stash[LEDGER_KEY] = Ledger()
    config.stash[STARTED_KEY] = (time.monotonic(), run_result.now_iso())
    if is_suite_session(config):
        config.stash[PROFILE_KEY] = _hypothesis_profile(settings)
    terminate_as_interrupt()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the suite's tests whose every row does not apply to the run's operation, saying why."""
    if not is_suite_session(config):
        return
    for item in items:
        marker = item.get_closest_marker("row")
        if marker is None or not marker.args:
            continue
        found = [catalogue.row(catalogue.current_id(r)) for r in marker.args]
        if all(r.level == "N/A" for r in found):
            why = f"not applicable to {operation.current().title}: {found[0].reason}"
            item.add_marker(pytest.mark.skip(reason=why))


def _given_settings(config: pytest.Config) -> Settings | None:
    """The settings an in-process caller built and handed over (`run.suite_run.SuiteSession`), if any."""
    for registered in config.pluginmanager.get_plugins():
        if isinstance(registered, SuiteSession) and registered.settings is not None:
            return registered.settings
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put back the Hypothesis profile and seed the suite replaced, for an in-process caller."""
    previous = config.stash.get(PROFILE_KEY, None)
    if previous is not None:
        from hypothesis import core
        from hypothesis import settings as hsettings

        hsettings.load_profile(previous[0])
        core.global_force_seed = previous[1]


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Where the run points and how: target, mode, profile and seed (never the key)."""
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None:
        return []
    target = settings.endpoint or "embedded reference"
    if settings.variant:
        target += f" (zoo variant {settings.variant})"
    seed = "none" if settings.seed is None else str(settings.seed)
    return [f"face-conformance {__version__} ({settings.target.label}): target {target}, mode {settings.mode}, "
            f"profile {settings.profile}, seed {seed}"]


def is_suite_session(config: pytest.Config) -> bool:
    """True when this session runs the shipped suite, not the project's own tests.

    The suite's Hypothesis profile silences every health check, which suits probing a server
    but would hide real problems in the self-tests' strategies. `face-conformance run` (and the
    benchmarks) pass the suite's own ini file; a plain `pytest` run names the suite's directory,
    its files, or (with --pyargs) its package.
    """
    if config.inipath is not None and Path(config.inipath).resolve() == SUITE_INI:
        return True
    pyargs = bool(config.getoption("pyargs", False))
    for arg in config.args:
        target = str(arg).split("::", 1)[0]
        if pyargs and (target == SUITE_PACKAGE or target.startswith(SUITE_PACKAGE + ".")):
            return True
        path = (config.invocation_params.dir / target).resolve()
        if path == SUITE_INI.parent or SUITE_INI.parent in path.parents:
            return True
    return False


def _hypothesis_profile(settings: Settings) -> tuple[str, int | None]:
    """Load the suite's profile; returns the profile name and forced seed it replaced."""
    from hypothesis import HealthCheck, core
    from hypothesis import settings as hsettings

    previous = (hsettings.get_current_profile_name(), core.global_force_seed)
    live = settings.mode == "live"
    hsettings.register_profile(
        "face-conformance",
        max_examples=6 if live else 30,
        deadline=None,
        database=None if (settings.seed is not None or os.environ.get("CI")) else hsettings.default.database,
        derandomize=settings.seed is None and bool(os.environ.get("CI")),
        # The suite probes a server: slow answers and filtered examples are the server's business.
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    hsettings.load_profile("face-conformance")
    if settings.seed is not None:
        core.global_force_seed = settings.seed
    return previous


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    """The run's validated settings."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def runner(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> Runner:
    """The shared runner, set up once; its teardown runs whatever happens to the tests."""
    settings = pytestconfig.stash[SETTINGS_KEY]
    ledger = pytestconfig.stash[LEDGER_KEY]
    target = make_target(settings)
    run = Runner(settings, target, ledger)
    pytestconfig.stash[RUNNER_KEY] = run
    torn_down: list[bool] = []

    def finalise() -> None:
        if not torn_down:
            torn_down.append(True)
            _teardown(pytestconfig, run)

    request.addfinalizer(finalise)
    try:
        run.setup()
    except (SetupError, Inconclusive) as exc:
        _stop(run, request.session, "inconclusive", f"{SETUP_FAILED}: {exc}", exc)
    except BaseException:
        # Ctrl-C or SIGTERM during set-up: pytest never runs the finalisers of a fixture whose
        # set-up raised KeyboardInterrupt (no cached result), so delete what was created here.
        finalise()
        raise
    return run


def _stop(run: Runner, session: pytest.Session, kind: str, reason: str, exc: Exception | None = None) -> None:
    """End the run early: record why, stop after this test, and skip it (the verdict says the rest)."""
    run.stop(kind, reason, getattr(exc, "exchange", None))
    session.shouldstop = reason
    pytest.skip(f"run stopped: {reason}")


def _teardown(config: pytest.Config, run: Runner) -> None:
    try:
        problems = run.teardown()
    except Exception as exc:  # noqa: BLE001 - a teardown problem is reported, never raised
        problems = [f"teardown failed: {exc}"]
    finally:
        run.close()
    run.note_problems(problems)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A quota/access answer or an unresponsive server ends the run, with the reason."""
    try:
        return (yield)
    except BaseException as exc:
        found = find_inconclusive(exc)
        run = item.config.stash.get(RUNNER_KEY, None)
        if found is None or run is None:
            raise
        _stop(run, item.session, found.kind, str(found), found)
        raise


def find_inconclusive(exc: BaseException | None, depth: int = 0) -> Inconclusive | None:
    """The Inconclusive behind an exception, also when Hypothesis or schemathesis wrapped or grouped it."""
    if exc is None or depth > 8:
        return None
    if isinstance(exc, Inconclusive):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        if (found := find_inconclusive(inner, depth + 1)) is not None:
            return found
    return find_inconclusive(exc.__cause__ or exc.__context__, depth + 1)


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Any:
    """After teardown: fold the ledger, apply the baseline, write the reports, set the exit code.

    The result record is also left in the stash (`RESULT_KEY`), for an in-process caller.
    """
    result = yield
    config = session.config
    run = config.stash.get(RUNNER_KEY, None)
    if run is None:
        return result
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    record = run.run_record()
    report = build_result(config, record, interrupted=interrupted)
    from face_conformance.evidence.har import write_har
    from face_conformance.reporting import write_reports

    settings = config.stash[SETTINGS_KEY]
    write_reports(report, settings.report_dir)
    config.stash[RESULT_KEY] = report  # for the CLI to print, once conformance.json is on disk
    write_har(record, settings_record(settings), report, settings.report_dir, interrupted=interrupted)
    code = report["exit_code"]
    others_failed = any(not _is_suite_test(nodeid) for nodeid in _failed(session))
    session.exitstatus = code if code != 0 else (1 if others_failed else 0)
    return result


def _failed(session: pytest.Session) -> list[str]:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = getattr(reporter, "stats", {}) if reporter else {}
    return [r.nodeid for r in stats.get("failed", []) + stats.get("error", []) if hasattr(r, "nodeid")]


def _is_suite_test(nodeid: str) -> bool:
    return "face_conformance/suite/" in nodeid.replace("\\", "/") or nodeid.startswith("suite/")


def build_result(config: pytest.Config, record: RunRecord, *, interrupted: bool = False) -> RunResult:
    """The result dict of docs/contract.md (and the reports' extra fields) for a finished run."""
    started_mono, started_iso = config.stash[STARTED_KEY]
    return run_result.build_result(config.stash[SETTINGS_KEY], record, config.stash[LEDGER_KEY], started=started_iso,
                                   duration_s=time.monotonic() - started_mono, interrupted=interrupted)
