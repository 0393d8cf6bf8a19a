"""The scenarios that take more than one probe: parallel writes, training, and the update after a state.

Each takes the run's `Runner` and sends through it. Those the suite calls are steps of the
recording (`recorded_step`), under the names and with the arguments a recording has always
held (`concurrent_writes` with `n`, `training`, `recover_after` with its probe), so that
`replay` performs the same step by the same name whichever version recorded it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import Outcome
from face_conformance.cases.probes import Probe, user_data_body
from face_conformance.cases.world import FaceRef
from face_conformance.evidence.exchange import Exchange
from face_conformance.judging import checks, oracle
from face_conformance.judging.findings import Finding
from face_conformance.live.client import Inconclusive
from face_conformance.live.provisioning import SetupError
from face_conformance.run.runner import Note, Runner, recorded_step

TRAINING_WAIT_S = 120.0
#: A normal update after a transient state is tried this often (with a growing pause) before the
#: face counts as stuck in that state.
RECOVERY_TRIES = 3
RECOVERY_PAUSE_S = 0.5


# -- state after state -------------------------------------------------------------------------

@recorded_step("recover_after")
def recover_after(runner: Runner, probe: Probe) -> list[Finding]:
    """After an error answer on the face under test, a normal update must get 200 again (full profile)."""
    assert runner.world is not None
    expectation = oracle.expect(probe, runner.world)
    row = catalogue.row(expectation.primary)
    if runner.smoke or not expectation.face_id or row.status is None or row.status < 400:
        return []
    if row.id in runner.recovered:
        return []  # once per row: the first error answer of each row is followed by a normal update
    runner.recovered.add(row.id)
    return recover(runner, row.id, f"the {row.id} answer")


def recover(runner: Runner, state_row: str, after: str) -> list[Finding]:
    """A normal update after a transient state: 200 and stored, or the state's row fails (stuck)."""
    probe = runner.probe_on_face(f"a normal update after {after}", rows=(oracle.OK,),
                                 body=user_data_body(runner.marker()))
    earlier: list[Finding] = []
    notes: list[Note] = []
    for attempt in range(RECOVERY_TRIES):
        seen = runner.observe(probe)
        findings, exchange = seen.findings, seen.exchange
        notes += seen.notes
        stuck = checks.stuck(state_row, exchange)
        if not stuck or attempt == RECOVERY_TRIES - 1:
            break
        # A state may take a moment to clear after it is over (a lock released late): not stuck
        # yet, so that answer is no failure of 200.ok; what else it showed (its envelope, the
        # read-backs, the 429s met) stands.
        earlier += [f for f in findings if f.row != oracle.OK]
        runner.sleep(RECOVERY_PAUSE_S * (attempt + 1))
    findings = earlier + findings
    if stuck:
        findings.append(checks.stuck_finding(state_row, after, exchange, RECOVERY_TRIES))
    runner.keep(findings, notes)
    return findings


# -- parallel writes ---------------------------------------------------------------------------

@recorded_step("concurrent_writes")
def concurrent_writes(runner: Runner, n: int = 4) -> list[Finding]:
    """N parallel updates of one face with distinct values, then a read-back."""
    assert runner.world is not None
    runner.flush()
    face = runner.world.face
    before = runner.world.believed(face)
    values = [f"concurrent-{i}-{runner.marker()}" for i in range(n)]
    probes = [runner.probe_on_face(f"parallel update {i + 1} of {n}", body=user_data_body(v))
              for i, v in enumerate(values)]
    # x.isolation: a face of another person is written at the same time, and must not conflict. Its
    # value is derived, not drawn from the runner's counter: a replay of an older recording must draw
    # the same values as the run that made it did.
    # (A face list has no sibling person: the face of its other list is the face beside.)
    sibling = runner.world.sibling or runner.world.other_face
    tags = [checks.PARALLEL] * n
    if sibling is not None:
        probes.append(_at(runner.probe_on_face("an update of another person's face during the parallel updates",
                                               rows=(checks.ISOLATION,),
                                               body=user_data_body(f"{values[0]}-beside")), sibling))
        tags.append(checks.ISOLATION)
    results = _all_at_once(runner, probes, tags)
    findings = _judge_parallel(runner, values, results[:n], before) + runner.met_on_the_way()
    if sibling is not None:
        findings += _judge_beside(runner, probes[n], results[n])
    runner.keep(findings)
    if runner.smoke:
        # Smoke: the update during training comes next, and a conflict that never clears fails it.
        return findings
    return findings + recover(runner, checks.CONFLICT, "the parallel updates")


