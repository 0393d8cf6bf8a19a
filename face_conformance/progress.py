"""Progress while the suite runs: a rich bar on a terminal, plain lines in CI logs."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest

PLAIN_EVERY_S = 5.0  # a plain progress line at most this often


class ProgressPlugin:
    """A pytest plugin that shows tests done, requests spent and the time left at the current pace."""

    def __init__(self, *, quiet: bool = False, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self.last_line = 0.0
        self.bar: Any = None
        self.task: Any = None
        self.config: pytest.Config | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        """Remember the config, to read the request count from the runner."""
        self.config = config

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Start the bar once the number of tests is known."""
        self.total = len(session.items)
        if self.quiet or not self.stream.isatty():
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                            "{task.total} tests"), TextColumn("{task.fields[requests]} requests"),
                            TimeRemainingColumn(), transient=True, redirect_stdout=False, redirect_stderr=False)
        self.bar.start()
        self.task = self.bar.add_task("conformance", total=self.total, requests=0)

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple) -> None:
        """Advance after each test: the bar, or a plain line every few seconds."""
        self.done += 1
        requests = self._requests()
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, requests=requests)
            return
        now = time.monotonic()
        if self.quiet or (now - self.last_line < PLAIN_EVERY_S and self.done != self.total):
            return
        self.last_line = now
        elapsed = now - self.started
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        print(f"progress: {self.done}/{self.total} tests, {requests} requests, {elapsed:.0f} s elapsed, "
              f"about {left:.0f} s left", file=self.stream, flush=True)

    def _requests(self) -> int:
        from face_conformance.plugin import RUNNER_KEY

        run = self.config.stash.get(RUNNER_KEY, None) if self.config else None
        return run.sent if run is not None else 0

    def close(self) -> None:
        """Stop the bar (it leaves no trace on the terminal)."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
