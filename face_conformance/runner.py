"""The runner: sends probes, judges them with the oracle, checks side effects, feeds the ledger.

One Runner per run, shared by every test through a session fixture. Tests describe what to
send; the runner does the sending, the reading back and the bookkeeping, so that the same
judgement applies to explicit, generated and live-only cases alike.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from . import catalogue, oracle
from .client import FaceClient, Inconclusive, ends_the_run
from .evidence import Exchange
from .ledger import Ledger
from .oracle import Expectation, Finding
from .pacing import make_pacer
from .probes import Probe, marker, on_face, user_data_body
from .provisioning import Provisioner, SetupError, Supporting
from .settings import Settings
from .target import Target
from .world import FaceRef, World

CONFLICT_RETRIES = 2
TRAINING_WAIT_S = 120.0
#: A normal update after a transient state is tried this often (with a growing pause) before the
#: face counts as stuck in that state.
RECOVERY_TRIES = 3
RECOVERY_PAUSE_S = 0.5
#: Requests of a --budget kept for the live-only rows (parallel writes, training, the updates after).
LIVE_ROWS_RESERVE = 20


@dataclass
class Pending:
    """An error answer whose face must be shown unchanged (x.no-change-on-error)."""

    face: FaceRef
    exchange: Exchange
    sent: object
    may_write: bool = False  # an update with no answer: it may have written its value, or not


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
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.client = FaceClient(
            self.target.client, self.settings.effective_key,
            pacer=make_pacer(self.settings.max_rps, self.settings.max_rpm),
            timeout=self.settings.timeout, observer=self._observe_status, run_deadline=self.settings.run_deadline,
        )
        self.calls = Supporting(self.client)
        # Mock runs repeat exactly by default; live runs get fresh group names unless seeded.
        seed = self.settings.seed if self.settings.seed is not None else (0 if self.target.mode == "mock" else None)
        rng = random.Random(seed) if seed is not None else None
        self.provisioner = Provisioner(self.settings, self.calls, rng=rng)

    # -- set-up and teardown -------------------------------------------------------------------

    def setup(self) -> World:
        """Provision (or adopt) the world; a SetupError or Inconclusive propagates to the caller."""
        self.world = self.provisioner.setup()
        return self.world

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
        if self.calls.retries:
            self.ledger.observe("info.supporting-call-retries", None,
                                f"{len(self.calls.retries)} supporting call(s) retried after a connection fault: "
                                + "; ".join(self.calls.retries[:5]))
        return problems

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

    def spend_check(self, rows: tuple[str, ...], *, reserve: bool = True) -> bool:
        """True if a probe may be sent; otherwise say why its rows went unobserved."""
        if self.budget_left(reserve=reserve):
            return True
        for row in rows:
            self.ledger.unreachable(row, f"--budget {self.settings.budget} requests spent before this row")
        return False

    # -- probes --------------------------------------------------------------------------------

    @property
    def deferred(self) -> bool:
        """Smoke runs batch the read-backs of error answers into one Get Face."""
        return self.settings.profile == "smoke"

    def probe_on_face(self, label: str, **kw: object) -> Probe:
        """A probe on the face under test (the world must be set up)."""
        assert self.world is not None
        return on_face(self.world, label, **kw)  # type: ignore[arg-type]

    def run(self, probe: Probe, *, training: bool = False, record: bool = True, batch: bool = False
            ) -> list[Finding]:
        """Send one PATCH probe, judge it, check its side effects; returns its findings.

        `batch` leaves the read-back of an error answer for the next flush (each probe writes a
        distinct marker, so one Get Face still names the request that changed the face).
        """
        assert self.world is not None, "setup() first"
        expectation = oracle.expect(probe, self.world, training=training)
        # A live endpoint is metered: its error answers are read back in batches, as smoke runs do.
        # Mock runs (free) read back after each error answer, for per-request evidence.
        deferred = self.deferred or batch or self.target.mode == "live"
        if expectation.primary == "200.ok" or (expectation.face_id and not deferred):
            self.flush()
        exchange = self.send(probe, tag=probe.rows[0] if probe.rows else expectation.primary)
        findings = oracle.judge(exchange, expectation, strict_messages=self.settings.strict_messages)
        findings += self._side_effects(expectation, exchange, deferred)
        if record:
            self.ledger.extend(findings)
        return findings

    def collect(self, probe: Probe, *, batch: bool = False) -> list[Finding]:
        """Run a probe; every finding recorded meanwhile (the 429s and 409s seen on the way too)."""
        seen = len(self.ledger.findings)
        self.run(probe, batch=batch)
        return self.ledger.findings[seen:]

    # -- state after state -----------------------------------------------------------------------

    def recover_after(self, probe: Probe) -> list[Finding]:
        """After an error answer on the face under test, a normal update must get 200 again (full profile)."""
        assert self.world is not None
        expectation = oracle.expect(probe, self.world)
        row = catalogue.row(expectation.primary)
        if self.deferred or not expectation.face_id or row.status is None or row.status < 400:
            return []
        if row.id in self.recovered:
            return []  # once per row: the first error answer of each row is followed by a normal update
        self.recovered.add(row.id)
        return self.recover(row.id, f"the {row.id} answer")

    def recover(self, state_row: str, after: str) -> list[Finding]:
        """A normal update after a transient state: 200 and stored, or the state's row fails (stuck)."""
        probe = self.probe_on_face(f"a normal update after {after}", rows=("200.ok",))
        for attempt in range(RECOVERY_TRIES):
            findings = self.run(probe, record=False)
            exchange = next((f.exchange for f in findings if f.exchange is not None
                             and f.exchange.request.method == "PATCH"), None)
            stuck = exchange is not None and exchange.status != 200 and oracle.satisfies(exchange, state_row)
            if not stuck or attempt == RECOVERY_TRIES - 1:
                break
            # A state may take a moment to clear after it is over (a lock released late): not stuck yet.
            time.sleep(RECOVERY_PAUSE_S * (attempt + 1))
        if stuck and exchange is not None:
            findings.append(Finding(state_row, "fail", f"stuck: after {after}, a normal update still got "
                                    f"{exchange.describe_answer()} ({RECOVERY_TRIES} tries)", exchange))
        self.ledger.extend(findings)
        return findings

    def send(self, probe: Probe, *, tag: str) -> Exchange:
        """Send a probe, repeating it (briefly) after a 409 conflict, which is transient."""
        if probe.force and self.target.forcer:
            self.target.forcer(probe.force)
        for attempt in range(CONFLICT_RETRIES + 1):
            exchange = self.client.send("PATCH", probe.path, headers=probe.headers, body=probe.body,
                                        key=probe.key, tag=tag, forced_403=probe.force == "quota")
            if not self._is_conflict(exchange) or probe.force == "concurrent" or attempt == CONFLICT_RETRIES:
                return exchange
            self.ledger.extend(self._shape_findings("409.concurrent", exchange))
            time.sleep(0.2 * (attempt + 1))
        return exchange

    @staticmethod
    def _is_conflict(exchange: Exchange) -> bool:
        return exchange.status == 409 and exchange.answer is not None and \
            exchange.answer.error_field("code") == "ConcurrentOperationConflict"

    # -- side effects ----------------------------------------------------------------------------

    def _side_effects(self, expectation: Expectation, exchange: Exchange, deferred: bool) -> list[Finding]:
        assert self.world is not None
        face = self.world.face_named(expectation.face_id) if expectation.face_id else None
        if face is None:
            return []
        if exchange.status is None:
            # No answer: the update may or may not have landed. The next read-back takes its value
            # as allowed, so that it is not blamed on an error answer.
            with self._lock:
                self.pending.append(Pending(face, exchange, expectation.user_data, may_write=True))
            return []
        if 200 <= exchange.status < 300:  # a 204 (say) may have written too: read it back all the same
            return self._read_after_write(face, expectation, exchange)
        if 400 <= exchange.status < 500 and exchange.status != 429:
            with self._lock:
                self.pending.append(Pending(face, exchange, expectation.user_data))
            return [] if deferred else self.flush(record=False)
        return []

    def _read_after_write(self, face: FaceRef, expectation: Expectation, exchange: Exchange) -> list[Finding]:
        try:
            stored, got = self.calls.get_face(face)
        except SetupError as exc:
            return [Finding("x.read-after-write", "error", f"could not read the face back: {exc}", exc.exchange)]
        self.world.remember(face, stored)  # type: ignore[union-attr]
        sent = expectation.user_data
        if not isinstance(sent, str):
            what = "no userData" if not expectation.has_user_data else f"userData {sent!r}"
            self.ledger.observe(f"info.stored-after-{'missing' if sent is None else 'non-string'}", "200.ok",
                                f"after an update with {what}, Get Face shows userData {stored!r}",
                                got.to_dict("info", "what the face holds afterwards"))
            return []
        if stored == sent or (sent == "" and stored is None):
            return [Finding("x.read-after-write", "pass", "Get Face returned exactly the userData written", got)]
        return [Finding("x.read-after-write", "fail",
                        f"wrote {_show(sent)}, Get Face returned {_show(stored)}", got)]

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
            return [Finding("x.no-change-on-error", "error", f"could not read the face back: {exc}", exc.exchange)]
        if (now or None) == (before or None):
            return [Finding("x.no-change-on-error", "pass", f"the face still holds {_show(before)}", p.exchange)
                    for p in pending if not p.may_write]
        self.world.remember(face, now)
        errors = [p for p in pending if not p.may_write]
        if any(p.may_write and p.sent == now for p in pending) or not errors:
            return [Finding("x.no-change-on-error", "pass", "the face holds the value of an update that got no "
                            "answer; the error answers changed nothing visible", p.exchange) for p in errors]
        culprit = next((p for p in errors if p.sent == now), errors[-1])
        pending = errors
        who = "this request" if culprit.sent == now else f"one of {len(pending)} error answers (the last shown)"
        return [Finding("x.no-change-on-error", "fail",
                        f"after {culprit.exchange.describe_answer()} to {who}, the face's userData changed from "
                        f"{_show(before)} to {_show(now)}", culprit.exchange)]

    # -- statuses the client sees on the way -----------------------------------------------------

    def _observe_status(self, kind: str, exchange: Exchange) -> None:
        if kind == "429":
            self.ledger.extend(self._shape_findings("429.rate-limit", exchange))
        elif kind == "403" and ends_the_run(exchange) and exchange.answer and \
                exchange.answer.error_field("code") != "UnsupportedFeature":
            self.ledger.extend(self._shape_findings("403.quota", exchange))

    def _shape_findings(self, row_id: str, exchange: Exchange) -> list[Finding]:
        """A 403, 409 or 429 seen on the way: its row and x.error-envelope, judged on its shape."""
        faults = oracle.envelope_faults(exchange, row_id)
        if self.settings.strict_messages and (fault := oracle.message_fault(exchange, row_id)):
            faults.append(f"--strict-messages: {fault}")
        if faults:
            note = "; ".join(faults)
            return [Finding(row_id, "fail", note, exchange), Finding("x.error-envelope", "fail", note, exchange)]
        return [Finding(row_id, "pass", f"HTTP {exchange.status} in the documented shape", exchange),
                Finding("x.error-envelope", "pass", "error envelope as documented", exchange)]

    # -- live-only rows ------------------------------------------------------------------------

    def concurrent_writes(self, n: int = 4) -> list[Finding]:
        """N parallel updates of one face with distinct values, then a read-back."""
        assert self.world is not None
        self.flush()
        face = self.world.face
        before = self.world.believed(face)
        values = [f"concurrent-{i}-{marker()}" for i in range(n)]
        probes = [self.probe_on_face(f"parallel update {i + 1} of {n}", body=user_data_body(v))
                  for i, v in enumerate(values)]
        barrier = threading.Barrier(n)
        results: list[Exchange | None] = [None] * n

        def worker(i: int) -> None:
            try:
                barrier.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
            try:
                results[i] = self.client.send("PATCH", probes[i].path, headers=probes[i].headers,
                                              body=probes[i].body, tag="x.concurrent-writes")
            except Inconclusive:
                results[i] = None  # the client is halted; the main thread raises it below

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(self.settings.timeout * 3 + 10)
        if self.client.halted is not None:
            raise self.client.halted
        findings = self._judge_parallel(values, results, before)
        self.ledger.extend(findings)
        if self.deferred:
            # Smoke: the update during training comes next, and a conflict that never clears fails it.
            return findings
        return findings + self.recover("409.concurrent", "the parallel updates")

    def _judge_parallel(self, values: list[str], results: list[Exchange | None], before: str | None
                        ) -> list[Finding]:
        assert self.world is not None
        findings: list[Finding] = []
        winners = []
        for value, exchange in zip(values, results, strict=True):
            if exchange is None:
                findings.append(Finding("x.concurrent-writes", "error", "a parallel update did not finish"))
                continue
            findings += oracle._status_findings(exchange)
            if exchange.status == 200:
                winners.append(value)
            elif self._is_conflict(exchange):
                findings += self._shape_findings("409.concurrent", exchange)
            elif exchange.status == 409:
                findings.append(Finding("409.concurrent", "fail", f"a conflict answered {exchange.describe_answer()}, "
                                        "not error.code 'ConcurrentOperationConflict'", exchange))
                findings.append(Finding("x.concurrent-writes", "fail", f"a parallel update got "
                                        f"{exchange.describe_answer()}", exchange))
            else:
                findings.append(Finding("x.concurrent-writes", "fail",
                                        f"a parallel update got {exchange.describe_answer()}; only 200, 409 "
                                        "ConcurrentOperationConflict or 429 conform", exchange))
        try:
            stored, got = self.calls.get_face(self.world.face)
        except SetupError as exc:
            return findings + [Finding("x.concurrent-writes", "error", f"could not read the face back: {exc}",
                                       exc.exchange)]
        self.world.remember(self.world.face, stored)
        allowed = winners or [before]
        if stored in allowed:
            findings.append(Finding("x.concurrent-writes", "pass",
                                    f"{len(winners)} of {len(values)} parallel updates got 200; the face holds one "
                                    "of their values", got))
        else:
            findings.append(Finding("x.concurrent-writes", "fail",
                                    f"after parallel updates of which {winners or 'none'} got 200, the face holds "
                                    f"{_show(stored)}", got))
        return findings

    def training(self) -> list[Finding]:
        """Train the group, update while training runs: 409.training; then wait for the end."""
        assert self.world is not None
        group = self.world.face.group
        if self.settings.bring_your_own:
            self.ledger.unreachable("409.training", "a bring-your-own run never trains the user's group")
            return []
        self.flush()
        started = self.calls.train(group)
        if started.status != 202:
            self.ledger.unreachable("409.training", f"Train answered {started.describe_answer()}, not 202")
            return []
        finished = False
        try:
            findings = self._update_while_training(group)
        finally:
            finished = self._wait_for_training(group)
        if not finished:
            self.ledger.unreachable("409.training", "training was still running when the suite stopped waiting")
            return findings
        return findings + self.recover("409.training", "training finished")

    def _update_while_training(self, group: str) -> list[Finding]:
        if self.calls.training_status(group) != "running":
            self.ledger.unreachable("409.training", "training had finished before an update could be sent")
            return []
        probe = self.probe_on_face("update while the group is training", rows=("409.training",))
        findings = self.run(probe, training=True, record=False)
        if any(f.row == "409.training" and f.verdict == "fail" for f in findings) and \
                self.calls.training_status(group) != "running":
            # Training ended between the status read and the update: nothing was shown either way.
            findings = [f for f in findings if f.row != "409.training"]
            self.ledger.unreachable("409.training", "training finished while the update was in flight")
        self.ledger.extend(findings)
        return findings

    def _wait_for_training(self, group: str) -> bool:
        """Poll until training is no longer running; False when it still was at the deadline."""
        deadline = time.monotonic() + TRAINING_WAIT_S
        pause = 0.2  # doubling up to 2 s: short trainings end quickly, long ones cost few polls
        while self.calls.training_status(group) == "running":
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
        return True


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}…({len(text)} chars)"