def _all_at_once(runner: Runner, probes: list[Probe], tags: list[str]) -> list[Exchange | None]:
    """Send the probes in parallel, each from its own thread, released together; None where none came back."""
    barrier = threading.Barrier(len(probes))
    results: list[Exchange | None] = [None] * len(probes)

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        try:
            results[i] = runner.send_once(probes[i], tag=tags[i])
        except Inconclusive:
            results[i] = None  # the client is halted; the caller raises it

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(probes))]
    runner.force("slow-writes", len(probes))  # the embedded reference: hold these writes, so they overlap
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(runner.settings.timeout * 3 + 10)
    runner.force("slow-writes", 0)
    runner.raise_if_halted()
    return results


def _judge_parallel(runner: Runner, values: list[str], results: list[Exchange | None], before: str | None
                    ) -> list[Finding]:
    assert runner.world is not None
    findings = checks.parallel_answers(results, strict_messages=runner.settings.strict_messages)
    try:
        stored, got = runner.calls.get_face(runner.world.face)
    except SetupError as exc:
        return findings + [checks.read_back_failed(checks.PARALLEL, exc, exc.exchange)]
    runner.world.remember(runner.world.face, stored)
    for value, result in zip(values, results, strict=True):
        if result is not None and result.status == 200:
            runner.written[value] = runner.world.face
    return findings + [checks.parallel_outcome(values, results, before, stored, got)]


def _at(probe: Probe, face: FaceRef) -> Probe:
    return replace(probe, group=face.group, person=face.person, face=face.face)


def _judge_beside(runner: Runner, probe: Probe, exchange: Exchange | None) -> list[Finding]:
    """The update of another person's face sent with the parallel updates: 200, and stored (x.isolation)."""
    assert runner.world is not None
    if exchange is None:
        return []
    expectation = oracle.expect(probe, runner.world)
    findings = checks.unaffected("another person's face was being written", expectation.primary, exchange)
    face = runner.world.face_named(probe.face)
    if face is None or exchange.status is None or not 200 <= exchange.status < 300:  # a 204 may have written too
        return findings
    if runner.smoke:  # the isolation step at the end reads this face back: one Get fewer
        runner.world.remember(face, expectation.user_data)
        return findings
    read, notes = runner.read_after_write(face, expectation, exchange)
    runner.keep([], notes)
    return findings + read


# -- relations -----------------------------------------------------------------------------------

@recorded_step("equivalence")
def equivalence(runner: Runner, base: str, plain: Probe, spelled: Probe) -> list[Finding]:
    """A request spelled another way gets the row the plainly written one gets (docs/contract.md point 15).

    The spelled request is judged by the oracle as any probe is. Where the oracle lets a server
    answer the base either way (a non-string userData, a size between the readings of 1KB), the
    plainly written request is sent too, once per base, and the spelled one's answer is held to it.
    """
    assert runner.world is not None
    findings: list[Finding] = []
    expectation = oracle.expect(plain, runner.world)
    if expectation.miss_verdict == Outcome.FAIL and len(expectation.allowed) == 1:
        seen = runner.observe(spelled)  # one conforming answer: the oracle holds the spelling to it
        runner.keep(seen.findings, seen.notes)
        return seen.findings
    if base not in runner.plain_answers:
        seen = runner.observe(plain)
        runner.keep(seen.findings, seen.notes)
        findings += seen.findings
        runner.plain_answers[base] = seen.exchange
    seen = runner.observe(spelled)
    row = expectation.primary
    relation = f"relation equivalence ({spelled.label.split('/', 1)[-1]})"
    related = seen.findings + checks.same_answer(relation, row, runner.plain_answers[base], seen.exchange)
    runner.keep(related, seen.notes)
    return findings + related


@recorded_step("isolation")
def isolation(runner: Runner) -> list[Finding]:
    """Every face but the one under test still holds what the run last wrote to it (x.isolation)."""
    assert runner.world is not None
    runner.flush()
    findings: list[Finding] = []
    for face in runner.world.faces:
        if face == runner.world.face:
            continue  # written by nearly every probe: x.read-after-write and x.no-change-on-error judge it
        before = runner.world.believed(face)
        try:
            now, got = runner.calls.get_face(face)
        except SetupError as exc:
            findings.append(checks.read_back_failed(checks.ISOLATION, exc, exc.exchange))
            continue
        runner.world.remember(face, now)
        source = runner.written.get(now) if isinstance(now, str) else None
        after = f"an update of face {source.face}" if source and source != face else "every update of the run"
        findings.append(checks.untouched(face, before, now, got, after=after))
    runner.keep(findings)
    return findings


