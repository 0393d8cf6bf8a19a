"""Usage and configuration errors: exit status 2, ONE line on stderr, no traceback, nothing sent.

docs/contract.md, "The interface": 2 is a usage or configuration error. Each case is refused before
the suite starts: no report is written and (for the plain-http case) not a byte leaves the machine.
Here as a user meets them, in a subprocess; every case of the table, in process, is the unit tier's
(`tests/unit/test_usage_errors.py`).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from harness import assert_no_traceback, script_cli
from servers import hostile, html_502

KEY = "usage-key-91c2"


# Three of the unit tier's cases (tests/unit/test_usage_errors.py holds them all, in process), as a
# user meets them: the console script's exit status and its stderr. One refused by the parser, one by
# the settings, one by `serve`.
CASES: dict[str, tuple[list[str], str]] = {
    "unknown-option": (["run", "--bogus"], "--bogus"),
    "endpoint-without-key": (["run", "--endpoint", "https://example.invalid"], "--key"),
    "serve-port-too-big": (["serve", "--port", "99999"], "99999"),
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
    run = script_cli(*args, "--report-dir", "reports", cwd=tmp_path, timeout=60) if args[0] == "run" else \
        script_cli(*args, cwd=tmp_path, timeout=60)
    assert_one_line_usage_error(run, word)
    assert not (tmp_path / "reports").exists(), "a refused run must not start (it wrote reports)"


def test_serve_on_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = script_cli("serve", "--port", str(port), cwd=tmp_path, timeout=30)
    assert_one_line_usage_error(run, str(port))


def test_plain_http_to_a_remote_host_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    """`http://10.1.2.3` would carry the key in clear text. Every request of the run would go through
    the proxy the environment names (httpx honours HTTP_PROXY): it must see no connection at all. With
    --allow-insecure the same run does reach the proxy, which shows the proxy would have seen it."""
    with hostile(html_502) as proxy:
        env = {"HTTP_PROXY": proxy.base_url, "http_proxy": proxy.base_url}
        refused = script_cli("run", "--endpoint", "http://10.1.2.3", "--key", KEY, "--report-dir", "reports",
                          cwd=tmp_path, env=env, timeout=60)
        assert_one_line_usage_error(refused, "--allow-insecure")
        assert proxy.connections == 0 and proxy.requests == []
        assert not (tmp_path / "reports").exists()

        allowed = script_cli("run", "--endpoint", "http://10.1.2.3", "--key", KEY, "--allow-insecure",
                          "--report-dir", "allowed", "--profile", "smoke", "--timeout", "5",
                          cwd=tmp_path, env=env, timeout=90)
        assert allowed.returncode == 3, allowed.describe()
        assert proxy.requests and "10.1.2.3" in proxy.requests[0].target
    assert KEY not in refused.stderr
