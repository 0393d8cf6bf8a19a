"""`face-conformance judge`: a recorded run re-judged offline, by today's rules.

A replay is a run whose server is the recording. The runner performs the recorded run's steps
again (set-up, each probe, the parallel writes, training, teardown), with the probes as recorded;
every request it sends is answered, through an httpx transport like any other, by the recorded
answer to the same request in the same step. So the world is rebuilt from the recorded set-up
answers, and every verdict comes from today's oracle and checks: none is copied from the file.
A request the recording has no answer for gets a connection error; both it and the recorded
exchanges left unused are reported, which is what tells a recording of an older suite apart.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from face_conformance.cases import operation
from face_conformance.cases.catalogue import PROFILES
from face_conformance.cases.probes import Probe
from face_conformance.config.settings import RECORDED_SETTINGS, Settings
from face_conformance.evidence.har import HarError, Recorded, RecordedExchange, read_har
from face_conformance.evidence.record import RunResult
from face_conformance.evidence.recording import probe_from_record
from face_conformance.evidence.run_record import RunRecord
from face_conformance.live.client import RECORDED_ENTRY, Inconclusive, NotRecorded
from face_conformance.live.provisioning import SetupError
from face_conformance.live.target import Target
from face_conformance.run import scenarios
from face_conformance.run.runner import SETUP_FAILED, Runner

#: What a replay's client sends as its key: a replay holds no key and needs none.
REPLAY_KEY = "replay-holds-no-key"
REPLAY_BASE_URL = "https://replay.invalid"
#: Answer headers that describe the wire form of a body the recording holds decoded.
WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
#: The transport error that stands in for each kind of recorded "no answer" (the client's wording).
ERRORS: tuple[tuple[str, type[httpx.TransportError]], ...] = (
    ("cannot connect", httpx.ConnectError),
    ("connection closed or broken mid-answer", httpx.RemoteProtocolError),
    ("connection broken while reading", httpx.ReadError),
    ("connection broken while sending", httpx.WriteError),
)


class _Breaks(httpx.SyncByteStream):
    """A body that arrives in part, then breaks as the recorded one did."""

    def __init__(self, body: bytes, error: Exception) -> None:
        self._body, self._error = body, error

    def __iter__(self):  # type: ignore[no-untyped-def]
        if self._body:
            yield self._body
        raise self._error


def _error_for(text: str) -> httpx.TransportError:
    if "timeout" in text:
        return httpx.ReadTimeout(text)
    for prefix, kind in ERRORS:
        if text.startswith(prefix):
            return kind(text.split(": ", 1)[1] if ": " in text else text)
    return httpx.TransportError(text)


def _same_path(recorded: str, asked: str) -> bool:
    """Whether a recorded request's path and query are the one asked for, query values aside."""
    (r_path, _, r_query), (a_path, _, a_query) = recorded.partition("?"), asked.partition("?")
    names = [[pair.split("=", 1)[0] for pair in q.split("&") if pair] for q in (r_query, a_query)]
    return r_path == a_path and names[0] == names[1]


