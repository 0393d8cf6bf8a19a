"""Pacing: hold the client under a request rate over any sliding window, across threads.

A window is judged where the requests arrive (the server, or Azure's gateway), and a request
arrives some time between the moment the client starts it and the moment its answer comes back:
connecting, a busy thread pool or the network can delay it by tens of milliseconds. Counting a
window from the start would let the first request of a window arrive late and the next window's
first one early, so that the server sees more than `limit` in one window. So a request holds its
place from `acquire()` until `release()` (after its answer), and counts from its *end*: the next
request that needs its place starts at least `window_s` after that end, and therefore arrives at
least `window_s` after it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: How often a request waiting only for others still in flight looks again.
IN_FLIGHT_POLL_S = 0.005


class Pacer:
    """Admits at most `limit` requests in any window of `window_s` seconds.

    A request is in the window from `acquire()` (before it is sent) to `window_s` after its
    `release()` (after its answer). Every request goes through it, retries and parallel updates
    included, so the cap holds for everything the suite sends. A second window (per minute) is a
    second Pacer chained with `PacerChain`.
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
        # A fractional rate of at least 1 rounds down (2.5 rps: 2 a second); below 1 (0.5 rps) it
        # is one request per 1/limit windows (one per 2 s).
        self.limit = int(limit) if limit >= 1 else 1
        self.window_s = window_s if limit >= 1 else window_s / limit
        self._clock = clock
        self._sleep = sleep
        self._ends: deque[float] = deque()  # end times of finished requests, oldest first
        self._in_flight = 0
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Seconds until a request may start now (0 when it may start at once); reserves nothing."""
        with self._lock:
            return self._wait_locked(self._clock())

    def _wait_locked(self, now: float) -> float:
        while self._ends and now - self._ends[0] >= self.window_s:
            self._ends.popleft()
        if self._in_flight + len(self._ends) < self.limit:
            return 0.0
        if not self._ends:
            return IN_FLIGHT_POLL_S  # every place is held by a request still in flight
        # Small margin, so that a sleep that wakes a hair early does not need a second round.
        return self._ends[0] + self.window_s - now + 0.002

    def acquire(self) -> float:
        """Block until a request may start and hold its place; return the seconds waited.

        Every `acquire()` must be followed by one `release()` once the answer is in (or the
        request failed), else its place is held for ever.
        """
        waited = 0.0
        while True:
            with self._lock:
                delay = self._wait_locked(self._clock())
                if delay <= 0:
                    self._in_flight += 1
                    return waited
            self._sleep(delay)
            waited += delay

    def release(self) -> None:
        """A request acquired earlier has its answer (or failed): it counts from now on."""
        with self._lock:
            if self._in_flight <= 0:
                raise RuntimeError("release() without a matching acquire()")
            self._in_flight -= 1
            self._ends.append(self._clock())


class PacerChain:
    """Several pacers that must all admit a request (e.g. per second and per minute)."""

    def __init__(self, pacers: list[Pacer], *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.pacers = pacers
        self._sleep = sleep
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until every pacer admits the request; return the seconds waited."""
        waited = 0.0
        with self._lock:
            # Serialised so that no pacer holds a place for a request that another then delays.
            while True:
                delay = max((p.wait_time() for p in self.pacers), default=0.0)
                if delay <= 0:
                    break
                self._sleep(delay)
                waited += delay
            for pacer in self.pacers:
                pacer.acquire()
        return waited

    def release(self) -> None:
        """The request's answer is in: release its place in every pacer."""
        for pacer in self.pacers:
            pacer.release()


def make_pacer(
    max_rps: float | None,
    max_rpm: float | None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> PacerChain:
    """A pacer for the run's limits; an empty chain admits everything at once."""
    pacers = []
    if max_rps:
        pacers.append(Pacer(max_rps, 1.0, clock=clock, sleep=sleep))
    if max_rpm:
        pacers.append(Pacer(max_rpm, 60.0, clock=clock, sleep=sleep))
    return PacerChain(pacers, sleep=sleep)
