"""The runner: sends probes and the read-backs they need, and returns everything they showed.

One Runner per run, shared by every test through a session fixture. Tests describe what to
send; the runner does the sending, the reading back and the bookkeeping. It judges nothing
itself: every verdict comes from `oracle` (the PATCH answer) or `checks` (side effects and the
403, 409 and 429 answers met on the way), pure functions of what was sent and what came back.
The scenarios that need more than one probe (parallel writes, training, the normal update after
a state) are in `scenarios`; what a finished run leaves for its readers is `run_record()`.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from face_conformance.cases import catalogue
from face_conformance.cases.probes import Probe, on_face
from face_conformance.cases.world import FaceRef, World
from face_conformance.config.settings import Settings
from face_conformance.evidence.exchange import Exchange
from face_conformance.evidence.recording import encode_arg
from face_conformance.evidence.run_record import RunRecord
from face_conformance.judging import checks, oracle, schema_checks
from face_conformance.judging.checks import Pending
from face_conformance.judging.findings import Finding
from face_conformance.judging.ledger import Ledger
from face_conformance.judging.oracle import Expectation
from face_conformance.live.client import CASE_HEADER, FRAMING_HEADER, FaceClient, ends_the_run
from face_conformance.live.pacing import make_pacer
from face_conformance.live.provisioning import Provisioner, SetupError, Supporting
from face_conformance.live.target import Target

#: Why a run whose set-up failed ends (the plugin's run and its replay say it alike).
SETUP_FAILED = "set-up failed before any row could be tested"
CONFLICT_RETRIES = 2
#: Requests of a --budget kept for the live-only rows (parallel writes, training, the updates after).
LIVE_ROWS_RESERVE = 20
#: Requests a live run spends on each section of relations and dimensions at most (an endpoint is metered;
#: mock mode has no cap). A probe starts while its section has room, so a section may end a few over.
EXPLORE_LIVE = {"credentials": 7, "equivalence": 22, "dimensions": 24, "history": 6}
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Note:
    """An INFO observation: open or undocumented behaviour a probe showed (never failed)."""

    id: str
    row: str | None
    summary: str
    evidence: dict[str, Any] | None = None


@dataclass(frozen=True)
class Seen:
    """What one probe showed: its own (last) PATCH exchange, every finding it led to, and its INFO notes."""

    exchange: Exchange
    findings: list[Finding]
    notes: list[Note] = field(default_factory=list)


def _wire_headers(probe: Probe) -> dict[str, str]:
    """The probe's headers, with the client's hints for how to put it on the wire (framing, header-name case)."""
    headers = probe.headers
    if probe.framing:
        headers[FRAMING_HEADER] = probe.framing
    if probe.header_case:
        headers[CASE_HEADER] = probe.header_case
    return headers


def recorded_step(call: str) -> Callable[[F], F]:
    """Decorate a Runner method, or a function whose first argument is the Runner: each call the
    suite makes of it is a step of the recording, named `call`, with the arguments it was given."""
    def decorate(method: F) -> F:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(runner: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(runner, *args, **kwargs)
            recorded = {name: encode_arg(value) for name, value in list(bound.arguments.items())[1:]}
            with runner.recording_step(call, recorded):
                return method(runner, *args, **kwargs)

        return wrapper  # type: ignore[return-value]
    return decorate


#: The rows whose answers a request can meet on the way, judged on their shape when met.
RATE_LIMIT = catalogue.state_row("rate-limit")
QUOTA = catalogue.state_row("quota")


@dataclass
class Runner:
    """Everything a run shares: settings, target, client, world, ledger."""

    settings: Settings
    target: Target
    ledger: Ledger = field(default_factory=Ledger)
    world: World | None = None
    client: FaceClient = field(init=False)
    calls: Supporting = field(init=False)
    provisioner: Provisioner = field(init=False)
    pending: list[Pending] = field(default_factory=list)
    recovered: set[str] = field(default_factory=set)  # rows whose error answer a normal update followed
    #: The answer to each equivalence base written plainly, by base (the relation holds spellings to it).
    plain_answers: dict[str, Exchange] = field(default_factory=dict)
    #: Each userData a 2xx wrote, and the face it was written to (a value found on another face leaked).
    written: dict[str, FaceRef] = field(default_factory=dict)
    explore_spent: dict[str, int] = field(default_factory=dict)  # requests spent per section of the exploration
    #: How the runner waits (for a conflict to clear, training to end): a replay does not wait.
    sleep: Callable[[float], None] = time.sleep
    #: Group IDs to use instead of fresh ones (a replay takes the recorded run's).
    group_ids: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _markers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.client = FaceClient(
            self.target.client, self.settings.effective_key,
            pacer=make_pacer(self.settings.max_rps, self.settings.max_rpm),
            timeout=self.settings.timeout, run_deadline=self.settings.run_deadline, sleep=self.sleep,
        )
        self.calls = Supporting(self.client, sleep=self.sleep)
        # Mock runs repeat exactly by default; live runs get fresh group names unless seeded.
        seed = self.settings.seed if self.settings.seed is not None else (0 if self.target.mode == "mock" else None)
        rng = random.Random(seed) if seed is not None else None
        self.provisioner = Provisioner(self.settings, self.calls, rng=rng, group_ids=list(self.group_ids))

    def marker(self) -> str:
        """A distinct userData value for a write the runner makes itself; the same sequence in a replay."""
        return f"conformance-run-{next(self._markers)}"

    # -- set-up and teardown -------------------------------------------------------------------

    def setup(self) -> World:
        """Provision (or adopt) the world; a SetupError or Inconclusive propagates to the caller."""
        with self.recording_step("setup", {}) as step:
            try:
                self.world = self.provisioner.setup()
            finally:
                if step is not None:
                    step["group_ids"] = list(self.provisioner.drawn)  # what a replay provisions again
        return self.world

    @recorded_step("teardown")
    def teardown(self) -> list[str]:
        """Verify pending side effects, then delete or restore; returns problems to report."""
        problems = []
        self.client.reopen()
        if self.world is not None and self.ledger.stop_kind is None:
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001 - teardown must go on whatever the server does
                problems.append(f"final read-back failed: {exc}")
        problems += self.provisioner.teardown()
        self.ledger.extend(self.met_on_the_way())  # a 403 that ended the run, 429s of the teardown
        if self.calls.retries:
            self.note("info.supporting-call-retries", None,
                      f"{len(self.calls.retries)} supporting call(s) retried after a connection fault: "
                      + "; ".join(self.calls.retries[:5]))
        return problems

    def close(self) -> None:
        """Close the connection to the target (after the teardown)."""
        self.target.close()

    # -- what the run keeps --------------------------------------------------------------------

    @contextmanager
    def recording_step(self, call: str, args: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
        """A step of the recording for a call the suite made (calls made inside it stay in it)."""
        with self.client.recording.step(call, args) as step:
            yield step

    def keep(self, findings: list[Finding], notes: list[Note] | tuple[Note, ...] = ()) -> None:
        """Record findings and INFO notes in the run's ledger."""
        self.ledger.extend(findings)
        for note in notes:
            self.note(note.id, note.row, note.summary, note.evidence)

    def note(self, obs_id: str, row: str | None, summary: str, evidence: dict[str, Any] | None = None) -> None:
        """Record an INFO observation (the first sighting of an ID is kept)."""
        self.ledger.observe(obs_id, row, summary, evidence)

    def note_problems(self, problems: list[str]) -> None:
        """Report problems of the teardown as INFO observations, one each."""
        for problem in problems:
            self.note(f"info.teardown-{len(self.ledger.observations)}", None, problem)

    def stop(self, kind: str, reason: str, exchange: Exchange | None = None) -> None:
        """End the run early, and say why (with the exchange that showed it, when there is one)."""
        self.ledger.stop(kind, reason)
        if exchange is not None:
            self.note("info.stop", None, reason, exchange.to_dict("error", reason))

    @property
    def sent(self) -> int:
        """Requests sent so far."""
        return self.client.sent

    @property
    def steps_recorded(self) -> int:
        """Steps in the run's recording so far."""
        return len(self.client.recording.steps)

    @property
    def holds_resources(self) -> bool:
        """True when set-up created (or adopted) something the teardown must delete or restore."""
        return bool(self.provisioner.attempted_groups) or self.provisioner.original is not None

    def run_record(self) -> RunRecord:
        """What the run sent and recorded, and what each request was judged on (for reports and replays)."""
        recording = self.client.recording
        return RunRecord(
            target=self.target.label,
            steps=tuple(dict(step) for step in recording.steps),
            entries=tuple(recording.in_order()),
            judged=dict(self.ledger.judged()),
            requests=self.client.sent,
            requests_by_purpose=dict(sorted(self.client.sent_by_tag.items())),
            restored=self.provisioner.restored,
            world=self.world,
        )

    # -- budget --------------------------------------------------------------------------------

    def budget_left(self, *, reserve: bool = True) -> bool:
        """False once --budget requests have been spent.

        Until the live-only rows have run, `reserve` keeps some of the budget for them (concurrent
        writes, training and the checks after them): more generated cases must not starve rows
        that nothing else can observe.
        """
        budget = self.settings.budget
        if budget is None:
            return True
        kept = min(LIVE_ROWS_RESERVE, budget // 4) if reserve else 0
        return self.client.sent < budget - kept

    def unreachable(self, row: str, why: str) -> None:
        """Say why a row could not be observed in this run (the report shows it)."""
        self.ledger.unreachable(row, why)

    def why_unobserved(self, row: str) -> str | None:
        """Why a row was not observed, when the run has said so."""
        return self.ledger.not_observed_why.get(row)

    def findings_on(self, row: str) -> list[Finding]:
        """Every finding on a row so far, in the order found (for the cross-row tests)."""
        return [f for f in list(self.ledger.findings) if f.row == row]

    def explore_left(self, section: str) -> bool:
        """True if a relation or dimension probe may be sent: within --budget, and live within its share.

        A live endpoint is metered and paced, so each section of the exploration of the request
        space gets a share of requests (`EXPLORE_LIVE`); the report lists what was not tried
        (`explored`), never dropping it silently. Mock mode has no share: it tries everything.
        """
        spent = self.explore_spent.get(section, 0)
        return self.budget_left() and (self.settings.mode != "live" or spent < EXPLORE_LIVE.get(section, 0))

    @contextmanager
    def exploring(self, section: str) -> Iterator[None]:
        """Count the requests sent inside the block against a section's share."""
        before = self.client.sent
        try:
            yield
        finally:
            self.explore_spent[section] = self.explore_spent.get(section, 0) + self.client.sent - before

    def spend_check(self, rows: tuple[str, ...], *, reserve: bool = True) -> bool:
        """True if a probe may be sent; otherwise say why its rows went unobserved."""
        if self.budget_left(reserve=reserve):
            return True
        for row in rows:
            self.unreachable(row, f"--budget {self.settings.budget} requests spent before this row")
        return False

    # -- probes --------------------------------------------------------------------------------

    @property
    def profile(self) -> str:
        """The run's profile: smoke or full."""
        return self.settings.profile

    @property
    def smoke(self) -> bool:
        """The smoke profile: no normal update after each error row or after the parallel writes."""
        return self.settings.profile == "smoke"

    @property
    def can_force(self) -> bool:
        """True when the target can be put in a state at will (the embedded reference, a replay)."""
        return self.target.forcer is not None

    def force(self, kind: str, count: int = 1) -> None:
        """Put the target in a state, where it can be (a live endpoint cannot)."""
        if self.target.forcer:
            self.target.forcer(kind, count)

    def probe_on_face(self, label: str, **kw: object) -> Probe:
        """A probe on the face under test (the world must be set up)."""
        assert self.world is not None
        return on_face(self.world, label, **kw)  # type: ignore[arg-type]

    @recorded_step("run")
    def run(self, probe: Probe, *, training: bool = False) -> list[Finding]:
        """Send one PATCH probe and record and return everything it showed (see `observe`)."""
        seen = self.observe(probe, training=training)
        self.keep(seen.findings, seen.notes)
        return seen.findings

    def observe(self, probe: Probe, *, training: bool = False) -> Seen:
        """Send one PATCH probe; the findings on its answer, its side effects and the answers met on the way.

        Nothing is recorded, INFO notes included (they come back in `Seen.notes`): the caller
        decides (`run` records). The read-back of an error answer
        waits for the next flush, which comes before the next write that should succeed (and in
        x.no-change-on-error's own test): one Get Face for a run of error answers, and each probe
        writes a distinct marker, so a changed face still names the request that changed it.
        """
        assert self.world is not None, "setup() first"
        expectation = oracle.expect(probe, self.world, training=training)
        findings: list[Finding] = []
        if expectation.primary == oracle.OK:
            findings += self.flush(record=False)
        exchange, conflicts = self.send(probe, tag=probe.rows[0] if probe.rows else expectation.primary)
        findings += conflicts + oracle.judge(exchange, expectation, strict_messages=self.settings.strict_messages)
        if probe.generated:
            findings += schema_checks.findings(exchange)
        notes: list[Note] = []
        reading = oracle.user_data_reading(expectation, exchange)
        if reading is not None:
            notes.append(Note(f"info.userdata-reading-{reading[0]}", oracle.TOO_LONG, reading[1],
                              exchange.to_dict("info", "an answer between the two readings of 1KB")))
        effects, effect_notes = self._side_effects(probe, expectation, exchange)
        return Seen(exchange, findings + effects + self.met_on_the_way(), notes + effect_notes)

    def send(self, probe: Probe, *, tag: str) -> tuple[Exchange, list[Finding]]:
        """Send a probe, repeating it (briefly) after a 409 conflict, which is transient.

        Returns the last exchange and the findings on the conflicts met before it.
        """
        if probe.force:
            self.force(probe.force)
        met: list[Finding] = []
        for attempt in range(CONFLICT_RETRIES + 1):
            exchange = self.client.send("PATCH", probe.path, headers=_wire_headers(probe), body=probe.body,
                                        key=probe.key, tag=tag, forced_403=probe.force == "quota")
            if not checks.is_conflict(exchange) or probe.force == "concurrent" or attempt == CONFLICT_RETRIES:
                return exchange, met
            met += checks.shape(checks.CONFLICT, exchange, strict_messages=self.settings.strict_messages)
            self.sleep(0.2 * (attempt + 1))
        return exchange, met

    def send_once(self, probe: Probe, *, tag: str) -> Exchange:
        """Send a probe once, as it is (one of several sent in parallel): no retry, nothing judged.

        Thread-safe; once the client has halted, it raises Inconclusive (see `raise_if_halted`).
        """
        return self.client.send("PATCH", probe.path, headers=_wire_headers(probe), body=probe.body, key=probe.key,
                                tag=tag)

    def raise_if_halted(self) -> None:
        """Raise the Inconclusive that halted the client (a quota, an unresponsive server), if one did."""
        if self.client.halted is not None:
            raise self.client.halted

    # -- side effects ----------------------------------------------------------------------------

    def _side_effects(self, probe: Probe, expectation: Expectation, exchange: Exchange
                      ) -> tuple[list[Finding], list[Note]]:
        assert self.world is not None
        face = self.world.face_named(expectation.face_id) if expectation.face_id else None
        if face is None:
            return [], []
        if exchange.status is None:
            # No answer: the update may or may not have landed. The next read-back takes its value
            # as allowed, so that it is not blamed on an error answer.
            with self._lock:
                self.pending.append(Pending(face, exchange, expectation.user_data, may_write=True))
            return [], []
        if 200 <= exchange.status < 300:  # a 204 (say) may have written too: read it back all the same
            return self.read_after_write(face, expectation, exchange)
        if 400 <= exchange.status < 500 and exchange.status != 429:
            with self._lock:
                self.pending.append(Pending(face, exchange, expectation.user_data, probe=probe))
        return [], []

    def read_after_write(self, face: FaceRef, expectation: Expectation, exchange: Exchange
                          ) -> tuple[list[Finding], list[Note]]:
        """The read-back after a 2xx on `face`: its findings, and what a non-string update stored (INFO notes)."""
        try:
            stored, got = self.calls.get_face(face)
        except SetupError as exc:
            return [checks.read_back_failed(checks.READ_AFTER_WRITE, exc, exc.exchange)], []
        self.world.remember(face, stored)  # type: ignore[union-attr]
        sent = expectation.user_data
        if isinstance(sent, str) and sent:
            self.written[sent] = face
        notes = []
        if not isinstance(sent, str):
            what = "no userData" if not expectation.has_user_data else f"userData {sent!r}"
            notes.append(Note(f"info.stored-after-{'missing' if sent is None else 'non-string'}", oracle.OK,
                              f"after an update with {what}, Get Face shows userData {stored!r}",
                              got.to_dict("info", "what the face holds afterwards")))
        choices = expectation.user_data_choices
        if len(choices) > 1 and stored in choices:  # point 18: either reading conforms; say which
            wins = "first" if stored == choices[0] else "last"
            notes.append(Note(f"info.duplicate-member-{wins}-wins", oracle.OK,
                              f"a duplicated userData member is read {wins}-wins",
                              got.to_dict("info", "what the face holds afterwards")))
        source = self.written.get(stored) if isinstance(stored, str) and stored != sent else None
        if source is not None and source != face:  # another face's update leaked here (x.isolation)
            return [checks.untouched(face, sent, stored, got, after=f"an update of face {source.face}")], notes
        return checks.read_after_write(sent, stored, got, choices), notes

    @recorded_step("flush")
    def flush(self, *, record: bool = True) -> list[Finding]:
        """Read back every face with pending error answers; findings for x.no-change-on-error."""
        with self._lock:
            pending, self.pending = self.pending, []
        findings: list[Finding] = []
        for face in dict.fromkeys(p.face for p in pending):  # in the order sent: runs repeat exactly
            mine = [p for p in pending if p.face == face]
            findings += self._verify_unchanged(face, mine)
        if record:
            self.ledger.extend(findings)
        return findings

    def _verify_unchanged(self, face: FaceRef, pending: list[Pending]) -> list[Finding]:
        assert self.world is not None
        before = self.world.believed(face)
        try:
            now, got = self.calls.get_face(face)
        except SetupError as exc:
            return [checks.read_back_failed(checks.NO_CHANGE, exc, exc.exchange)]
        if (now or None) != (before or None):
            self.world.remember(face, now)
            source = self.written.get(now) if isinstance(now, str) else None
            if source is not None and source != face:
                # The value an update of another face wrote: that update leaked here (x.isolation),
                # which is no error answer's doing.
                return [checks.untouched(face, before, now, got, after=f"an update of face {source.face}")]
        if checks.needs_bisect(before, now, pending):
            found = self._bisect(face, pending)
            if found is not None:
                return found
        return checks.unchanged(before, now, pending)

    def _bisect(self, face: FaceRef, pending: list[Pending]) -> list[Finding] | None:
        """Replay a batch's error requests one at a time, each from a known value, until one changes the face.

        Only a broken server gets here (a batch changed the face to a value no request wrote), so
        the extra requests are spent only to name the request that breaks the row. None when no
        replay changes the face again (the server is not repeatable): the batch's finding stands.
        """
        assert self.world is not None
        passed: list[Finding] = []
        for index, p in enumerate(x for x in pending if not x.may_write and x.probe is not None):
            try:
                self.calls.update_face(face, f"bisect-{index}-{self.marker()}", tag="read-back")
                base, _ = self.calls.get_face(face)
                replayed, _ = self.send(p.probe, tag="read-back")  # type: ignore[arg-type]
                now, got = self.calls.get_face(face)
            except SetupError:
                return None
            self.world.remember(face, now)
            if (now or None) != (base or None):
                return passed + [checks.changed_alone(base, now, replayed)]
            passed += checks.unchanged(base, now, [replace(p, exchange=replayed)])
        return None

    # -- answers the client met on the way -------------------------------------------------------

    def met_on_the_way(self) -> list[Finding]:
        """The 429s the client waited out and the quota 403s it met since last asked, judged on their shape."""
        findings: list[Finding] = []
        for exchange in self.client.take_met():
            if exchange.status == 429:
                findings += checks.shape(RATE_LIMIT, exchange, strict_messages=self.settings.strict_messages)
            elif exchange.status == 403 and ends_the_run(exchange) and exchange.answer and \
                    exchange.answer.error_field("code") != "UnsupportedFeature":
                findings += checks.shape(QUOTA, exchange, strict_messages=self.settings.strict_messages)
        return findings
