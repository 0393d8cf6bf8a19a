"""The pieces of a replay, on hand-built data: probes as records, the recording's steps, the cassette."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from face_conformance.cases.probes import Probe
from face_conformance.config.settings import Settings
from face_conformance.evidence.har import RecordedExchange
from face_conformance.evidence.recording import RECORDED_BODY_BYTES, probe_from_record, probe_record
from face_conformance.live.client import NOT_RECORDED, FaceClient
from face_conformance.live.target import mock_target
from face_conformance.run import scenarios
from face_conformance.run.replay import Cassette
from face_conformance.run.runner import Runner

PATH = "/face/v1.0/persongroups/g/persons/p/persistedFaces/f"


@given(body=st.one_of(st.none(), st.binary(max_size=64), st.text(max_size=32).map(str.encode)),
       headers=st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)), max_size=2),
       key=st.sampled_from(["valid", "wrong", "missing", "near:swap-case"]), generated=st.booleans())
def test_a_probe_survives_its_record(body: bytes | None, headers: list[tuple[str, str]], key: str,
                                     generated: bool) -> None:
    """Every field, bodies that are not UTF-8 included, comes back as it was."""
    probe = Probe(label="p", group="g", person="p", face="f", body=body, content_type=None, key=key,
                  rows=("200.ok", "x.read-after-write"), force="quota", extra_headers=tuple(headers),
                  generated=generated)
    assert probe_from_record(probe_record(probe)) == probe


@pytest.mark.parametrize("record", [None, [], {"label": 1}, {"label": "x", "group": "g", "person": "p",
                                                              "face": "f", "key_sent": "valid", "colour": "red"}])
def test_a_probe_record_that_is_not_one_is_refused(record: object) -> None:
    """ValueError with a reason, which the reader turns into exit 2."""
    with pytest.raises(ValueError, match="probe"):
        probe_from_record(record)


def test_calls_the_runner_makes_of_itself_stay_in_the_suites_step() -> None:
    """`concurrent_writes` flushes and recovers inside itself: one step, with its argument."""
    settings = Settings(profile="full")
    runner = Runner(settings, mock_target(settings))
    runner.setup()
    scenarios.concurrent_writes(runner, 3)
    runner.flush()
    record = runner.run_record()
    calls = [step["call"] for step in record.steps]
    assert calls == ["setup", "concurrent_writes", "flush"]
    assert record.steps[1] == {"call": "concurrent_writes", "n": 3}  # the recording's encoding, as ever
    entries = record.entries
    assert [e.exchange.entry for e in entries] == list(range(len(entries)))
    assert {e.step for e in entries} == {0, 1}  # the last flush had nothing to read back
    assert record.steps[0]["group_ids"][0] == runner.world.face.group


def test_a_recording_keeps_bodies_bounded() -> None:
    """A huge answer is kept in part, with its size; the part is marked truncated."""
    service_body = b"x" * (RECORDED_BODY_BYTES * 3)
    client = httpx.Client(base_url="https://t.invalid",
                          transport=httpx.MockTransport(lambda r: httpx.Response(500, content=service_body)))
    face = FaceClient(client, "a-key-of-some-length")
    face.send("GET", PATH)
    entry = face.recording.in_order()[0]
    assert entry.answer_size == len(service_body)
    assert len(entry.exchange.answer.body) == RECORDED_BODY_BYTES and entry.exchange.answer.truncated


def _recorded(index: int, body: bytes, status: int | None = 200, answer: bytes = b"", error: str | None = None,
              step: int = 0, method: str = "PATCH") -> RecordedExchange:
    return RecordedExchange(index=index, step=step, method=method, path=PATH, body=body, status=status,
                            headers=(("Content-Encoding", "gzip"), ("Content-Type", "text/plain")),
                            answer_body=answer, error=error)


def _client(cassette: Cassette) -> FaceClient:
    return FaceClient(httpx.Client(base_url="https://t.invalid", transport=httpx.MockTransport(cassette)),
                      "a-key-of-some-length")


def test_the_cassette_answers_parallel_requests_by_their_body() -> None:
    """Same method and path: the body decides; the recorded entry number is kept; wire headers dropped."""
    cassette = Cassette([_recorded(7, b"a", answer=b"for a"), _recorded(8, b"b", status=409, answer=b"for b")])
    cassette.step = 0
    client = _client(cassette)
    second = client.send("PATCH", PATH, body=b"b")
    first = client.send("PATCH", PATH, body=b"a")
    assert (second.status, second.answer.body, second.entry) == (409, b"for b", 8)
    assert (first.status, first.answer.body, first.entry) == (200, b"for a", 7)
    assert first.answer.header("content-encoding") is None
    assert cassette.unused() == []


def test_the_cassette_replays_what_did_not_come_and_says_what_it_lacks() -> None:
    """A recorded timeout is a timeout again; a request with no recorded answer is not in the recording."""
    cassette = Cassette([_recorded(0, b"", status=None, error="no answer within 30 s (timeout)"),
                         _recorded(1, b"", answer=b"half", error="connection closed or broken mid-answer: eof")])
    cassette.step = 0
    client = _client(cassette)
    timed_out = client.send("PATCH", PATH)
    broken = client.send("PATCH", PATH)
    silent = client.silent_in_a_row
    missing = client.send("GET", PATH)
    assert timed_out.answer is None and "timeout" in (timed_out.error or "")
    assert broken.answer is not None and broken.answer.body == b"half"
    assert (broken.error or "").startswith("connection closed or broken mid-answer")
    assert (missing.error or "").startswith(NOT_RECORDED)
    assert client.silent_in_a_row == silent  # a gap in the recording is not the server falling silent
    assert cassette.unmatched == [f"GET {PATH} (step 0)"]


def test_a_step_that_raises_is_noted_and_the_rest_performed(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error in one recorded step ends that step only; the teardown still runs."""
    from face_conformance.run.replay import perform

    settings = Settings(profile="smoke")
    runner = Runner(settings, mock_target(settings))

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(scenarios, "training", broken)
    performed = perform(runner, [{"call": "setup"}, {"call": "training"}, {"call": "flush"}, {"call": "teardown"}])
    assert sorted(performed) == [0, 1, 2, 3]
    assert "info.step-1-raised" in runner.ledger.observations
    assert "RuntimeError: boom" in runner.ledger.observations["info.step-1-raised"].summary
    assert not runner.provisioner.attempted_groups  # torn down


def test_a_run_whose_set_up_failed_replays_with_the_same_notes(tmp_path) -> None:
    """Every answer a 502 page: the run stops in set-up (info.stop, with the exchange) and notes its
    teardown's refusals; its replay notes the same, with the same IDs (a verdict is a function of the
    recording, and so are the notes that explain it)."""
    import json

    from face_conformance import cli

    assert cli.main(["run", "--variant", "bad-gateway-everywhere", "--profile", "smoke",
                     "--report-dir", str(tmp_path / "run")]) == 3
    assert cli.main(["judge", str(tmp_path / "run" / "exchanges.har"), "--report-dir", str(tmp_path / "replay")]) == 3
    run, replay = (json.loads((tmp_path / d / "conformance.json").read_text(encoding="utf-8"))
                   for d in ("run", "replay"))
    noted = {o["id"]: o for o in run["observations"]}
    assert "info.stop" in noted and noted["info.stop"]["evidence"], noted
    assert {o["id"] for o in replay["observations"] if not o["id"].startswith("info.replay")} == set(noted)
    stop = next(o for o in replay["observations"] if o["id"] == "info.stop")
    assert stop["summary"] == noted["info.stop"]["summary"] and stop["evidence"]
