"""The runner in process (mock target, zoo variants): state after state, batched read-backs, lost
answers, and the budget kept for the live-only rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from face_conformance.cases.probes import near_miss, user_data_body
from face_conformance.config.settings import build_settings
from face_conformance.evidence.exchange import Exchange
from face_conformance.live.target import mock_reference, mock_target
from face_conformance.reference import ReferenceService
from face_conformance.run.runner import LIVE_ROWS_RESERVE, Runner
from face_conformance.run.scenarios import _wait_for_training, recover, recover_after
from face_conformance.zoo import VARIANTS, variant_names


def _runner(tmp_path: Path, variant: str | None = None, **options: str) -> Runner:
    settings = build_settings({"report_dir": str(tmp_path), **options}, environ={})
    variant_names()  # load the registry
    service = VARIANTS[variant].build(mock_reference(0).config) if variant else mock_reference(0)
    runner = Runner(settings, mock_target(settings, service))
    runner.setup()
    return runner


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    run = _runner(tmp_path)
    yield run
    run.teardown()
    run.target.close()


def _rows(findings: list, verdict: str) -> set[str]:
    return {f.row for f in findings if f.verdict == verdict}


def test_a_normal_update_after_a_state_passes_on_the_reference(runner: Runner) -> None:
    findings = recover(runner, "409.concurrent", "the parallel updates")
    assert {"200.ok", "x.read-after-write"} <= _rows(findings, "pass")
    assert not _rows(findings, "fail")


def test_a_face_stuck_in_training_fails_409_training(tmp_path: Path) -> None:
    run = _runner(tmp_path, "training-never-clears")
    try:
        assert run.calls.train(run.world.face.group).status == 202
        findings = recover(run, "409.training", "training finished")
        stuck = [f for f in findings if f.row == "409.training" and f.verdict == "fail"]
        assert stuck and "stuck" in stuck[0].note and "PersonGroupTrainingNotFinished" in stuck[0].note
    finally:
        run.teardown()
        run.target.close()


def test_a_lock_that_clears_late_is_not_stuck(tmp_path: Path) -> None:
    run = _runner(tmp_path, "training-lock-lingers")
    try:
        assert run.calls.train(run.world.face.group).status == 202
        assert _wait_for_training(run, run.world.face.group)
        findings = recover(run, "409.training", "training finished")
        assert "409.training" not in _rows(findings, "fail") and "200.ok" in _rows(findings, "pass")
    finally:
        run.teardown()
        run.target.close()


def test_recover_after_runs_only_after_an_error_on_the_face(tmp_path: Path) -> None:
    run = _runner(tmp_path)
    try:
        ok = run.probe_on_face("valid")
        assert recover_after(run, ok) == []
        bad = run.probe_on_face("too long", body=user_data_body("x" * 1025))
        assert "200.ok" in _rows(recover_after(run, bad), "pass")
        smoke = _runner(tmp_path / "smoke", profile="smoke")
        assert recover_after(smoke, bad) == []
        smoke.teardown()
        smoke.target.close()
    finally:
        run.teardown()
        run.target.close()


def test_batched_read_backs_cost_one_get_face(runner: Runner) -> None:
    """Near misses batched: no read-back per error answer, one Get Face at the flush."""
    before = runner.client.sent
    for rule in ("trailing-comma", "block-comment", "single-quotes"):
        runner.run(near_miss(runner.world, "body", rule))
    assert runner.client.sent - before == 3
    findings = runner.flush()
    assert runner.client.sent - before == 4
    assert [f.verdict for f in findings] == ["pass"] * 3


def test_a_batched_write_by_an_error_answer_is_pinned_on_its_request(tmp_path: Path) -> None:
    """Each request writes a distinct marker, so the one Get Face names the request that changed the face."""
    run = _runner(tmp_path, "stores-before-media-check")
    try:
        probes = [near_miss(run.world, "content_type", rule) for rule in ("drop-last", "add-one")]
        for probe in probes:
            run.run(probe)
        failed = [f for f in run.flush() if f.verdict == "fail"]
        assert len(failed) == 1 and "to this request" in failed[0].note
        assert failed[0].exchange.request.header("Content-Type") == probes[-1].content_type
    finally:
        run.teardown()
        run.target.close()


class MangledOnBadMedia(ReferenceService):
    """Broken: a 415 still writes, and not the value sent (so no marker names the request)."""

    def check_media_type(self, request: httpx.Request) -> None:
        try:
            super().check_media_type(request)
        except Exception:
            path = request.url.path.split("/")
            face = self.resolve_face(path[-5], path[-3], path[-1]).face
            face.user_data = "mangled"
            raise


def test_a_change_no_marker_explains_is_bisected_to_its_request(tmp_path: Path) -> None:
    """A batch of error answers changed the face to a value nobody wrote: replayed one at a time,
    the one that changes it is named, with its replayed exchange as the evidence."""
    settings = build_settings({"report_dir": str(tmp_path)}, environ={})
    run = Runner(settings, mock_target(settings, MangledOnBadMedia(mock_reference(0).config)))
    try:
        run.setup()
        errors = [run.probe_on_face("wrong key", key="wrong"),
                  run.probe_on_face("not JSON media", content_type="text/plain"),
                  run.probe_on_face("a body that is not JSON", body=b"not json")]
        for probe in errors:
            run.run(probe)
        sent = run.client.sent
        findings = run.flush()
        failed = [f for f in findings if f.verdict == "fail"]
        assert len(failed) == 1 and "replayed alone" in failed[0].note and "'mangled'" in failed[0].note
        assert failed[0].exchange.request.header("Content-Type") == "text/plain"
        assert [f.verdict for f in findings] == ["pass", "fail"]  # the wrong key's replay changed nothing
        # one Get Face, then per replayed request: set a known value, read it, replay, read back
        assert run.client.sent - sent == 1 + 2 * 4
    finally:
        run.teardown()
        run.target.close()


def test_a_change_a_marker_explains_costs_no_replay(tmp_path: Path) -> None:
    run = _runner(tmp_path, "stores-before-media-check")
    try:
        for rule in ("drop-last", "add-one"):
            run.run(near_miss(run.world, "content_type", rule))
        sent = run.client.sent
        assert [f.verdict for f in run.flush()] == ["fail"]
        assert run.client.sent - sent == 1
    finally:
        run.teardown()
        run.target.close()


class DropsOneUpdate(ReferenceService):
    """Stores the update, then the connection breaks before the answer (a respx transport error)."""

    def update_face(self, request: httpx.Request, group_id: str, person_id: str, face_id: str) -> httpx.Response:
        super().update_face(request, group_id, person_id, face_id)
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


def test_a_lost_answer_is_reported_not_judged_and_not_blamed_on_errors(tmp_path: Path) -> None:
    settings = build_settings({"report_dir": str(tmp_path)}, environ={})
    run = Runner(settings, mock_target(settings, DropsOneUpdate(mock_reference(0).config)))
    try:
        run.setup()
        findings = run.run(run.probe_on_face("lost"))
        assert [(f.row, f.verdict) for f in findings] == [("200.ok", "not-observed")]
        assert "connection broke before any answer" in findings[0].note
        error = run.probe_on_face("an error answer", content_type="text/plain")
        run.run(error)
        assert not _rows(run.flush(), "fail"), "the lost update's write must not be blamed on the 415"
    finally:
        run.teardown()
        run.target.close()


def test_the_budget_keeps_a_reserve_for_the_live_rows(tmp_path: Path) -> None:
    run = _runner(tmp_path, budget="100")
    try:
        run.client.sent = 100 - min(LIVE_ROWS_RESERVE, 25)
        assert not run.budget_left()
        assert run.budget_left(reserve=False)
        run.client.sent = 100
        assert not run.budget_left(reserve=False)
    finally:
        run.target.close()


def test_exchange_without_answer_is_lost_unless_timed_out() -> None:
    from face_conformance.evidence.exchange import SentRequest
    from face_conformance.judging.oracle import connection_lost

    sent = SentRequest("PATCH", "http://x", ())
    assert connection_lost(Exchange(sent, None, "connection closed or broken mid-answer: reset"))
    assert not connection_lost(Exchange(sent, None, "no answer within 3 s (timeout)"))
    assert not connection_lost(replace(Exchange(sent, None, None)))


def test_observe_returns_its_info_notes_and_records_nothing(runner: Runner) -> None:
    """What an update with no userData stored is an INFO note of the probe's `Seen`; only `run` records it."""
    probe = runner.probe_on_face("no userData", body=b"{}")
    seen = runner.observe(probe)
    assert [n.id for n in seen.notes] == ["info.stored-after-missing"]
    assert not runner.ledger.observations and not runner.ledger.findings
    runner.run(probe)
    assert "info.stored-after-missing" in runner.ledger.observations


