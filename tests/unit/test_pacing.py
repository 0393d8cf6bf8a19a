"""Pacing: Pacer / PacerChain / make_pacer on a fake clock and under threads.

The guarantee checked everywhere: whenever each request reaches the server (at any moment between
its `acquire()` and its `release()`), no half-open window of `window_s` seconds holds more than
`limit` of them. A live run's server log is the end-to-end tier's (`tests/e2e/test_pacing_at_the_server.py`).
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from face_conformance.config.settings import build_settings
from face_conformance.live.client import FaceClient
from face_conformance.live.pacing import IN_FLIGHT_POLL_S, Pacer, PacerChain, make_pacer
from face_conformance.live.target import mock_target
from face_conformance.run.runner import Runner


class FakeClock:
    """A clock that moves only when someone sleeps on it (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "a pacer must never sleep for nothing (it would spin)"
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


def most_in_window(times: list[float], window: float) -> int:
    """The most of `times` that any half-open window [t, t + window) holds."""
    ordered = sorted(times)
    best = 0
    j = 0
    for i, start in enumerate(ordered):
        j = max(j, i)
        while j < len(ordered) and ordered[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


def arrival_choices(spans: list[tuple[float, float]], rng: random.Random) -> list[list[float]]:
    """Arrival times a server may have seen: all at the start, all at the end, and random ones between."""
    choices = [[s for s, _ in spans], [e for _, e in spans]]
    choices += [[rng.uniform(s, e) for s, e in spans] for _ in range(20)]
    return choices


def assert_window_holds(spans: list[tuple[float, float]], limit: int, window: float, seed: int = 0) -> None:
    rng = random.Random(seed)
    for arrivals in arrival_choices(spans, rng):
        assert most_in_window(arrivals, window) <= limit, (
            f"more than {limit} requests in a {window} s window: {sorted(arrivals)}")


def run_sequence(pacer: Pacer | PacerChain, clock: FakeClock, durations: list[float],
                 idle: list[float]) -> list[tuple[float, float]]:
    """Send requests one after another on the fake clock; (start, end) of each."""
    spans = []
    for duration, pause in zip(durations, idle, strict=True):
        pacer.acquire()
        start = clock()
        clock.advance(duration)
        end = clock()
        pacer.release()
        spans.append((start, end))
        clock.advance(pause)
    return spans


# -- the helper itself -------------------------------------------------------------------------


def test_most_in_window_counts_half_open_windows() -> None:
    assert most_in_window([], 1.0) == 0
    assert most_in_window([0.0, 0.5, 0.99], 1.0) == 3
    assert most_in_window([0.0, 1.0, 2.0], 1.0) == 1  # [0, 1) does not hold 1.0
    assert most_in_window([0.0, 0.2, 1.1, 1.15, 1.19], 1.0) == 4


# -- Pacer on a fake clock ---------------------------------------------------------------------


def test_pacer_admits_a_burst_of_limit_then_waits_a_window() -> None:
    clock = FakeClock()
    pacer = Pacer(4, 1.0, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        assert pacer.acquire() == 0.0
        pacer.release()
    assert clock.now == 0.0
    assert pacer.wait_time() == pytest.approx(1.0, abs=0.01)
    waited = pacer.acquire()
    pacer.release()
    assert waited == pytest.approx(1.0, abs=0.01)
    assert 1.0 <= clock.now <= 1.01


@pytest.mark.parametrize(("limit", "window"), [(1, 1.0), (4, 1.0), (10, 1.0), (3, 0.25), (20, 60.0)])
def test_limit_holds_over_every_sliding_window(limit: int, window: float) -> None:
    clock = FakeClock()
    pacer = Pacer(limit, window, clock=clock, sleep=clock.sleep)
    rng = random.Random(limit * 1000 + int(window * 100))
    n = limit * 6 + 3
    # Requests that take up to a third of a window, with idle gaps that are sometimes long.
    durations = [rng.choice([0.0, rng.uniform(0, window / 3)]) for _ in range(n)]
    idle = [rng.choice([0.0, 0.0, rng.uniform(0, window), rng.uniform(0, 3 * window)]) for _ in range(n)]
    spans = run_sequence(pacer, clock, durations, idle)
    assert_window_holds(spans, limit, window)


def test_pacer_is_not_needlessly_slow() -> None:
    """Back-to-back instant requests go at the full rate: n requests in about n / limit windows."""
    clock = FakeClock()
    pacer = Pacer(4, 1.0, clock=clock, sleep=clock.sleep)
    spans = run_sequence(pacer, clock, [0.0] * 40, [0.0] * 40)
    assert_window_holds(spans, 4, 1.0)
    # 40 requests at 4 a second: the last starts after 9 full windows, and not much later.
    assert 9.0 <= spans[-1][0] <= 9.0 * 1.01


def test_a_request_counts_from_its_answer_not_from_its_start() -> None:
    """A slow request may reach the server late: the next window starts after its answer."""
    clock = FakeClock()
    pacer = Pacer(1, 1.0, clock=clock, sleep=clock.sleep)
    pacer.acquire()
    clock.advance(0.4)  # the first request takes 0.4 s; the server may have seen it at 0.39
    pacer.release()
    pacer.acquire()
    pacer.release()
    assert clock.now >= 1.4


def test_requests_in_flight_hold_their_places() -> None:
    clock = FakeClock()
    pacer = Pacer(2, 1.0, clock=clock, sleep=clock.sleep)
    pacer.acquire()
    pacer.acquire()
    clock.advance(5.0)  # both still in flight, however long ago they started
    assert pacer.wait_time() == IN_FLIGHT_POLL_S
    pacer.release()
    assert pacer.wait_time() == pytest.approx(1.0, abs=0.01)
    clock.advance(1.0)
    assert pacer.wait_time() == 0.0
    pacer.release()
    with pytest.raises(RuntimeError, match="without a matching acquire"):
        pacer.release()


@pytest.mark.parametrize(("rate", "limit", "window"), [(0.5, 1, 2.0), (0.25, 1, 4.0), (2.5, 2, 1.0), (1.0, 1, 1.0)])
def test_fractional_rates(rate: float, limit: int, window: float) -> None:
    """0.5 rps is one request every 2 s; 2.5 rps rounds down to 2 a second (never above the rate)."""
    clock = FakeClock()
    pacer = Pacer(rate, 1.0, clock=clock, sleep=clock.sleep)
    assert (pacer.limit, pacer.window_s) == (limit, pytest.approx(window))
    spans = run_sequence(pacer, clock, [0.0] * 12, [0.0] * 12)
    assert_window_holds(spans, limit, window)
    # Over any stretch, never more than the rate asked for: 12 requests need at least (12 - limit) / rate s.
    assert spans[-1][0] >= (12 - limit) / rate - 1e-9
    assert spans[-1][0] <= (12 / limit) * window * 1.01


@pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (-1, 1.0), (1, 0.0)])
def test_pacer_refuses_nonsense(limit: float, window: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(limit, window)


# -- PacerChain and make_pacer (--max-rps, --max-rpm) ----------------------------------------


def test_empty_chain_admits_everything_at_once() -> None:
    clock = FakeClock()
    chain = make_pacer(None, None, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        assert chain.acquire() == 0.0
        chain.release()
    assert clock.sleeps == []


def test_max_rpm_holds_per_minute_without_waiting_a_minute() -> None:
    """--max-rpm 20 (the free tier): the 21st request waits for the first minute to pass."""
    clock = FakeClock()
    chain = make_pacer(None, 20, clock=clock, sleep=clock.sleep)
    spans = run_sequence(chain, clock, [0.05] * 45, [0.0] * 45)
    assert_window_holds(spans, 20, 60.0)
    assert spans[19][0] < 2.0 <= 60.0 <= spans[20][0]
    assert spans[40][0] >= 120.0


def test_max_rps_and_max_rpm_together() -> None:
    clock = FakeClock()
    chain = make_pacer(4, 20, clock=clock, sleep=clock.sleep)
    assert [(p.limit, p.window_s) for p in chain.pacers] == [(4, 1.0), (20, 60.0)]
    spans = run_sequence(chain, clock, [0.01] * 30, [0.0] * 30)
    assert_window_holds(spans, 4, 1.0)
    assert_window_holds(spans, 20, 60.0)
    assert spans[20][0] >= 60.0


def test_max_rpm_option_reaches_the_runner_pacer(tmp_path: Path) -> None:
    settings = build_settings({"max_rpm": "20", "max_rps": "0.5", "report_dir": str(tmp_path)}, environ={})
    assert (settings.max_rps, settings.max_rpm) == (0.5, 20.0)
    runner = Runner(settings, mock_target(settings))
    try:
        pacers = runner.client._pacer.pacers  # the chain the client sends through
        assert [(p.limit, p.window_s) for p in pacers] == [(1, 2.0), (20, 60.0)]
    finally:
        runner.target.close()


# -- threads -------------------------------------------------------------------------------------


def _hammer(pacer: Pacer | PacerChain, threads: int, each: int, hold_s: float) -> list[tuple[float, float]]:
    """Many threads sending at once on the real clock; (start, end) of each request as seen by the caller.

    The caller's start is taken after `acquire()` returns and its end before `release()`, so each
    span lies within the span the pacer accounted for: the window check stays sound under threads.
    """
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker() -> None:
        barrier.wait()
        for _ in range(each):
            pacer.acquire()
            start = time.monotonic()
            time.sleep(hold_s)
            end = time.monotonic()
            pacer.release()
            with lock:
                spans.append((start, end))

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in workers), "a thread never got through the pacer"
    assert len(spans) == threads * each
    return spans


def test_pacer_is_thread_safe() -> None:
    pacer = Pacer(3, 0.1)
    spans = _hammer(pacer, threads=6, each=5, hold_s=0.002)
    assert_window_holds(spans, 3, 0.1)
    assert pacer._in_flight == 0, "every place taken was given back"


def test_chain_is_thread_safe() -> None:
    chain = PacerChain([Pacer(2, 0.05), Pacer(4, 0.25)])
    spans = _hammer(chain, threads=4, each=4, hold_s=0.001)
    assert_window_holds(spans, 2, 0.05)
    assert_window_holds(spans, 4, 0.25)


# -- the client: every request, retries included, goes through the pacer ------------------------


class CountingChain(PacerChain):
    def __init__(self) -> None:
        super().__init__([])
        self.acquired = 0
        self.released = 0

    def acquire(self) -> float:
        self.acquired += 1
        return 0.0

    def release(self) -> None:
        self.released += 1


def test_client_paces_retries_and_releases_on_errors() -> None:
    answers = iter([
        httpx.Response(429, json={"error": {"statusCode": 429, "message": "Try again in 0 seconds."}}),
        httpx.Response(429, json={"error": {"statusCode": 429, "message": "Try again in 0 seconds."}},
                       headers={"Retry-After": "0"}),
        httpx.Response(200),
    ])
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    chain = CountingChain()
    with httpx.Client(base_url="https://paced.invalid", transport=httpx.MockTransport(handler)) as http:
        client = FaceClient(http, "k", pacer=chain, sleep=lambda s: None)
        assert client.send("PATCH", "/face/v1.0/x").status == 200
    assert len(seen) == 3 == client.sent == chain.acquired == chain.released

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    chain = CountingChain()
    with httpx.Client(base_url="https://paced.invalid", transport=httpx.MockTransport(broken)) as http:
        exchange = FaceClient(http, "k", pacer=chain).send("GET", "/face/v1.0/y")
    assert exchange.answer is None and "cannot connect" in (exchange.error or "")
    assert chain.acquired == chain.released == 1


# -- end to end: a live smoke run, as the server saw it -------------------------------------------