@dataclass
class Cassette:
    """Answers each request with the recorded answer to the same request of the same step."""

    exchanges: list[RecordedExchange]
    step: int = -1
    unmatched: list[str] = field(default_factory=list)
    _left: dict[int, list[RecordedExchange]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        left: dict[int, list[RecordedExchange]] = defaultdict(list)
        for exchange in self.exchanges:
            left[exchange.step].append(exchange)
        self._left = dict(left)

    def _take(self, request: httpx.Request) -> RecordedExchange | None:
        path = request.url.raw_path.decode("ascii", "replace")
        body = request.content
        with self._lock:
            left = self._left.get(self.step, [])
            # The query is compared by its names only: a recording masks values that look like a key.
            same = [e for e in left if e.method == request.method and _same_path(e.path, path)]
            # Parallel requests differ only by body; the others are taken in the order recorded.
            found = next((e for e in same if e.body == body), same[0] if same else None)
            if found is None:
                self.unmatched.append(f"{request.method} {path} (step {self.step})")
            else:
                left.remove(found)
            return found

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """The transport's handler."""
        found = self._take(request)
        if found is None:
            raise NotRecorded(f"no answer to {request.method} {request.url.path} in step {self.step}")
        request.extensions[RECORDED_ENTRY] = found.index
        if found.status is None:
            raise _error_for(found.error or "no answer")
        headers = [(k, v) for k, v in found.headers if k.lower() not in WIRE_HEADERS]
        if found.error:
            return httpx.Response(found.status, headers=headers, stream=_Breaks(found.answer_body,
                                                                                _error_for(found.error)))
        return httpx.Response(found.status, headers=headers, content=found.answer_body)

    def unused(self) -> list[RecordedExchange]:
        """Recorded exchanges no request of the replay asked for."""
        with self._lock:
            return sorted((e for left in self._left.values() for e in left), key=lambda e: e.index)


def replay_settings(recorded: Recorded, *, strict: bool | None, strict_messages: bool | None,
                    baseline: Path | None, report_dir: Path) -> Settings:
    """The recorded run's settings, with the judge's own flags where given."""
    values: dict[str, Any] = {name: recorded.settings.get(name) for name in RECORDED_SETTINGS}
    values = {k: v for k, v in values.items() if v is not None}
    if values.get("profile", "full") not in PROFILES:
        raise HarError(f"the recording names an unknown profile {values.get('profile')!r}")
    if not isinstance(values.get("seed", 0), int):
        values.pop("seed")
    for name in ("strict", "strict_messages"):
        values[name] = bool(values.get(name, False))
    _select_recorded_operation(values)
    if strict is not None:
        values["strict"] = strict
    if strict_messages is not None:
        values["strict_messages"] = strict_messages
    try:
        values["timeout"] = float(values.get("timeout", 30.0))
    except (TypeError, ValueError):
        values["timeout"] = 30.0
    endpoint = recorded.settings.get("endpoint")
    return Settings(endpoint=endpoint if isinstance(endpoint, str) else None, key=REPLAY_KEY,
                    report_dir=report_dir, baseline=baseline, **values)


def _select_recorded_operation(values: dict[str, Any]) -> None:
    """Select the recording's operation and version (a recording made before the family had none: the page's)."""
    name = values.setdefault("operation", operation.DEFAULT_OPERATION)
    version = values.setdefault("api_version", operation.DEFAULT_VERSION)
    if name not in operation.operation_names() or version not in operation.version_names():
        raise HarError(f"the recording names an operation this version does not know: {name!r} on {version!r}")
    operation.select(name, version)


def replay(recorded: Recorded, settings: Settings) -> tuple[Runner, Cassette, dict[int, int]]:
    """Perform the recorded steps against the recorded answers; the runner holds the findings.

    Also returns, for each recorded step performed, the index of the step it became in the
    replay's own recording.
    """
    cassette = Cassette(recorded.exchanges)
    endpoint = str(recorded.log["_conformance"].get("target", {}).get("endpoint", "a recording"))
    client = httpx.Client(base_url=recorded.origin or REPLAY_BASE_URL, transport=httpx.MockTransport(cassette))
    target = Target(client=client, base_url=endpoint, mode="replay", forcer=lambda kind, count=1: None)
    setup = next((s for s in recorded.steps if s.get("call") == "setup"), {})
    group_ids = [g for g in setup.get("group_ids", []) if isinstance(g, str)]
    run = Runner(settings, target, sleep=lambda seconds: None, group_ids=group_ids)

    def before(index: int) -> None:
        cassette.step = index

    try:
        performed = perform(run, recorded.steps, before=before)
    finally:
        target.close()
    return run, cassette, performed


def perform(run: Runner, steps: list[dict[str, Any]], *, before: Callable[[int], None] = lambda index: None,
            move: Callable[[Probe], Probe] = lambda probe: probe, budget: bool = False) -> dict[int, int]:
    """Perform recorded steps on a runner, in order; after a stop, only the teardown.

    `move` readdresses each recorded probe (a live side has resources of its own); with `budget`,
    the steps stop (but for the teardown) once the runner's --budget is spent. Returns, for each
    step performed, the index of the step it became in the runner's own recording. The teardown
    runs however the loop ends (an interrupt included), so that a live side keeps nothing.
    """
    performed: dict[int, int] = {}
    stopped = torn_down = False
    try:
        for index, step in enumerate(steps):
            call = step["call"]
            if call != "teardown" and (stopped or (budget and not run.budget_left(reserve=False))):
                continue
            if _forced(step) and not run.can_force:
                continue  # a state only the embedded reference can be put in (as the suite skips it live)
            before(index)
            performed[index] = run.steps_recorded
            torn_down = torn_down or call == "teardown"
            try:
                stopped = _perform(run, step, move) or stopped
            except Exception as exc:  # noqa: BLE001 - as a suite test's error would, it ends only this step
                run.note(f"info.step-{index}-raised", None,
                         f"step {index} ({call}) could not be performed: {type(exc).__name__}: {exc}")
    finally:
        if not torn_down and run.holds_resources:
            run.teardown()
    return performed


def _forced(step: dict[str, Any]) -> bool:
    probe = step.get("probe")
    return isinstance(probe, dict) and bool(probe.get("force"))


def _perform(run: Runner, step: dict[str, Any], move: Callable[[Probe], Probe]) -> bool:
    """One recorded step, by its name (`har.STEP_CALLS`); True when it ended the run (as the original's stop did).

    The names and arguments are a file format: each name performs what it always has, whichever
    module holds it now (`recover_after`, `concurrent_writes` and `training` are in `scenarios`).
    """
    call = step["call"]
    try:
        if call == "setup":
            run.setup()
        elif call == "teardown":
            run.note_problems(run.teardown())
        elif call in ("run", "recover_after"):
            probe = move(probe_from_record(step.get("probe")))
            if call == "run":
                run.run(probe, training=bool(step.get("training", False)))
            else:
                scenarios.recover_after(run, probe)
        elif call == "equivalence":
            scenarios.equivalence(run, str(step.get("base")), move(probe_from_record(step.get("plain"))),
                                  move(probe_from_record(step.get("spelled"))))
        elif call == "isolation":
            scenarios.isolation(run)
        elif call == "concurrent_writes":
            scenarios.concurrent_writes(run, int(step.get("n", 4)))
        elif call == "training":
            scenarios.training(run)
        elif call == "flush":
            run.flush()
    except (SetupError, Inconclusive) as exc:
        if call == "setup":  # as the plugin ends a run whose set-up failed, with the exchange that showed it
            run.stop("inconclusive", f"{SETUP_FAILED}: {exc}", exc.exchange)
            return True
        if isinstance(exc, SetupError):
            raise
        run.stop(exc.kind, str(exc), exc.exchange)
        return True
    return False


@dataclass(frozen=True)
class Rejudged:
    """A recording re-judged: the file read, what the replay sent and recorded, its steps, and the result record."""

    recorded: Recorded
    run: RunRecord
    performed: dict[int, int]
    result: RunResult


def rejudge(path: Path, *, report_dir: Path, strict: bool | None = None, strict_messages: bool | None = None,
            baseline: Path | None = None) -> Rejudged:
    """Read a recording and re-judge it (HarError for a bad file); what `judge` and `diff` both do."""
    from face_conformance.run.run_result import build_result, now_iso

    started, started_iso = time.monotonic(), now_iso()
    recorded = read_har(path)
    settings = replay_settings(recorded, strict=strict, strict_messages=strict_messages, baseline=baseline,
                               report_dir=report_dir)
    run, cassette, performed = replay(recorded, settings)
    _note_mismatches(run, cassette)
    ours = recorded.log["_conformance"]
    original = ours.get("target") if isinstance(ours.get("target"), dict) else {}
    if ours.get("interrupted") is True:
        run.stop("inconclusive", "the recorded run was interrupted")
    record = run.run_record()
    result = build_result(settings, record, run.ledger, started=started_iso, duration_s=time.monotonic() - started,
                          mode="replay",
                          recorded={"file": Path(path).name, "link": _link(Path(path), report_dir),
                                    "suite_version": recorded.version,
                                    "mode": original.get("mode"), "started": original.get("started"),
                                    "verdict": ours.get("verdict"), "entries": len(recorded.exchanges)})
    return Rejudged(recorded, record, performed, result)


def judge(path: Path, *, report_dir: Path, strict: bool | None = None, strict_messages: bool | None = None,
          baseline: Path | None = None) -> RunResult:
    """Re-judge a recording: the result record of the replayed run (HarError for a bad file)."""
    return rejudge(path, report_dir=report_dir, strict=strict, strict_messages=strict_messages,
                   baseline=baseline).result


def _link(path: Path, report_dir: Path) -> str:
    """The recording as the replay's report.html links it: relative to the report, where it can be."""
    try:
        return Path(os.path.relpath(path.resolve(), report_dir.resolve())).as_posix()
    except ValueError:  # another drive (Windows): a relative path does not exist
        return path.name


def _note_mismatches(run: Runner, cassette: Cassette) -> None:
    """Say where today's suite and the recording parted (an older suite version, or an edited file)."""
    if cassette.unmatched:
        run.note("info.replay-unanswered", None,
                 f"{len(cassette.unmatched)} request(s) of today's suite have no recorded answer "
                 f"(judged as unanswered): {'; '.join(cassette.unmatched[:5])}")
    unused = cassette.unused()
    if unused:
        run.note("info.replay-unused", None,
                 f"{len(unused)} recorded exchange(s) were not asked for by today's suite: entries "
                 + ", ".join(str(e.index) for e in unused[:20]))
