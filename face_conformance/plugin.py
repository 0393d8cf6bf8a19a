"""The pytest plugin: options, the shared runner fixture, the verdict and the reports.

`face-conformance run` is a thin front on `pytest -p face_conformance.plugin`; the same
options work on either. Set-up and teardown live in the session fixture's finaliser, so that
groups are deleted (or a face restored) after failures, errors, Ctrl-C and SIGTERM alike.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from typing import Any

import pytest

from . import __version__, catalogue
from .client import Inconclusive
from .ledger import EXIT, Ledger, verdict
from .provisioning import SetupError
from .runner import Runner
from .settings import ConfigError, Settings, build_settings
from .target import make_target

SETTINGS_KEY = pytest.StashKey[Settings]()
LEDGER_KEY = pytest.StashKey[Ledger]()
RUNNER_KEY = pytest.StashKey[Runner]()
RESULT_KEY = pytest.StashKey[dict]()
STARTED_KEY = pytest.StashKey[tuple[float, str]]()

OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--endpoint", {"help": "Face endpoint URL (env FACE_ENDPOINT); without it, the embedded reference (mock)"}),
    ("--key", {"help": "subscription key (env FACE_KEY); never printed"}),
    ("--report-dir", {"default": "reports", "help": "where reports are written (default: reports)"}),
    ("--conformance-strict", {"action": "store_true", "help": "SHOULD rows fail the run too"}),
    ("--strict-messages", {"action": "store_true", "help": "messages must match the page's English examples"}),
    ("--profile", {"help": "smoke (few requests) or full (adds generated cases; default)"}),
    ("--max-rps", {"help": "at most N requests in any one-second window"}),
    ("--max-rpm", {"help": "at most N requests in any one-minute window (free tier: 20)"}),
    ("--budget", {"help": "stop sending probes once N requests are spent"}),
    ("--person-group-id", {"help": "bring-your-own: the face's person group"}),
    ("--person-id", {"help": "bring-your-own: the face's person"}),
    ("--persisted-face-id", {"help": "bring-your-own: the face (its userData is restored at the end)"}),
    ("--face-url", {"help": "image URL for Add Face (default: a Face quickstart sample)"}),
    ("--face-image", {"help": "image file for Add Face"}),
    ("--seed", {"help": "seed for generated cases (same seed, same requests)"}),
    ("--baseline", {"help": "YAML file of accepted deviations"}),
    ("--timeout", {"help": "seconds to wait for any answer (default 30)"}),
    ("--run-deadline", {"help": "seconds after which the run stops sending probes and reports (default 3600)"}),
    ("--allow-insecure", {"action": "store_true", "help": "allow plain http to a non-loopback endpoint"}),
    ("--variant", {"help": "mock mode: test a zoo variant of the reference instead (self-tests)"}),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """The suite's options, in one group."""
    group = parser.getgroup("face-conformance", "Azure Face Update Face conformance")
    for name, kwargs in OPTIONS:
        group.addoption(name, dest="fc_" + name.lstrip("-").replace("-", "_"), **kwargs)


def settings_from_config(config: pytest.Config) -> Settings:
    """Validated settings from pytest's options and the environment."""
    raw = {name.lstrip("-").replace("-", "_"): config.getoption("fc_" + name.lstrip("-").replace("-", "_"))
           for name, _ in OPTIONS}
    raw["strict"] = raw.pop("conformance_strict")
    return build_settings(raw)


