"""The unit tier's rule, held by a test: no socket, no subprocess (the guard of `conftest.py`).

The guard is run on a small session of its own (pytester, in process): tests that bind, connect,
start a process, swallow the refusal, or open a socket in a module fixture must fail; a plain test
must pass. And the guard must be in place for this tier's own tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

OFFENDERS = '''
import os
import socket
import subprocess

import pytest


def test_plain():
    assert sum([1, 2]) == 3


def test_connects():
    socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_binds():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))


def test_starts_a_process():
    subprocess.run(["true"], check=False)


def test_runs_a_shell():
    os.system("true")


def test_swallows_the_refusal():
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    except Exception:
        pass


@pytest.fixture(scope="module")
def server():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


def test_uses_a_server(server):
    pass
'''


def test_the_guard_fails_every_test_that_opens_a_socket_or_starts_a_process(pytester: pytest.Pytester) -> None:
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_offenders=OFFENDERS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=5, errors=1)
    output = result.stdout.str()
    for test, attempt in [("test_connects (call)", "socket.connect"), ("test_binds (call)", "socket.bind"),
                          ("test_starts_a_process (call)", "subprocess.Popen"),
                          ("test_runs_a_shell (call)", "os.system"),
                          ("test_swallows_the_refusal (call)", "socket.connect"),
                          ("test_uses_a_server (set-up)", "socket.bind")]:
        assert f"test_offenders.py::{test} tried {attempt}: move it to tests/e2e/" in output, (test, output)


def test_this_tier_runs_under_the_guard() -> None:
    """Checked without tripping it: the refused calls are the guard's stand-ins during this very test."""
    assert getattr(socket.socket.connect, "unit_tier_guard", False)
    assert getattr(socket.socket.bind, "unit_tier_guard", False)
    assert getattr(subprocess.Popen.__init__, "unit_tier_guard", False)
    assert getattr(os.system, "unit_tier_guard", False)
