"""The key never appears in any report, log or printed line (docs/contract.md, `conformance.json`).

A recognisable key is used in mock and live runs, conformant and failing, and against servers that
echo the request's headers (key included) in their bodies, headers and quota messages. Then every
byte the runs wrote (the whole working directory, report directories included) and everything
they printed is searched for it; after a live full run against `echoes-key`, for every key the
near-miss rules derive from it too.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Run, assert_no_traceback, find_secret, finish, get, live_args, run_many, script_cli, start_cli
from servers import echo_headers, echo_quota, hostile, reference

from face_conformance.cases import catalogue, nearmiss
from face_conformance.reference import ReferenceConfig, ReferenceService
from face_conformance.zoo import VARIANTS, variant_names

SECRET = "k-SECRET-3f9a1c-DO-NOT-LEAK"

# name: the exit status the run must end with (each scenario must really happen for its search to mean anything)
EXPECTED = {
    "mock-key-option": 0,
    "mock-key-env": 0,
    "live-reference": 0,
    "live-reference-full": 0,
    "live-failing-verbose": 1,
    "live-echo-patch": 1,
    "live-echo-everything": 3,
    "live-quota-echo": 3,
    "cleanup-echo": 3,
    "usage-error": 2,
}


@dataclass
class Leaky:
    cwd: Path
    runs: dict[str, Any] = field(default_factory=dict)
    echoes: dict[str, Any] = field(default_factory=dict)

    def run(self, name: str) -> Run:
        return get(self.runs, name)


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Leaky]:
    cwd = tmp_path_factory.mktemp("leak")
    state = Leaky(cwd)
    config = ReferenceConfig(key=SECRET)
    with ExitStack() as stack:
        ref = stack.enter_context(reference(config))
        broken = stack.enter_context(reference(config, VARIANTS["ok-with-json-body"].build))
        echo_patch = stack.enter_context(hostile(echo_headers, behind=ReferenceService(config), patch_only=True))
        echo_all = stack.enter_context(hostile(echo_headers))
        quota = stack.enter_context(hostile(echo_quota, behind=ReferenceService(config), patch_only=True))
        state.echoes = {"live-echo-patch": echo_patch, "live-echo-everything": echo_all, "live-quota-echo": quota}
        jobs = {
            "mock-key-option": ["run", "--key", SECRET, "--report-dir", "mock-key-option", "--profile", "smoke"],
            "live-reference": live_args(ref.base_url, SECRET, cwd / "live-reference"),
            "live-reference-full": live_args(ref.base_url, SECRET, cwd / "live-reference-full", profile="full"),
            "live-failing-verbose": live_args(broken.base_url, SECRET, cwd / "live-failing-verbose", "-v"),
            "live-echo-patch": live_args(echo_patch.base_url, SECRET, cwd / "live-echo-patch"),
            "live-echo-everything": live_args(echo_all.base_url, SECRET, cwd / "live-echo-everything"),
            "live-quota-echo": live_args(quota.base_url, SECRET, cwd / "live-quota-echo"),
            "cleanup-echo": ["cleanup", "--endpoint", echo_all.base_url, "--key", SECRET],
            "usage-error": ["run", "--endpoint", "http://10.1.2.3", "--key", SECRET, "--report-dir", "usage-error"],
        }
        state.runs = run_many(jobs, cwd=cwd, parallel=3, timeout=180, fork=False)
        # The key from the environment instead of the command line (run alone: it needs its env).
        state.runs["mock-key-env"] = script_cli("run", "--report-dir", "mock-key-env", "--profile", "smoke",
                                             cwd=cwd, env={"FACE_KEY": SECRET}, timeout=120)
        yield state


@pytest.mark.parametrize("name", list(EXPECTED))
def test_the_key_is_never_written_or_printed(leaky: Leaky, name: str) -> None:
    run = leaky.run(name)
    assert run.returncode == EXPECTED[name], run.describe()
    assert_no_traceback(run)
    leaks = find_secret(SECRET, run)
    assert not leaks, f"the key leaked: {leaks[:5]}"
    if name not in ("cleanup-echo", "usage-error"):
        assert (run.report_dir / "conformance.json").is_file(), run.describe()


def test_no_file_anywhere_in_the_working_directory_holds_the_key(leaky: Leaky) -> None:
    for name in EXPECTED:
        leaky.run(name)  # every run finished (their own failures show in the test above)
    files = [p for p in leaky.cwd.rglob("*") if p.is_file()]
    assert len(files) > 30
    leaks = find_secret(SECRET, None, leaky.cwd)
    assert not leaks, f"the key leaked into {sorted({leak.where for leak in leaks})}: {leaks[:3]}"


@pytest.mark.parametrize("name", ["live-echo-patch", "live-echo-everything", "live-quota-echo"])
def test_the_echoing_servers_really_echoed_the_key(leaky: Leaky, name: str) -> None:
    """Without this, the leak test above would prove nothing about redaction."""
    server = leaky.echoes[name]
    assert any(r.header("Ocp-Apim-Subscription-Key") == SECRET for r in server.requests)
    report = leaky.run(name).report
    text = str(report)
    assert "***" in text
    if name == "live-quota-echo":
        assert "quota" in report["verdict_reason"] and "***" in report["verdict_reason"]


def test_the_mock_run_used_the_given_key(leaky: Leaky) -> None:
    """`--key` (or FACE_KEY) in mock mode is the key the embedded reference takes, not a 401 for every call."""
    for name in ("mock-key-option", "mock-key-env"):
        report = leaky.run(name).report
        assert report["target"]["mode"] == "mock"
        assert report["verdict"] == "conformant", report["verdict_reason"]


def test_serve_does_not_print_the_key(tmp_path: Path) -> None:
    args = ["serve", "--port", "0", "--key", SECRET]
    started = time.monotonic()
    proc = start_cli(*args, cwd=tmp_path)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "serve:" in first and "***" in first
    finally:
        proc.send_signal(signal.SIGINT)
        run = finish(proc, args, started, 30, None)
    assert not find_secret(SECRET, run) and SECRET not in first


def test_near_miss_keys_never_leak_against_a_server_that_echoes_them(tmp_path: Path) -> None:
    """A live full run against `echoes-key`: neither the key nor any key derived from it is written or printed."""
    key = "5f0c2a9be1d34b7c8e6a2f1d09b3c4e7"
    assert "echoes-key" in variant_names("conformant")
    seen: set[str | None] = set()

    class Recording(VARIANTS["echoes-key"].build):  # type: ignore[misc, name-defined]
        def check_key(self, request: httpx.Request) -> bool:
            seen.add(request.headers.get("Ocp-Apim-Subscription-Key"))
            return super().check_key(request)

    with reference(ReferenceConfig(key=key, training_seconds=1.0, write_hold_seconds=0.05), Recording) as server:
        # The budget reaches the near misses, which run after the relations and dimensions (about 60 live).
        run = script_cli(*live_args(server.base_url, key, tmp_path / "reports", "--budget", "230", profile="full"),
                      cwd=tmp_path, timeout=180)
    derived = {nearmiss.derive("key", rule, key) for rule in catalogue.near_miss_rules("key")}
    assert derived <= seen, "the run did not send every near-miss key, so this test would prove nothing"
    assert run.returncode == 0, run.describe()
    for secret in (key, *derived):
        leaks = find_secret(secret, run, tmp_path)
        assert not leaks, f"{secret[:4]}… leaked: {leaks[:3]}"