# -- training ----------------------------------------------------------------------------------

@recorded_step("training")
def training(runner: Runner) -> list[Finding]:
    """Train the group, update while training runs: 409.training; then wait for the end."""
    assert runner.world is not None
    group = runner.world.face.group
    if runner.settings.bring_your_own:
        runner.unreachable(oracle.TRAINING, "a bring-your-own run never trains the user's group")
        return []
    runner.flush()
    started = runner.calls.train(group)
    if started.status != 202:
        runner.unreachable(oracle.TRAINING, f"Train answered {started.describe_answer()}, not 202")
        return []
    finished, blocked = False, True
    try:
        findings, blocked = _update_while_training(runner, group)
    finally:
        finished = _wait_for_training(runner, group)  # teardown must not meet a training collection
    if not finished:
        runner.unreachable(oracle.TRAINING, "training was still running when the suite stopped waiting")
        return findings
    if not blocked:
        return findings  # a collection that took the update while training has no block to recover from
    return findings + recover(runner, oracle.TRAINING, "training finished")


def _update_while_training(runner: Runner, group: str) -> tuple[list[Finding], bool]:
    """The update during training, judged; and whether it was refused (a large collection may take it)."""
    if runner.calls.training_status(group) != "running":
        runner.unreachable(oracle.TRAINING, "training had finished before an update could be sent")
        return [], True
    probe = runner.probe_on_face("update while the group is training", rows=(oracle.TRAINING,),
                                 body=user_data_body(runner.marker()))
    seen = runner.observe(probe, training=True)
    findings = seen.findings
    if any(f.row == oracle.TRAINING and f.verdict == "fail" for f in findings) and \
            runner.calls.training_status(group) != "running":
        # Training ended between the status read and the update: nothing was shown either way.
        findings = [f for f in findings if f.row != oracle.TRAINING]
        runner.unreachable(oracle.TRAINING, "training finished while the update was in flight")
    runner.keep(findings, seen.notes + _training_reading(seen.exchange))
    blocked = seen.exchange.status != 200 or catalogue.row(oracle.TRAINING).training != "either"
    return findings + _idle_group_while_training(runner, group), blocked


def _training_reading(exchange: Exchange) -> list[Note]:
    """Which answer a large collection gave an update during training, where either conforms (INFO)."""
    if catalogue.row(oracle.TRAINING).training != "either" or exchange.status not in (200, 409):
        return []
    took = exchange.status == 200
    return [Note(f"info.training-{'takes-updates' if took else 'refuses-updates'}", oracle.TRAINING,
                 "took an update during training (200)" if took else "refused an update during training (409)",
                 exchange.to_dict("info", "the update sent while the collection trained"))]


def _idle_group_while_training(runner: Runner, group: str) -> list[Finding]:
    """While one group trains, a request to the run's other group answers as it does idle (x.isolation)."""
    world = runner.world
    assert world is not None
    if not world.other_group or world.other_person is None:  # a face list's person is "" (it has none)
        return []
    # A face of the idle group takes the update (200); without one, the idle group's person answers
    # for a missing face (404) as it does when nothing trains.
    face = world.other_face.face if world.other_face else world.face.face
    probe = Probe(label="an idle group, while another trains", group=world.other_group, person=world.other_person,
                  face=face, body=user_data_body(f"while {group} trains"), rows=(checks.ISOLATION,))
    seen = runner.observe(probe)
    findings = seen.findings + checks.unaffected(f"group {group} was training",
                                                 oracle.expect(probe, world).primary, seen.exchange)
    runner.keep(findings, seen.notes)
    return findings


def _wait_for_training(runner: Runner, group: str) -> bool:
    """Poll until training is no longer running; False when it still was at the deadline."""
    deadline = time.monotonic() + TRAINING_WAIT_S
    pause = 0.2  # doubling up to 2 s: short trainings end quickly, long ones cost few polls
    while runner.calls.training_status(group) == "running":
        if time.monotonic() >= deadline:
            return False
        runner.sleep(pause)
        pause = min(pause * 2, 2.0)
    return True
