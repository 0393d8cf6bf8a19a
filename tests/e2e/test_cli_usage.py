"""Usage and configuration errors: exit status 2, ONE line on stderr, no traceback, nothing sent.

docs/contract.md, "The interface": 2 is a usage or configuration error. Each case is refused before
the suite starts: no report is written and (for the plain-http case) not a byte leaves the machine.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from harness import assert_no_traceback, run_cli
from servers import hostile, html_502

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


def assert_one_line_usage_error(run, word: str) -> None:
    assert run.returncode == 2, run.describe()
    assert_no_traceback(run)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr\n{run.describe()}"
    assert lines[0].startswith("face-conformance: error: "), run.describe()
    assert word in lines[0], f"{word!r} not named\n{run.describe()}"
    assert run.stdout.strip() == "", run.describe()


@pytest.mark.parametrize("case", list(CASES))
def test_usage_error_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    args, word = CASES[case]
    files = _files(tmp_path)
    args = [a.format(**files) if a.startswith("{") else a for a in args]
    run = run_cli(*args, "--report-dir", "reports", cwd=tmp_path, timeout=60) if args[0] == "run" else \
        run_cli(*args, cwd=tmp_path, timeout=60)
    assert_one_line_usage_error(run, word)
    assert not (tmp_path / "reports").exists(), "a refused run must not start (it wrote reports)"


def test_serve_on_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = run_cli("serve", "--port", str(port), cwd=tmp_path, timeout=30)
    assert_one_line_usage_error(run, str(port))


def test_plain_http_to_a_remote_host_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    """`http://10.1.2.3` would carry the key in clear text. Every request of the run would go through
    the proxy the environment names (httpx honours HTTP_PROXY): it must see no connection at all. With
    --allow-insecure the same run does reach the proxy, which shows the proxy would have seen it."""
    with hostile(html_502) as proxy:
        env = {"HTTP_PROXY": proxy.base_url, "http_proxy": proxy.base_url}
        refused = run_cli("run", "--endpoint", "http://10.1.2.3", "--key", KEY, "--report-dir", "reports",
                          cwd=tmp_path, env=env, timeout=60)
        assert_one_line_usage_error(refused, "--allow-insecure")
        assert proxy.connections == 0 and proxy.requests == []
        assert not (tmp_path / "reports").exists()

        allowed = run_cli("run", "--endpoint", "http://10.1.2.3", "--key", KEY, "--allow-insecure",
                          "--report-dir", "allowed", "--profile", "smoke", "--timeout", "5",
                          cwd=tmp_path, env=env, timeout=90)
        assert allowed.returncode == 3, allowed.describe()
        assert proxy.requests and "10.1.2.3" in proxy.requests[0].target
    assert KEY not in refused.stderr