def pytest_configure(config: pytest.Config) -> None:
    """Validate settings, set the row marker, the Hypothesis profile, and SIGTERM handling."""
    config.addinivalue_line("markers", "row(id): the conformance row a test exercises")
    try:
        settings = settings_from_config(config)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[SETTINGS_KEY] = settings
    config.stash[LEDGER_KEY] = Ledger()
    config.stash[STARTED_KEY] = (time.monotonic(), dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _hypothesis_profile(settings)
    _terminate_as_interrupt()


def _hypothesis_profile(settings: Settings) -> None:
    from hypothesis import HealthCheck, core
    from hypothesis import settings as hsettings

    live = settings.mode == "live"
    hsettings.register_profile(
        "face-conformance",
        max_examples=6 if live else 30,
        deadline=None,
        database=None if (settings.seed is not None or os.environ.get("CI")) else hsettings.default.database,
        derandomize=settings.seed is None and bool(os.environ.get("CI")),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    hsettings.load_profile("face-conformance")
    if settings.seed is not None:
        core.global_force_seed = settings.seed


def _terminate_as_interrupt() -> None:
    """SIGTERM behaves like Ctrl-C, so the session's finalisers delete what the run created."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. pytest run from a thread): leave it alone
        pass


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
        _stop(run, request.session, "inconclusive", f"set-up failed before any row could be tested: {exc}", exc)
    except BaseException:
        # Ctrl-C or SIGTERM during set-up: pytest never runs the finalisers of a fixture whose
        # set-up raised KeyboardInterrupt (no cached result), so delete what was created here.
        finalise()
        raise
    return run


def _stop(run: Runner, session: pytest.Session, kind: str, reason: str, exc: Exception | None = None) -> None:
    """End the run early: record why, stop after this test, and skip it (the verdict says the rest)."""
    run.ledger.stop(kind, reason)
    exchange = getattr(exc, "exchange", None)
    if exchange is not None:
        run.ledger.observe("info.stop", None, reason, exchange.to_dict("error", reason))
    session.shouldstop = reason
    pytest.skip(f"run stopped: {reason}")


def _teardown(config: pytest.Config, run: Runner) -> None:
    try:
        problems = run.teardown()
    except Exception as exc:  # noqa: BLE001 - a teardown problem is reported, never raised
        problems = [f"teardown failed: {exc}"]
    finally:
        run.target.close()
    for problem in problems:
        run.ledger.observe(f"info.teardown-{len(run.ledger.observations)}", None, problem)


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
    """After teardown: fold the ledger, apply the baseline, write the reports, set the exit code."""
    result = yield
    config = session.config
    run = config.stash.get(RUNNER_KEY, None)
    if run is None:
        return result
    report = build_result(config, run, interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
    config.stash[RESULT_KEY] = report
    from .reporting import write_reports

    write_reports(report, config.stash[SETTINGS_KEY].report_dir)
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


def build_result(config: pytest.Config, run: Runner, *, interrupted: bool = False) -> dict[str, Any]:
    """The result dict of CONTRACT.md (and the reports' extra fields) for a finished run."""
    settings = config.stash[SETTINGS_KEY]
    started_mono, started_iso = config.stash[STARTED_KEY]
    ledger = run.ledger
    if interrupted:
        ledger.stop("inconclusive", "the run was interrupted")
    rows = ledger.rows(dict(run.client.sent_by_tag))
    baseline_info = None
    if settings.baseline:
        from .baseline import apply_baseline, load_baseline

        rows, stale = apply_baseline(rows, load_baseline(settings.baseline))
        baseline_info = {"file": str(settings.baseline), "stale": stale}
    name, reason = verdict(rows, strict=settings.strict, stop_kind=ledger.stop_kind, stop_reason=ledger.stop_reason)
    return {
        "suite": {"name": "face-conformance", "version": __version__},
        "target": {
            "endpoint": run.target.label, "mode": settings.mode, "profile": settings.profile,
            "seed": settings.seed, "started": started_iso, "strict": settings.strict,
            "strict_messages": settings.strict_messages,
            "run": "bring-your-own" if settings.bring_your_own else "provisioned",
            **({"face image": settings.face_source} if settings.mode == "live" and not settings.bring_your_own
               else {}),
        },
        "verdict": name,
        "verdict_reason": reason,
        "exit_code": EXIT[name],
        "requests": run.client.sent,
        "requests_by_purpose": dict(sorted(run.client.sent_by_tag.items())),
        "duration_s": round(time.monotonic() - started_mono, 2),
        "rows": rows,
        "observations": [vars(o) for o in ledger.observations.values()],
        "baseline": baseline_info,
        "restored": run.provisioner.restored,
        "row_count": len(catalogue.row_ids()),
    }
