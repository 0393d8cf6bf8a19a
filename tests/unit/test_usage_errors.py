"""Usage and configuration errors, in process: exit status 2, ONE line on stderr, nothing started.

docs/contract.md, "The interface": 2 is a usage or configuration error. Each case is refused before
the suite starts (the suite's session is replaced by one that fails the test), no report is written,
and no traceback: an exception would fail the test. Three of them, and the plain-http refusal that
must send nothing through a proxy, run as a user runs them in `tests/e2e/test_cli_usage.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from face_conformance.cli import main
from face_conformance.run import suite_run

KEY = "usage-key-91c2"


def _files(tmp: Path) -> dict[str, Path]:
    (tmp / "broken.yaml").write_text("entries: [\n", encoding="utf-8")  # YAML that does not parse
    (tmp / "list.yaml").write_text("- id: 200.ok\n", encoding="utf-8")  # YAML of the wrong shape
    (tmp / "bad-entry.yaml").write_text("entries:\n  - row: no-such-row\n    seen: {status: 400}\n    why: x\n",
                                        encoding="utf-8")  # a row the catalogue does not have
    (tmp / "face.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return {"broken": tmp / "broken.yaml", "list": tmp / "list.yaml", "entry": tmp / "bad-entry.yaml",
            "face": tmp / "face.jpg"}


# id: (arguments, a word the one line must contain); "{name}" is replaced by a file of _files().
CASES: dict[str, tuple[list[str], str]] = {
    "endpoint-not-a-url": (["run", "--endpoint", "notaurl", "--key", KEY], "--endpoint"),
    "endpoint-ftp": (["run", "--endpoint", "ftp://example.com", "--key", KEY], "--endpoint"),
    "endpoint-without-key": (["run", "--endpoint", "https://example.invalid"], "--key"),
    "seed-not-a-number": (["run", "--seed", "x"], "--seed"),
    "seed-negative": (["run", "--seed", "-1"], "--seed"),
    "face-image-missing": (["run", "--face-image", "/nonexistent/face.jpg"], "--face-image"),
    "face-url-and-image": (["run", "--face-url", "https://example.invalid/a.jpg", "--face-image", "{face}"],
                           "--face-url"),
    "profile-unknown": (["run", "--profile", "nope"], "--profile"),
    "person-group-id-alone": (["run", "--endpoint", "https://example.invalid", "--key", KEY,
                               "--person-group-id", "g"], "--person-group-id"),
    "bring-your-own-without-endpoint": (["run", "--person-group-id", "g", "--person-id", "p",
                                         "--persisted-face-id", "f"], "--endpoint"),
    "baseline-missing": (["run", "--baseline", "/nonexistent/baseline.yaml"], "--baseline"),
    "baseline-not-yaml": (["run", "--baseline", "{broken}"], "broken.yaml"),
    "baseline-wrong-shape": (["run", "--baseline", "{list}"], "list.yaml"),
    "baseline-unknown-row": (["run", "--baseline", "{entry}"], "no-such-row"),
    "timeout-zero": (["run", "--timeout", "0"], "--timeout"),
    "budget-not-a-number": (["run", "--budget", "many"], "--budget"),
    "max-rps-negative": (["run", "--max-rps", "-1"], "--max-rps"),
    "strict-takes-no-value": (["run", "--strict=yes"], "--strict"),
    "unknown-option": (["run", "--bogus"], "--bogus"),
    "unknown-command": (["frobnicate"], "frobnicate"),
    "cleanup-without-endpoint": (["cleanup"], "--endpoint"),
    "serve-port-too-big": (["serve", "--port", "99999"], "99999"),
    "serve-port-negative": (["serve", "--port", "-5"], "-5"),
}


def _refuse_to_start(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a refused command started the suite")


@pytest.mark.parametrize("case", list(CASES))
def test_usage_error_is_one_line_and_exit_2(tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    args, word = CASES[case]
    files = _files(tmp_path)
    args = [a.format(**files) if a.startswith("{") else a for a in args]
    if args[0] == "run":
        args += ["--report-dir", str(tmp_path / "reports")]
    monkeypatch.setattr(suite_run, "run_suite", _refuse_to_start)
    try:
        code = main(args)
    except SystemExit as exit_:  # the parser's own way out
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr: {err}"
    assert lines[0].startswith("face-conformance: error: "), err
    assert word in lines[0], f"{word!r} not named: {err}"
    assert out.strip() == "", out
    assert not (tmp_path / "reports").exists(), "a refused run must not start (it wrote reports)"
