"""The pytest plugin in pytest sessions of its own (pytester subprocesses).

A session loads Hypothesis profiles and a SIGTERM handler that must not leak into this test process,
so each runs in a subprocess. The options table and the plugin's configuration, in process, are the
unit tier's (`tests/unit/test_plugin.py`).
"""

from __future__ import annotations

import json
import os
import re

import pytest

from face_conformance import cli
from face_conformance.cases.outcomes import EXIT
from face_conformance.config.options import OPTIONS
from face_conformance.run.suite_run import SUITE_DIR

pytest_plugins = ["pytester"]

KEY = "plugin-test-key-5b7e"


def flat(text: str) -> str:
    """Whitespace folded, so that a help line wrapped by argparse still matches."""
    return " ".join(text.split())


def test_pytest_help_shows_the_options(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    result = pytester.runpytest_subprocess("-p", "face_conformance.plugin", "--help")
    assert result.ret == 0
    out = flat(result.stdout.str())
    assert "Azure Face Update Face conformance" in out
    for option in OPTIONS:
        assert re.search(re.escape(option.pytest_flag) + r"[= ]", out), option.pytest_flag
        assert flat(option.full_help) in out, option.pytest_flag


@pytest.mark.parametrize(("args", "target", "mode", "profile", "seed"), [
    (["--key", KEY, "--profile", "smoke", "--seed", "11"], "embedded reference", "mock", "smoke", "11"),
    (["--endpoint", "https://face.example/face/v1.0/", "--key", KEY], "https://face.example", "live", "full", "none"),
    (["--variant", "any-key-accepted"], "embedded reference (zoo variant any-key-accepted)", "mock", "full", "none"),
])
def test_report_header_says_where_and_how_never_the_key(pytester: pytest.Pytester, args: list[str], target: str,
                                                        mode: str, profile: str, seed: str) -> None:
    # The test uses no fixture of the plugin, so even the live case sends nothing.
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "face_conformance.plugin", *args)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([f"face-conformance *: target {target}, mode {mode}, profile {profile}, seed {seed}"])
    assert KEY not in result.stdout.str() + result.stderr.str()


def test_a_shell_pointed_at_a_live_endpoint_leaves_self_tests_alone(pytester: pytest.Pytester,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """FACE_ENDPOINT (even without FACE_KEY) is read by a suite session only: other sessions stay in mock mode."""
    monkeypatch.setenv("FACE_ENDPOINT", "https://face.example")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "face_conformance.plugin")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["face-conformance *: target embedded reference, mode mock*"])


def test_only_a_suite_session_loads_the_suite_profile(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "from hypothesis import HealthCheck, settings\n"
        "def test_profile():\n"
        "    silenced = set(settings.default.suppress_health_check) == set(HealthCheck)\n"
        "    print('PROFILE', settings.get_current_profile_name(), silenced)\n")
    plain = pytester.runpytest_subprocess("-s", "-p", "face_conformance.plugin")
    # Hypothesis's own profile: "default", or "ci" where CI is set (Hypothesis picks it itself).
    expected = "ci" if os.environ.get("CI") else "default"
    plain.stdout.fnmatch_lines([f"*PROFILE {expected} False*"])
    suite = pytester.runpytest_subprocess("-s", "-p", "face_conformance.plugin", "-c", str(SUITE_DIR / "suite.ini"),
                                          "--rootdir", str(pytester.path), str(pytester.path))
    suite.stdout.fnmatch_lines(["*PROFILE face-conformance True*"])


def test_the_row_marker_is_declared(pytester: pytest.Pytester) -> None:
    """Declared by the plugin alone, the marker exists in a suite session (whose ini declares nothing)."""
    result = pytester.runpytest_subprocess("-p", "face_conformance.plugin", "-c", str(SUITE_DIR / "suite.ini"),
                                           "--rootdir", str(pytester.path), "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.row(id, ...): the conformance row(s) a test exercises"])


@pytest.mark.parametrize("bad", [["--max-rps", "-1"], ["--profile", "nope"], ["--timeout", "soon"]])
def test_a_bad_option_value_is_a_usage_error(pytester: pytest.Pytester, bad: list[str]) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "face_conformance.plugin", *bad)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert bad[0] in result.stderr.str()
    assert "Traceback" not in output


def test_smoke_run_of_the_shipped_suite_writes_a_verdict(pytester: pytest.Pytester) -> None:
    """The exact pytest command line `face-conformance run --profile smoke -v` builds, in mock mode."""
    reports = pytester.path / "reports"
    args = cli.pytest_args(cli.build_parser().parse_args(["run", "--profile", "smoke", "--report-dir", str(reports),
                                                          "--seed", "3", "-v"]))
    result = pytester.runpytest_subprocess(*args, timeout=180)
    report = reports / "conformance.json"
    assert report.is_file(), result.stdout.str()[-3000:] + result.stderr.str()[-3000:]
    found = json.loads(report.read_text(encoding="utf-8"))
    assert found["verdict"] in EXIT
    assert result.ret == found["exit_code"] == EXIT[found["verdict"]]
    assert (found["target"]["mode"], found["target"]["profile"], found["target"]["seed"]) == ("mock", "smoke", 3)
    assert "Traceback" not in result.stdout.str() + result.stderr.str()

