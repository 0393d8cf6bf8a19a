"""Pacing: hold the client under a request rate over any sliding window, across threads."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class Pacer:
    """Admits at most `limit` request starts in any window of `window_s` seconds.

    Every request goes through `acquire()` before it is sent, retries and parallel updates
    included, so the cap holds for everything the suite sends. A second window (per minute)
    is a second Pacer chained with `PacerChain`.
    """

    def __init__(
        self,
        limit: float,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit <= 0 or window_s <= 0:
            raise ValueError("limit and window_s must be positive")
        # A fractional rate (0.5 rps) is one request per 2 s: scale the window instead.
        self.limit = max(1, int(limit)) if limit >= 1 else 1
        self.window_s = window_s if limit >= 1 else window_s / limit
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Seconds until a request may start now (0 when it may start at once); reserves nothing."""
        with self._lock:
            return self._wait_locked(self._clock())

    def _wait_locked(self, now: float) -> float:
        while self._starts and now - self._starts[0] >= self.window_s:
            self._starts.popleft()
        if len(self._starts) < self.limit:
            return 0.0
        # Small margin: windows are judged by whoever counts, and clocks differ by microseconds.
        return self._starts[0] + self.window_s - now + 0.002

    def acquire(self) -> float:
        """Block until a request may start, record its start, and return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                delay = self._wait_locked(now)
                if delay <= 0:
                    self._starts.append(now)
                    return waited
            self._sleep(delay)
            waited += delay


class PacerChain:
    """Several pacers that must all admit a request (e.g. per second and per minute)."""

    def __init__(self, pacers: list[Pacer]) -> None:
        self.pacers = pacers
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until every pacer admits the request; return the seconds waited."""
        waited = 0.0
        with self._lock:
            # Serialised so that no pacer records a start that another then delays.
            while True:
                delay = max((p.wait_time() for p in self.pacers), default=0.0)
                if delay <= 0:
                    break
                time.sleep(delay)
                waited += delay
            for pacer in self.pacers:
                pacer.acquire()
        return waited


def make_pacer(max_rps: float | None, max_rpm: float | None) -> PacerChain:
    """A pacer for the run's limits; an empty chain admits everything at once."""
    pacers = []
    if max_rps:
        pacers.append(Pacer(max_rps, 1.0))
    if max_rpm:
        pacers.append(Pacer(max_rpm, 60.0))
    return PacerChain(pacers)
