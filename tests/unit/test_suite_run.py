"""`face_conformance.run.suite_run`: the pytest session a `run` starts, in process.

Usage errors of the command line, as a user meets them in a subprocess, are the end-to-end tier's
(`tests/e2e/test_cli_usage.py`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from face_conformance.cases.outcomes import Exit


def test_an_exception_ignored_during_clean_up_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """After SIGTERM, pytest's half-closed hook generators can raise when collected; a run prints
    one line for that, never the traceback (seen once in CI on the SIGTERM-mid-run case)."""
    from face_conformance import cli
    from face_conformance.run import suite_run

    class RaisesWhenCollected:
        def __del__(self) -> None:
            raise AssertionError("capture already stopped")

    monkeypatch.setattr("sys.unraisablehook", suite_run._quiet_unraisable)
    obj = RaisesWhenCollected()
    del obj
    err = capsys.readouterr().err
    assert err.strip() == "face-conformance: note: an exception (AssertionError) was ignored during clean-up"
    assert "-p" in cli.pytest_args(cli.build_parser().parse_args(["run"])) and \
        "no:unraisableexception" in cli.pytest_args(cli.build_parser().parse_args(["run"]))


def test_the_cli_prints_the_result_it_is_handed_not_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`run` prints the result record the plugin left (redacted, as every report is), not conformance.json."""
    from sample_result import sample_result

    from face_conformance import cli
    from face_conformance.evidence import redaction

    monkeypatch.setattr(redaction, "_SECRETS", set())
    secret = "suite-run-secret-7f3a9c"
    redaction.register_secret(secret)
    result = sample_result()
    result["verdict_reason"] = f"the key {secret} is never printed"
    assert cli.finish(result, 1, tmp_path) == result["exit_code"]
    out = capsys.readouterr().out
    assert f"verdict: {result['verdict']}" in out and secret not in out
    assert not (tmp_path / "conformance.json").exists()


def test_a_run_that_left_no_result_is_inconclusive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from face_conformance import cli

    assert cli.finish(None, 2, tmp_path) == Exit.INCONCLUSIVE
    assert "ended before any report was written (inconclusive)" in capsys.readouterr().err
    assert cli.finish(None, 4, tmp_path) == Exit.USAGE  # the plugin refused the settings