def test_the_run_record_holds_what_the_run_sent_and_how_it_was_judged(runner: Runner) -> None:
    """Steps, entries, judged entries, request counts, restored and world, without the runner's parts."""
    findings = runner.run(runner.probe_on_face("valid"))
    record = runner.run_record()
    assert [step["call"] for step in record.steps] == ["setup", "run"]
    assert record.requests == runner.sent == len(record.entries) == sum(record.requests_by_purpose.values())
    assert record.requests_by_purpose["setup"] >= 1 and record.target == runner.target.label
    assert record.world is runner.world and record.restored is None
    judged = {(f.row, str(f.verdict)) for f in findings if f.exchange is not None}
    assert judged == {pair for pairs in record.judged.values() for pair in pairs}
    assert record.entries_by_step({1: 1}) == {1: [e for e in record.entries if e.step == 1]}


class SeesTheWire(ReferenceService):
    """The reference, keeping the header names as sent and whether each body came chunked."""

    wire: list[tuple[list[str], bool]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            names = [name.decode() for name, _ in request.headers.raw]
            self.wire.append((names, request.headers.get("transfer-encoding") == "chunked"))
        return super().handle(request)


@pytest.mark.parametrize("send", ["run", "send_once"])
def test_a_probe_goes_on_the_wire_with_its_framing_and_header_case(tmp_path: Path, send: str) -> None:
    """The equivalence relation's framing and header-name spellings reach the request, hints never do."""
    settings = build_settings({"report_dir": str(tmp_path)}, environ={})
    service = SeesTheWire(mock_reference(0).config)
    SeesTheWire.wire = []
    run = Runner(settings, mock_target(settings, service))
    run.setup()
    probe = run.probe_on_face("spelled", framing="chunked", header_case="upper")
    run.run(probe) if send == "run" else run.send_once(probe, tag="x")
    names, chunked = SeesTheWire.wire[-1]
    assert chunked
    assert "CONTENT-TYPE" in names and "OCP-APIM-SUBSCRIPTION-KEY" in names
    assert not any(name.lower().startswith("x-face-conformance") for name in names)
    run.teardown()
    run.target.close()
