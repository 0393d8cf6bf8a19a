"""The unit tier: in process, no socket (not even loopback), no subprocess, no browser.

Every phase of every test here (set-up, call, teardown, module fixtures included) runs with
`socket.socket.connect`/`connect_ex`/`bind` and process creation (`subprocess.Popen`, `os.system`,
`os.fork`, `os.posix_spawn`) refused: an attempt raises `NotAUnitTest`, and the test fails even if
it swallowed that exception. A test that needs a server or a process belongs in `tests/e2e/`.
`test_unit_tier.py` holds this guard to its word.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

#: What the guard replaces: (owner, attribute name, how an attempt is named).
REFUSED: tuple[tuple[Any, str, str], ...] = (
    *((socket.socket, name, f"socket.{name}") for name in ("connect", "connect_ex", "bind")),
    (subprocess.Popen, "__init__", "subprocess.Popen"),
    *((os, name, f"os.{name}") for name in ("system", "fork", "forkpty", "posix_spawn", "posix_spawnp")
      if hasattr(os, name)),
)


class NotAUnitTest(Exception):
    """A test of the unit tier opened a socket or started a process."""


def _refuse(what: str, attempts: list[str]) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        attempts.append(what)
        raise NotAUnitTest(f"{what} in the unit tier: a test that needs a socket or a process belongs in tests/e2e/")

    refused.unit_tier_guard = True  # type: ignore[attr-defined]
    return refused


@contextmanager
def no_sockets_or_processes() -> Iterator[list[str]]:
    """While it lasts, every refused call raises `NotAUnitTest`; the attempts are listed in what it yields."""
    attempts: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        for owner, name, what in REFUSED:
            patch.setattr(owner, name, _refuse(what, attempts))
        yield attempts


def _guarded(item: pytest.Item, when: str) -> Generator[None, Any, Any]:
    with no_sockets_or_processes() as attempts:
        try:
            return (yield)
        finally:
            if attempts:
                raise NotAUnitTest(f"{item.nodeid} ({when}) tried {', '.join(dict.fromkeys(attempts))}: "
                                   "move it to tests/e2e/")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _guarded(item, "set-up"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _guarded(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, Any]:
    return (yield from _guarded(item, "teardown"))
